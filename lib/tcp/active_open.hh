#pragma once
// Connections an app opens (RFC 9293 §3.10.1 active OPEN, app_host::connect): choosing the local
// port, the SYN, and the SYN-SENT state's segment rules (§3.10.7.3), simultaneous open included.
#include <cstdint>

#include "tcp/app_host.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "segment.hh"

namespace rampart::tcp {

// A connection to request.remote:port in SYN-SENT, owned by `listener`'s app, its SYN sent (or
// held for ARP) and its retransmission and connect timeout armed; or why none was started
// (counted). The app hears nothing before this returns.
connect_result open_connection(lcore_state& lcore, std::uint8_t listener, const connect_request& request,
                               event_context& ctx) noexcept;

// A segment for a connection an app opened that is not synchronized yet (tcp_input.cc sends it
// here, every other one to connection_input). In SYN-SENT (§3.10.7.3): our SYN acknowledged by
// the peer's SYN completes the handshake (on_connected); a SYN alone is a simultaneous open
// (SYN-RECEIVED); an acceptable RST refuses the connection. In SYN-RECEIVED: the peer's SYN-ACK
// (its SYN again, SEG.SEQ = IRS) may complete our side; anything else is connection_input's.
packet::verdict active_open_input(lcore_state& lcore, connection& c, segment& seg, event_context& ctx) noexcept;

// The SYN went unanswered for an RTO (connection_timers.cc): send it again, or fail the
// connection (timeout past the retry limit, unreachable when the next hop never answered).
// False: the connection is gone.
bool syn_timeout(lcore_state& lcore, connection& c, event_context& ctx) noexcept;

}  // namespace rampart::tcp
