#pragma once
// Packet buffers as the pure modules see them: an opaque handle (an rte_mbuf* in the engine, a
// heap block in tests and fuzzers) with a writable data area, and the pool that hands them out
// and counts references. lib/tcp keeps received data for applications (zero-copy views), stores
// send queues and builds outgoing segments through this interface, so it never needs EAL.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "packet/frame.hh"

namespace rampart::packet {

struct buffer {
  void* handle = nullptr;       // the pool's object (rte_mbuf*); null: no buffer
  std::byte* data = nullptr;    // first writable byte
  std::uint16_t length = 0;     // bytes in use from data
  std::uint16_t capacity = 0;   // writable bytes from data
};

// One lcore's buffers. Every method is called by the owning lcore only; none blocks, locks or
// allocates from the heap.
class buffer_pool {
 public:
  virtual ~buffer_pool() = default;
  // A fresh buffer (reference count 1, length 0), or nullopt when the pool is empty: the caller
  // counts that and retries later, it never waits.
  virtual std::optional<buffer> allocate() noexcept = 0;
  // One more reference to a buffer (a received frame an application keeps, a queued segment).
  virtual void retain(void* handle) noexcept = 0;
  // Drops one reference; the buffer returns to the pool with the last one.
  virtual void release(void* handle) noexcept = 0;
};

// Where lib/tcp puts segments it builds in fresh buffers (timers, application sends, several
// ACKs for one input). The engine stages them and sends them with the turn's tx_burst.
class frame_sink {
 public:
  virtual ~frame_sink() = default;
  // Takes ownership of `frame` (length set) on success; false when the staging area is full, in
  // which case the buffer stays the caller's (it releases it and tries again on a later turn).
  virtual bool push(const buffer& frame, const tx_offload_request& offload) noexcept = 0;
};

}  // namespace rampart::packet
