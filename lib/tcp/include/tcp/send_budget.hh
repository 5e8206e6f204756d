#pragma once
// The per-lcore send budget (tcp.send_budget): every buffer a send queue holds comes through
// this pool, which forwards to the lcore's real pool but refuses once `limit` buffers are held
// by send queues together. A peer that never reads (or a thousand of them) can pin at most the
// budget, not the pool: replies, handshakes and received frames keep using the real pool.
// When the budget is reached, stream::send accepts less (possibly 0), counted as
// tcp_send_budget_refusals, and the app hears on_writable once buffers come back.
//
// Fair share: the last quarter of the budget is kept for queues holding less than
// small_queue_bytes. Peers that never read each pin a whole send buffer (tcp.send_buffer), so a
// few hundred of them fill any budget; without the reserve, every other connection of the lcore
// would then be refused even a one-buffer reply (an HTTP response) that its peer acknowledges
// at once.
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
  // Which queue the next allocations are for (stream::send sets it before appending): once the
  // queue, with what it took since, is not small, it gets nothing from the reserve.
  void serve_queue(std::uint32_t queued_bytes) noexcept { _serving_bytes = queued_bytes; }
  std::optional<packet::buffer> allocate() noexcept override {
    if (_pool == nullptr || refuses(_serving_bytes)) {
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

  static constexpr std::uint32_t small_queue_bytes = 32 * 1024;

  bool exhausted() const noexcept { return _held >= _limit; }
  // Whether a queue of `queued_bytes` may take no buffer now: the budget is full, or only its
  // reserve is left and the queue is not small (a queue crosses the threshold by one buffer at
  // most).
  bool refuses(std::uint32_t queued_bytes) const noexcept {
    return _held >= _limit || (queued_bytes >= small_queue_bytes && _held >= reserve_floor());
  }
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

  std::uint32_t reserve_floor() const noexcept { return _limit - _limit / 4; }
};

}  // namespace rampart::tcp
