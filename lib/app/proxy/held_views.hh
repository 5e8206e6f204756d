#pragma once
// Bytes one side of a proxied pair sent that the other side's send buffer has not taken yet,
// kept where they arrived: in their receive buffers (stream::retain_buffer), in order, without a
// copy. Each direction of a pair is one held_queue; the nodes of every queue of one app instance
// come from one held_view_pool, so an idle pair holds no node at all.
//
// Held bytes count against the receive window of the stream they came from, so a side that sends
// faster than the other reads sees its window close: that is the proxy's back-pressure, and it
// bounds a direction's bytes by the receive window. Segments are bounded apart (a peer sending
// tiny segments pins one buffer each): max_held_segments.
#include <cstdint>
#include <vector>

#include "tcp/stream.hh"

namespace rampart::app::proxy {

// Per direction. The default receive window (256 KiB) holds about 180 full segments; this leaves
// room for windows of about 1.4 MiB in full segments, and stops a peer that sends one-byte
// segments from pinning more than this many of the lcore's buffers.
inline constexpr std::uint32_t max_held_segments = 1024;

// One held receive view: the bytes still to send (data, length) and the view as it was retained
// (what release_buffer wants back).
struct held_view {
  const std::byte* data = nullptr;
  std::uint32_t length = 0;
  std::uint32_t retained = 0;
  void* buffer = nullptr;
  std::uint32_t next = 0;  // the queue's next node (held_view_pool::none at the tail)

  tcp::data_view view() const noexcept { return {nullptr, retained, buffer}; }
};

class held_view_pool {
 public:
  static constexpr std::uint32_t none = UINT32_MAX;

  // A free node, or none when the heap is exhausted. Grows geometrically: the heap is reached
  // only when more views are held at once than ever before on this lcore (as state_pool.hh).
  // Indexes stay valid across growth; references into the pool do not.
  std::uint32_t acquire() noexcept;
  void release(std::uint32_t node) noexcept;

  held_view& operator[](std::uint32_t node) noexcept { return _nodes[node]; }
  std::size_t in_use() const noexcept { return _nodes.size() - _free_count; }

 private:
  std::vector<held_view> _nodes;
  std::uint32_t _free = none;  // free list through held_view::next
  std::size_t _free_count = 0;
};

// One direction's held views, oldest first.
struct held_queue {
  std::uint32_t head = held_view_pool::none;
  std::uint32_t tail = held_view_pool::none;
  std::uint32_t segments = 0;
  std::uint64_t bytes = 0;

  bool empty() const noexcept { return segments == 0; }
};

enum class hold_result { held, too_many_segments, no_memory };

// Retains `view` on `from` (the stream it arrived on) and queues view[offset..] behind what is
// held. Nothing is retained unless it returns held.
hold_result hold(held_view_pool& pool, held_queue& queue, tcp::stream& from, const tcp::data_view& view,
                 std::uint32_t offset) noexcept;

// Sends held bytes to `to` until its send buffer takes less than offered, releasing each view
// sent whole on `from`. Returns the bytes sent.
std::uint64_t drain(held_view_pool& pool, held_queue& queue, tcp::stream& from, tcp::stream& to) noexcept;

// Releases every held view on `from` without sending it (the pair is ending).
void discard(held_view_pool& pool, held_queue& queue, tcp::stream& from) noexcept;

}  // namespace rampart::app::proxy
