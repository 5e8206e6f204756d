#pragma once
// The one place a connection changes state (as Linux's tcp_set_state): every transition goes
// through set_state, which alone keeps what depends on the state (the SYN backlog's size, the
// TIME-WAIT gauge, the per-listener gauges, the close counters) and tells the app.
#include "tcp/stream.hh"
#include "tcp/tcp_state.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

// Moves c from its state to `next`. What the app hears, by `next`:
//   established  on_open (from SYN-RECEIVED, or from CLOSED for a cookie's connection); for a
//                connection the app opened, on_connected (from SYN-SENT or SYN-RECEIVED)
//   close_wait   on_peer_closed (RFC 9293 §3.6: the peer sends no more); without an app, our FIN
//                is queued at once
//   time_wait    on_close(closed): the stream ended, the control block stays for 2 MSL
//   closed       on_close(reason), unless it heard on_close already (the caller then erases the
//                control block: erase, connection_lifetime.hh); an active open that never
//                connected hears refused, timeout or unreachable (or aborted, shutdown)
// Returns false when the app aborted the connection from on_open or on_peer_closed (it is gone:
// the caller must not touch c again), true otherwise.
bool set_state(lcore_state& lcore, connection& c, tcp_state next, event_context& ctx,
               close_reason reason = close_reason::closed) noexcept;

}  // namespace rampart::tcp
