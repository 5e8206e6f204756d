// A connection's data beyond RCV.NXT (RFC 9293 §3.10.7.4 "segment text"): queued in the lcore's
// reassembly_pool (reassembly.hh) within two budgets, delivered once the hole before it fills,
// and reported to the peer in SACK blocks (RFC 2018 §4) and D-SACK blocks (RFC 2883).
//
// Budgets (docs/tcp.md): the lcore's pool holds tcp.reassembly_budget mbufs for all its
// connections, one connection at most reassembly_cap() of them. Past either, the segment is
// refused: not queued, not SACKed, answered by a duplicate ACK for RCV.NXT only, so the peer
// still holds it and sends it again; nothing else (handshakes, the flood path, in-order data)
// depends on this pool.
#include "connection_reassembly.hh"

#include <algorithm>

#include "connection_input.hh"
#include "connection_output.hh"
#include "segment_composer.hh"

namespace rampart::tcp {

namespace {

using net::tcp_flag::ack;
using net::tcp_flag::fin;

}  // namespace

packet::verdict queue_out_of_order(lcore_state& lcore, segment& seg, connection& c, event_context& ctx) noexcept {
  lcore.stats.tcp_out_of_order.add();
  lcore.stats.tcp_dup_acks_sent.add();  // RFC 5681 §4.2: "immediately" (what is missing; SACK says what is not)
  // The acceptability test let it through: it starts within the window. What reaches beyond the
  // window is trimmed (§3.10.7.4), and the FIN with it.
  const auto room = static_cast<std::uint32_t>(c.rcv_adv - seg.tcp.sequence);
  const std::uint32_t length = std::min<std::uint32_t>(seg.payload_length, room);
  const stream_piece piece{seg.tcp.sequence, length, seg.payload, seg.frame->buffer,
                           seg.has(fin) && length == seg.payload_length};
  if (lcore.buffers == nullptr || (piece.buffer == nullptr && length > 0)) {
    // Nothing to hold the bytes by (no pool attached, as in some tests): a budget of zero.
    lcore.stats.tcp_ooo_lcore_budget_refused.add();
    output(lcore, c, false, ctx);
    return reply_in_place(lcore, seg, c, ack, control_sequence(c), ctx);
  }
  const auto result = lcore.reassembly.insert(c.ooo, piece, lcore.reassembly_cap, *lcore.buffers);
  if (result.duplicate) {
    note_duplicate(lcore, c, *result.duplicate, ctx);
  }
  switch (result.status) {
    case reassembly_pool::insert_status::queued:
      lcore.stats.tcp_ooo_queued.add();
      lcore.stats.tcp_ooo_buffers_held.set(lcore.reassembly.in_use());
      // The frame now holds queued bytes: the ACK goes out in a fresh buffer, not over it.
      output(lcore, c, true, ctx);
      return packet::consumed();
    case reassembly_pool::insert_status::duplicate:
      break;  // counted and reported by note_duplicate
    case reassembly_pool::insert_status::lcore_budget:
      lcore.stats.tcp_ooo_lcore_budget_refused.add();
      break;
    case reassembly_pool::insert_status::connection_budget:
      lcore.stats.tcp_ooo_connection_budget_refused.add();
      break;
  }
  output(lcore, c, false, ctx);
  return reply_in_place(lcore, seg, c, ack, control_sequence(c), ctx);
}

bool deliver_queued(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  while (const auto piece = lcore.reassembly.pop_ready(c.ooo, c.rcv_nxt)) {
    // The app gets a view of the queued buffer, as of any in-order segment; it may retain it.
    const bool open = piece->length == 0 || deliver(lcore, c, {piece->data, piece->length, piece->buffer}, ctx);
    if (piece->buffer != nullptr) {
      lcore.buffers->release(piece->buffer);  // the queue's reference
    }
    lcore.stats.tcp_ooo_buffers_held.set(lcore.reassembly.in_use());
    if (!open) {
      return false;  // the app aborted: erase() released the rest of the queue
    }
    if (piece->fin && piece->seq + piece->length == c.rcv_nxt) {
      return take_fin(lcore, c, ctx);
    }
  }
  return true;
}

void note_duplicate(lcore_state& lcore, const connection& c, net::sack_block duplicate, event_context& ctx) noexcept {
  lcore.stats.tcp_duplicate_segments.add();
  ctx.dsack_for = &c;
  ctx.dsack = duplicate;
}

void add_sack_blocks(lcore_state& lcore, const connection& c, net::tcp_options& options, std::uint32_t room,
                     event_context& ctx) noexcept {
  // RFC 2018 §4: only when the peer sent SACK-permitted; RFC 2883 §4: D-SACK likewise.
  const bool dsack = ctx.dsack_for == &c;
  if (ctx.sack_cut_for == &c) {
    ctx.sack_cut_for = nullptr;
  }
  if (!c.sack_permitted || (c.ooo.empty() && !dsack)) {
    return;
  }
  const std::size_t most = options.timestamps ? net::tcp_max_sack_blocks_with_timestamps : net::tcp_max_sack_blocks;
  std::size_t count = 0;
  if (dsack) {
    // RFC 2883 §4: the first block reports the duplicate; when it lies above RCV.NXT the block
    // holding it follows (the most recent one, blocks() puts it first), even when equal to it:
    // "contained in the second block" is how the sender tells a D-SACK from a SACK there.
    options.sack_blocks[count++] = ctx.dsack;
  }
  count += lcore.reassembly.blocks(c.ooo, std::span{options.sack_blocks}.subspan(count, most - count));
  // As many as fit beside the payload (a full-sized data segment carries none).
  const std::uint32_t limit = std::min<std::uint32_t>(room, net::tcp_max_header_length - net::tcp_min_header_length);
  options.sack_block_count = static_cast<std::uint8_t>(count);
  while (options.sack_block_count > 0 && net::tcp_options_length(options) > limit) {
    --options.sack_block_count;
  }
  if (options.sack_block_count < count) {
    ctx.sack_cut_for = &c;  // output() follows an owed ACK on data with a pure ACK carrying them all
  }
  if (dsack && options.sack_block_count > 0) {
    ctx.dsack_for = nullptr;  // reported once (RFC 2883 §4), by the first ACK with room for it
    lcore.stats.tcp_dsack_sent.add();
  }
  lcore.stats.tcp_sack_blocks_sent.add(options.sack_block_count);
}

void release_queue(lcore_state& lcore, connection& c) noexcept {
  if (c.ooo.empty() || lcore.buffers == nullptr) {
    return;
  }
  lcore.reassembly.clear(c.ooo, *lcore.buffers);
  lcore.stats.tcp_ooo_buffers_held.set(lcore.reassembly.in_use());
}

}  // namespace rampart::tcp
