#pragma once
// The per-lcore send budget (tcp.send_budget): every buffer a send queue holds comes through
// this pool, which forwards to the lcore's real pool but refuses once `limit` buffers are held
// by send queues together. A peer that never reads (or a thousand of them) can pin at most the
// budget, not the pool: replies, handshakes and received frames keep using the real pool.
// When the budget is reached, stream::send accepts less (possibly 0), counted as
// tcp_send_budget_refusals, and the app hears on_writable once buffers come back.
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
  std::optional<packet::buffer> allocate() noexcept override {
    if (_pool == nullptr || _held >= _limit) {
      return std::nullopt;
    }
    auto b = _pool->allocate();
    if (b) {
      ++_held;
    }
    return b;
  }
  void retain(void* handle) noexcept override { _pool->retain(handle); }
  void release(void* handle) noexcept override {
    --_held;
    _pool->release(handle);
  }
  // A buffer allocated from the real pool (zero-copy sends) joins a send queue: it counts now.
  void adopt() noexcept { ++_held; }

  bool exhausted() const noexcept { return _held >= _limit; }
  std::uint32_t held() const noexcept { return _held; }
  std::uint32_t limit() const noexcept { return _limit; }

 private:
  packet::buffer_pool* _pool = nullptr;
  std::uint32_t _held = 0;
  std::uint32_t _limit = 0;
};

}  // namespace rampart::tcp
