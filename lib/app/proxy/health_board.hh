#pragma once
// The backends' health as one proxy listener's instances share it across lcores. Health is a
// property of the backend, not of an lcore, so one instance (the first built for the listener:
// the board's writer) runs the checks and publishes up/down here; the instances of the other
// lcores read it. Single writer, no lock: a flag per backend and a generation the writer bumps
// after each change, so a reader checks one word per new client and re-reads the flags only
// when it moved.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "backend_list.hh"

namespace rampart::app::proxy {

class health_board {
 public:
  // One flag per possible slot (backend_slots.hh), so a SIGHUP that adds backends finds theirs;
  // `backends`: the listener's backends at start-up (board_for_listener matches on it).
  explicit health_board(std::size_t backends) : _up(max_backends), _initial_backends(backends) {
    for (auto& up : _up) {
      up.store(1, std::memory_order_relaxed);  // health_state.hh: a backend starts up
    }
  }

  // Writer only.
  void publish(std::uint16_t backend, bool up) noexcept {
    _up[backend].store(up ? 1 : 0, std::memory_order_relaxed);
    _generation.fetch_add(1, std::memory_order_release);
  }

  // Readers: the generation first (acquire), then the flags it covers.
  std::uint64_t generation() const noexcept { return _generation.load(std::memory_order_acquire); }
  bool up(std::uint16_t backend) const noexcept { return _up[backend].load(std::memory_order_relaxed) != 0; }
  std::size_t initial_backends() const noexcept { return _initial_backends; }

 private:
  std::vector<std::atomic<std::uint8_t>> _up;
  std::size_t _initial_backends;
  std::atomic<std::uint64_t> _generation{0};
};

// The board of the proxy listener on `port`, shared by every instance built for it while one of
// them lives. `writer` is set for the instance that created it: that one runs the checks. Start-up
// only (a mutex guards the process's boards). A listener whose start-up backend count differs from the
// board's (a listener built again with other args) gets a board of its own.
std::shared_ptr<health_board> board_for_listener(std::uint16_t port, std::size_t backends, bool& writer);

}  // namespace rampart::app::proxy
