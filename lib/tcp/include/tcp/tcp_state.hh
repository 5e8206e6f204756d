#pragma once
// A connection's state (RFC 9293 §3.3.2), as the connection listing shows it.
#include <cstdint>

namespace rampart::tcp {

// LISTEN is not a connection here (listeners are the stateless listener_table). CLOSED is a
// control block outside every state: just taken from the pool, or being erased (set_state,
// state_transition.hh).
enum class tcp_state : std::uint8_t {
  syn_sent,      // an app's connection (app_host::connect): our SYN sent, no SYN from the peer yet
  syn_received,  // half-open: from the stateful SYN backlog (cookie modes auto/off), or a
                 // simultaneous open (RFC 9293 §3.5: both SYNs crossed)
  established,
  fin_wait_1,    // our FIN sent, not acknowledged; the peer still sends
  fin_wait_2,    // our FIN acknowledged; waiting for the peer's
  close_wait,    // the peer's FIN received; the app still sends until it closes
  closing,       // both FINs sent, ours not acknowledged (simultaneous close)
  last_ack,      // the peer's FIN, then ours: waiting for its ACK
  time_wait,     // both FINs acknowledged after we closed first: 2 MSL of quarantine
  closed,
};
const char* to_string(tcp_state state) noexcept;

}  // namespace rampart::tcp
