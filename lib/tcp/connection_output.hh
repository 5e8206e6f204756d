#pragma once
// What a connection sends on its own, in fresh buffers (connection_output.cc).
#include <cstdint>

#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

// Sends what the connection may send now: data within the peer's window and the congestion
// rules (Nagle), our FIN once the queue is drained, and an ACK when one is owed (ack_now); then
// rearms its timer.
void output(lcore_state& lcore, connection& c, bool ack_now, event_context& ctx) noexcept;

// RFC 9293 §3.7.1: the data octets one segment of c carries at most.
std::uint16_t effective_mss(const lcore_state& lcore, const connection& c) noexcept;

}  // namespace rampart::tcp
