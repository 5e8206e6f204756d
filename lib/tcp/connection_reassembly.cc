// A connection's data beyond RCV.NXT (RFC 9293 §3.10.7.4 "segment text"): queued in the lcore's
// reassembly_pool (reassembly.hh) within two budgets, delivered once the hole before it fills,
// and reported to the peer in SACK blocks (RFC 2018 §4) and D-SACK blocks (RFC 2883).
//
// Budgets (docs/tcp.md): the lcore's pool holds tcp.reassembly_budget mbufs for all its
// connections, one connection at most reassembly_cap() of them. Past either, the segment is
// refused: not queued, not SACKed, answered by a duplicate ACK for RCV.NXT only, so the peer
// still holds it and sends it again; nothing else (handshakes, the flood path, in-order data)
// depends on this pool.
#include <algorithm>

#include "tcp/lcore_tcp.hh"
#include "tcp/segment.hh"

namespace rampart::tcp {

namespace {

using net::tcp_flag::ack;
using net::tcp_flag::fin;

}  // namespace

packet::verdict lcore_tcp::queue_out_of_order(segment& seg, connection& c, std::uint64_t now_ns) noexcept {
  _stats.tcp_out_of_order.add();
  _stats.tcp_dup_acks_sent.add();  // RFC 5681 §4.2: "immediately" (what is missing; SACK says what is not)
  // The acceptability test let it through: it starts within the window. What reaches beyond the
  // window is trimmed (§3.10.7.4), and the FIN with it.
  const auto room = static_cast<std::uint32_t>(c.rcv_adv - seg.tcp.sequence);
  const std::uint32_t length = std::min<std::uint32_t>(seg.payload_length, room);
  const stream_piece piece{seg.tcp.sequence, length, seg.payload, seg.frame->buffer,
                           seg.has(fin) && length == seg.payload_length};
  if (_buffers == nullptr || (piece.buffer == nullptr && length > 0)) {
    // Nothing to hold the bytes by (no pool attached, as in some tests): a budget of zero.
    _stats.tcp_ooo_lcore_budget_refused.add();
    output(c, now_ns, false);
    return reply_in_place(seg, c, ack, c.snd_nxt, now_ns);
  }
  const auto result = _reassembly.insert(c.ooo, piece, _reassembly_cap, *_buffers);
  if (result.duplicate) {
    note_duplicate(c, *result.duplicate);
  }
  switch (result.status) {
    case reassembly_pool::insert_status::queued:
      _stats.tcp_ooo_queued.add();
      _stats.tcp_ooo_buffers_held.set(_reassembly.in_use());
      // The frame now holds queued bytes: the ACK goes out in a fresh buffer, not over it.
      output(c, now_ns, true);
      return packet::consumed();
    case reassembly_pool::insert_status::duplicate:
      break;  // counted and reported by note_duplicate
    case reassembly_pool::insert_status::lcore_budget:
      _stats.tcp_ooo_lcore_budget_refused.add();
      break;
    case reassembly_pool::insert_status::connection_budget:
      _stats.tcp_ooo_connection_budget_refused.add();
      break;
  }
  output(c, now_ns, false);
  return reply_in_place(seg, c, ack, c.snd_nxt, now_ns);
}

bool lcore_tcp::deliver_queued(connection& c, flow::connection_handle handle, std::uint64_t now_ns) noexcept {
  while (const auto piece = _reassembly.pop_ready(c.ooo, c.rcv_nxt)) {
    // The app gets a view of the queued buffer, as of any in-order segment; it may retain it.
    const bool open = piece->length == 0 || deliver(c, handle, {piece->data, piece->length, piece->buffer}, now_ns);
    if (piece->buffer != nullptr) {
      _buffers->release(piece->buffer);  // the queue's reference
    }
    _stats.tcp_ooo_buffers_held.set(_reassembly.in_use());
    if (!open) {
      return false;  // the app aborted: erase() released the rest of the queue
    }
    if (piece->fin && piece->seq + piece->length == c.rcv_nxt) {
      return take_fin(c, handle, now_ns);
    }
  }
  return true;
}

void lcore_tcp::note_duplicate(const connection& c, net::sack_block duplicate) noexcept {
  _stats.tcp_duplicate_segments.add();
  _dsack_for = &c;
  _dsack = duplicate;
}

void lcore_tcp::add_sack_blocks(const connection& c, net::tcp_options& options, std::uint32_t room) noexcept {
  // RFC 2018 §4: only when the peer sent SACK-permitted; RFC 2883 §4: D-SACK likewise.
  const bool dsack = _dsack_for == &c;
  if (_sack_cut_for == &c) {
    _sack_cut_for = nullptr;
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
    options.sack_blocks[count++] = _dsack;
  }
  count += _reassembly.blocks(c.ooo, std::span{options.sack_blocks}.subspan(count, most - count));
  // As many as fit beside the payload (a full-sized data segment carries none).
  const std::uint32_t limit = std::min<std::uint32_t>(room, net::tcp_max_header_length - net::tcp_min_header_length);
  options.sack_block_count = static_cast<std::uint8_t>(count);
  while (options.sack_block_count > 0 && net::tcp_options_length(options) > limit) {
    --options.sack_block_count;
  }
  if (options.sack_block_count < count) {
    _sack_cut_for = &c;  // output() follows an owed ACK on data with a pure ACK carrying them all
  }
  if (dsack && options.sack_block_count > 0) {
    _dsack_for = nullptr;  // reported once (RFC 2883 §4), by the first ACK with room for it
    _stats.tcp_dsack_sent.add();
  }
  _stats.tcp_sack_blocks_sent.add(options.sack_block_count);
}

void lcore_tcp::release_queue(connection& c) noexcept {
  if (c.ooo.empty() || _buffers == nullptr) {
    return;
  }
  _reassembly.clear(c.ooo, *_buffers);
  _stats.tcp_ooo_buffers_held.set(_reassembly.in_use());
}

}  // namespace rampart::tcp
