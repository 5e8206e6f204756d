#pragma once
// A connection's data beyond RCV.NXT and the SACK blocks that report it (connection_reassembly.cc).
#include <cstdint>

#include "net/tcp_header.hh"
#include "packet/frame.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "segment.hh"

namespace rampart::tcp {

// Data (or a FIN) beyond RCV.NXT: queued when the budgets allow, answered by an immediate
// duplicate ACK (RFC 5681 §4.2) with SACK blocks; refused (not acknowledged, counted) past a
// budget, so the peer sends it again.
packet::verdict queue_out_of_order(lcore_state& lcore, segment& seg, connection& c, event_context& ctx) noexcept;
// Delivers the queued data RCV.NXT reached, and a queued FIN after it. False: the connection is gone.
bool deliver_queued(lcore_state& lcore, connection& c, event_context& ctx) noexcept;
// [left, right) arrived again: reported as a D-SACK block by the ACK that answers it (RFC 2883).
void note_duplicate(lcore_state& lcore, const connection& c, net::sack_block duplicate, event_context& ctx) noexcept;
// SACK blocks of the next ACK of c (RFC 2018 §4, RFC 2883 §4) as fit in `room` option bytes.
void add_sack_blocks(lcore_state& lcore, const connection& c, net::tcp_options& options, std::uint32_t room,
                     event_context& ctx) noexcept;
// The out-of-order queue's buffers back to the pool.
void release_queue(lcore_state& lcore, connection& c) noexcept;

}  // namespace rampart::tcp
