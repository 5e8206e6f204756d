#include "send_queue.hh"

#include <algorithm>
#include <cstring>
#include <new>

namespace rampart::tcp {

// Written at the start of each buffer's data area; the payload follows at header_bytes.
struct send_queue::chunk {
  void* handle;           // the pool's buffer, for release
  chunk* next;            // towards the tail
  chunk* cursor;          // head chunk only: where the last copy_out started (null: none)
  std::uint32_t start;    // its first byte's number, counted (mod 2^32) across the queue's chunks
  std::uint16_t length;   // payload bytes in this chunk
  std::uint16_t capacity; // payload bytes it can hold

  std::byte* payload() noexcept { return reinterpret_cast<std::byte*>(this) + header_bytes; }
  const std::byte* payload() const noexcept { return reinterpret_cast<const std::byte*>(this) + header_bytes; }
};
static_assert(sizeof(send_queue::chunk) <= send_queue::header_bytes, "the chunk header fits in its reserved bytes");

namespace {

// Pool buffers start at the mbuf's data offset (or a heap block in tests): both 8-byte aligned,
// which the chunk header needs.
template <class Chunk>
Chunk* start_chunk(const packet::buffer& b) noexcept {
  auto* c = ::new (static_cast<void*>(b.data)) Chunk{};
  c->handle = b.handle;
  c->next = nullptr;
  c->cursor = nullptr;
  c->start = 0;
  c->length = 0;
  c->capacity = static_cast<std::uint16_t>(b.capacity - send_queue::header_bytes);
  return c;
}

}  // namespace

std::optional<packet::buffer> send_queue::allocate_payload(packet::buffer_pool& pool) noexcept {
  auto b = pool.allocate();
  if (!b) {
    return std::nullopt;
  }
  if (b->capacity <= header_bytes) {
    pool.release(b->handle);
    return std::nullopt;
  }
  packet::buffer payload = *b;
  payload.data += header_bytes;
  payload.capacity = static_cast<std::uint16_t>(b->capacity - header_bytes);
  payload.length = 0;
  return payload;
}

void send_queue::append_payload(const packet::buffer& payload) noexcept {
  packet::buffer whole = payload;
  whole.data -= header_bytes;
  whole.capacity = static_cast<std::uint16_t>(payload.capacity + header_bytes);
  chunk* c = start_chunk<chunk>(whole);
  c->length = payload.length;
  link(c);
  _bytes += payload.length;
}

void send_queue::link(chunk* c) noexcept {
  if (_tail != nullptr) {
    c->start = _tail->start + _tail->length;  // the tail's length is final once a chunk follows it
    _tail->next = c;
  } else {
    _head = c;
  }
  _tail = c;
}

std::size_t send_queue::append(packet::buffer_pool& pool, std::span<const std::byte> data, std::size_t limit) noexcept {
  std::size_t taken = 0;
  const std::size_t wanted = std::min(data.size(), limit);
  while (taken < wanted) {
    if (_tail == nullptr || _tail->length == _tail->capacity) {
      const auto b = pool.allocate();
      if (!b) {
        break;
      }
      if (b->capacity <= header_bytes) {
        pool.release(b->handle);
        break;
      }
      link(start_chunk<chunk>(*b));
    }
    const std::size_t n = std::min<std::size_t>(wanted - taken, _tail->capacity - _tail->length);
    std::memcpy(_tail->payload() + _tail->length, data.data() + taken, n);
    _tail->length = static_cast<std::uint16_t>(_tail->length + n);
    taken += n;
  }
  _bytes += static_cast<std::uint32_t>(taken);
  return taken;
}

void send_queue::copy_out(std::uint32_t offset, std::uint32_t length, std::byte* out) noexcept {
  if (_head == nullptr) {
    return;
  }
  // Byte numbers relative to the head chunk's first byte, so that they compare without wrapping.
  const std::uint32_t target = _head_offset + offset;
  chunk* c = _head;
  std::uint32_t skip = target;
  // A new segment starts at or after the last one: from the cursor the walk is a chunk or two.
  // A retransmission below it walks from the head, as before.
  if (chunk* cursor = _head->cursor; cursor != nullptr && cursor->start - _head->start <= target) {
    c = cursor;
    skip = target - (cursor->start - _head->start);
  }
  while (c != nullptr && skip >= c->length) {
    skip -= c->length;
    c = c->next;
  }
  _head->cursor = c;
  while (length > 0 && c != nullptr) {
    const std::uint32_t n = std::min<std::uint32_t>(length, c->length - skip);
    std::memcpy(out, c->payload() + skip, n);
    out += n;
    length -= n;
    skip = 0;
    c = c->next;
  }
}

void send_queue::consume(packet::buffer_pool& pool, std::uint32_t n) noexcept {
  n = std::min(n, _bytes);
  _bytes -= n;
  std::uint32_t left = n + _head_offset;
  chunk* cursor = _head != nullptr ? _head->cursor : nullptr;
  while (_head != nullptr && left >= _head->length) {
    left -= _head->length;
    chunk* done = _head;
    _head = done->next;
    if (done == cursor) {
      cursor = nullptr;  // acknowledged: the next copy starts beyond it anyway
    }
    pool.release(done->handle);
  }
  if (_head != nullptr) {
    _head->cursor = cursor;  // the new head carries it on
  } else {
    _tail = nullptr;
    left = 0;
  }
  _head_offset = left;
}

void send_queue::clear(packet::buffer_pool& pool) noexcept {
  while (_head != nullptr) {
    chunk* done = _head;
    _head = done->next;
    pool.release(done->handle);
  }
  _tail = nullptr;
  _head_offset = 0;
  _bytes = 0;
}

}  // namespace rampart::tcp
