#pragma once
// Per-connection state for one app on one lcore, recycled through a free list: the heap is
// touched only when more connections need state at once than ever before on this lcore (the
// high-water mark grows), never in steady state. Owned by the app instance, so by one lcore.
#include <functional>
#include <memory>
#include <new>
#include <vector>

namespace rampart::app {

template <typename State>
class state_pool {
 public:
  explicit state_pool(std::function<std::unique_ptr<State>()> make) : _make(std::move(make)) {}

  // A state as reset() left it (or freshly made); nullptr when the heap is exhausted (the
  // caller aborts the connection and counts app_state_alloc_failures).
  State* acquire() noexcept {
    if (_free.empty()) {
      try {
        if (_all.size() == _all.capacity()) {
          // Geometric growth. Reserving one more each time copied every pointer on every new
          // state: quadratic, 50 µs per connection opened when ramping up to 65536 http
          // connections (perf/bench/tcp/stream_bench, BM_idle_connection_memory).
          const std::size_t grown = _all.size() < 16 ? 16 : 2 * _all.size();
          // Room for every state in the free list first, so release() never allocates even
          // when the second reserve throws.
          _free.reserve(grown);
          _all.reserve(grown);
        }
        _all.push_back(_make());
      } catch (const std::bad_alloc&) {
        return nullptr;
      }
      return _all.back().get();
    }
    State* state = _free.back();
    _free.pop_back();
    return state;
  }

  void release(State* state) noexcept {
    state->reset();
    _free.push_back(state);
  }

  std::size_t in_use() const noexcept { return _all.size() - _free.size(); }

 private:
  std::function<std::unique_ptr<State>()> _make;
  std::vector<std::unique_ptr<State>> _all;
  std::vector<State*> _free;
};

}  // namespace rampart::app
