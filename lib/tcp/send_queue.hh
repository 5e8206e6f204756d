#pragma once
// One connection's send buffer: the bytes from SND.UNA on (sent and unacknowledged, then not yet
// sent), kept in a chain of pool buffers until the peer acknowledges them (RFC 9293 §3.8.3: what
// is unacknowledged must stay retransmittable). Each buffer starts with a small chunk header
// that links the chain, so the queue itself is three words in the control block and holds no
// buffer while it is empty (an idle connection costs no buffer memory).
//
// Outgoing segments copy their payload out of the queue (copy_out) into a fresh frame: a
// retransmission may cut the bytes differently from the first transmission (a smaller MSS after
// PMTU, a probe of one byte), which a queue of pre-built segments could not. The head chunk
// remembers the chunk the last copy started in, so sending the next segment of a large flight
// does not walk the chain from SND.UNA again: with the peer's window scaled the flight is long,
// and that walk cost more than the copy itself.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "packet/buffer.hh"

namespace rampart::tcp {

class send_queue {
 public:
  // What each buffer of the chain gives up to the chunk header (links and fill).
  static constexpr std::uint16_t header_bytes = 32;

  std::uint32_t size() const noexcept { return _bytes; }
  bool empty() const noexcept { return _bytes == 0; }

  // Copies up to `limit` bytes of data onto the tail, allocating buffers from `pool` as needed.
  // Returns how many were taken: fewer when the pool ran dry (the caller counts it).
  std::size_t append(packet::buffer_pool& pool, std::span<const std::byte> data, std::size_t limit) noexcept;

  // A buffer whose data area starts after room for the chunk header, for the zero-copy path
  // (stream::allocate_buffer); nullopt when the pool is empty.
  static std::optional<packet::buffer> allocate_payload(packet::buffer_pool& pool) noexcept;
  // Links a buffer from allocate_payload (length = bytes written) onto the tail as it is.
  void append_payload(const packet::buffer& payload) noexcept;

  // Copies `length` bytes starting `offset` bytes after the head (SND.UNA) into out.
  // Requires offset + length <= size(). Not const: it moves the head's cursor.
  void copy_out(std::uint32_t offset, std::uint32_t length, std::byte* out) noexcept;

  // Drops the first `n` bytes (newly acknowledged), releasing buffers they emptied.
  void consume(packet::buffer_pool& pool, std::uint32_t n) noexcept;
  // Releases every buffer (connection closed or aborted).
  void clear(packet::buffer_pool& pool) noexcept;

  struct chunk;  // the in-buffer header (send_queue.cc)

 private:
  // Links c after the tail (or as the head of an empty queue), numbering its first byte.
  void link(chunk* c) noexcept;

  chunk* _head = nullptr;
  chunk* _tail = nullptr;
  std::uint32_t _head_offset = 0;  // bytes of the head chunk already acknowledged
  std::uint32_t _bytes = 0;
};

}  // namespace rampart::tcp
