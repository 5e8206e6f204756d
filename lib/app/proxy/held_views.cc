#include "held_views.hh"

#include <new>

namespace rampart::app::proxy {

std::uint32_t held_view_pool::acquire() noexcept {
  if (_free == none) {
    try {
      if (_nodes.size() == _nodes.capacity()) {
        _nodes.reserve(_nodes.size() < 64 ? 64 : 2 * _nodes.size());
      }
      _nodes.emplace_back();
    } catch (const std::bad_alloc&) {
      return none;
    }
    return static_cast<std::uint32_t>(_nodes.size() - 1);
  }
  const std::uint32_t node = _free;
  _free = _nodes[node].next;
  --_free_count;
  return node;
}

void held_view_pool::release(std::uint32_t node) noexcept {
  _nodes[node] = held_view{};
  _nodes[node].next = _free;
  _free = node;
  ++_free_count;
}

hold_result hold(held_view_pool& pool, held_queue& queue, tcp::stream& from, const tcp::data_view& view,
                 std::uint32_t offset) noexcept {
  if (queue.segments == max_held_segments) {
    return hold_result::too_many_segments;
  }
  const std::uint32_t node = pool.acquire();
  if (node == held_view_pool::none) {
    return hold_result::no_memory;
  }
  from.retain_buffer(view);
  held_view& h = pool[node];
  h = {view.data + offset, view.length - offset, view.length, view.buffer, held_view_pool::none};
  if (queue.tail == held_view_pool::none) {
    queue.head = node;
  } else {
    pool[queue.tail].next = node;
  }
  queue.tail = node;
  ++queue.segments;
  queue.bytes += h.length;
  return hold_result::held;
}

namespace {

// Unlinks the queue's first node after its bytes went (or are given up), releasing its view.
void pop(held_view_pool& pool, held_queue& queue, tcp::stream& from) noexcept {
  const std::uint32_t node = queue.head;
  from.release_buffer(pool[node].view());
  queue.bytes -= pool[node].length;
  queue.head = pool[node].next;
  if (queue.head == held_view_pool::none) {
    queue.tail = held_view_pool::none;
  }
  --queue.segments;
  pool.release(node);
}

}  // namespace

std::uint64_t drain(held_view_pool& pool, held_queue& queue, tcp::stream& from, tcp::stream& to) noexcept {
  std::uint64_t sent_total = 0;
  while (!queue.empty()) {
    held_view& h = pool[queue.head];
    const std::size_t sent = to.send({h.data, h.length});
    sent_total += sent;
    if (sent < h.length) {
      h.data += sent;
      h.length -= static_cast<std::uint32_t>(sent);
      queue.bytes -= sent;
      break;
    }
    pop(pool, queue, from);
  }
  return sent_total;
}

void discard(held_view_pool& pool, held_queue& queue, tcp::stream& from) noexcept {
  while (!queue.empty()) {
    pop(pool, queue, from);
  }
}

}  // namespace rampart::app::proxy
