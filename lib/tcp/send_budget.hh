#pragma once
// The per-lcore send budget (tcp.send_budget): every buffer a send queue holds comes through
// this pool, which forwards to the lcore's real pool but refuses once `limit` buffers are held
// by send queues together. A peer that never reads (or a thousand of them) can pin at most the
// budget, not the pool: replies, handshakes and received frames keep using the real pool.
// When the budget is reached, stream::send accepts less (possibly 0), counted as
// tcp_send_budget_refusals, and the app hears on_writable once buffers come back.
//
// The reserve: the last quarter of the budget serves only queues holding less than
// reserve_queue_bytes (about two buffers). Peers that never read each pin a whole send buffer
// (tcp.send_buffer) and never empty their queue, so a few dozen of them fill three quarters of
// the budget and then get at most one small share each; without the reserve, every other
// connection of the lcore would be refused even a one-buffer reply (an HTTP response) that its
// peer acknowledges at once. A legitimate large sender keeps moving through it, one share per
// emptied queue.
#include <cstdint>
#include <optional>

#include "packet/buffer.hh"

namespace rampart::tcp {

class send_budget final : public packet::buffer_pool {
 public:
  void attach(packet::buffer_pool& pool, std::uint32_t limit) noexcept {
    _pool = &pool;
    _limit = limit;
  }
  static constexpr std::uint32_t reserve_queue_bytes = 4096;

  // Which queue the next allocations are for (stream::send sets it before appending); each buffer
  // handed out counts towards it.
  void serve_queue(std::uint32_t queued_bytes) noexcept {
    _serving_bytes = queued_bytes;
    _refused = false;
  }
  std::optional<packet::buffer> allocate() noexcept override {
    if (_pool == nullptr) {
      return std::nullopt;
    }
    if (refuses(_serving_bytes)) {
      _refused = true;
      return std::nullopt;
    }
    auto b = _pool->allocate();
    if (b) {
      ++_held;
      _serving_bytes += b->capacity;
    }
    return b;
  }
  void retain(void* handle) noexcept override { _pool->retain(handle); }
  void release(void* handle) noexcept override {
    --_held;
    ++_releases;
    _pool->release(handle);
  }
  // A buffer allocated from the real pool (zero-copy sends) joins a send queue: it counts now.
  void adopt() noexcept { ++_held; }

  bool exhausted() const noexcept { return _held >= _limit; }
  // Whether a queue of `queued_bytes` may take no buffer now: the budget is full, or only its
  // reserve is left and the queue is not small.
  bool refuses(std::uint32_t queued_bytes) const noexcept {
    return _held >= _limit || (queued_bytes >= reserve_queue_bytes && _held >= reserve_floor());
  }
  // Whether the budget (not the pool) refused the queue being served since serve_queue.
  bool refused() const noexcept { return _refused; }
  // Released buffers so far: waiters need another look only when it moved.
  std::uint64_t releases() const noexcept { return _releases; }
  std::uint32_t held() const noexcept { return _held; }
  std::uint32_t limit() const noexcept { return _limit; }

 private:
  packet::buffer_pool* _pool = nullptr;
  std::uint32_t _held = 0;
  std::uint32_t _limit = 0;
  std::uint64_t _releases = 0;
  std::uint32_t _serving_bytes = 0;  // the queue being served, plus the buffers it took since
  bool _refused = false;

  std::uint32_t reserve_floor() const noexcept { return _limit - _limit / 4; }
};

}  // namespace rampart::tcp
