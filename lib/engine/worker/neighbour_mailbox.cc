#include "engine/neighbour_mailbox.hh"

#include <thread>

namespace rampart::engine {

void neighbour_mailbox::serve(route::lcore_routes& routes, std::uint64_t now_ns) noexcept {
  _resolved = _address ? routes.resolve(*_address, now_ns) : std::nullopt;
  _count = routes.list(_rows, now_ns);
  _state.store(state::answered, std::memory_order_release);
}

bool neighbour_mailbox::wait_answered(std::chrono::steady_clock::time_point deadline) const {
  while (_state.load(std::memory_order_acquire) != state::answered) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

bool neighbour_mailbox::ask(std::optional<net::ipv4_address> address, std::chrono::milliseconds timeout,
                            const std::function<void(const answer&)>& use) {
  const std::lock_guard lock(_requesters);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // An earlier requester that timed out left its request posted: the worker still reads it.
  if (_state.load(std::memory_order_acquire) == state::posted && !wait_answered(deadline)) {
    return false;
  }
  _address = address;
  _state.store(state::posted, std::memory_order_release);
  if (!wait_answered(deadline)) {
    return false;
  }
  use(answer{std::span<const route::neighbour_row>(_rows.data(), _count), _resolved});
  _state.store(state::idle, std::memory_order_relaxed);
  return true;
}

}  // namespace rampart::engine
