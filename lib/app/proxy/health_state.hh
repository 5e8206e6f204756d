#pragma once
// A backend's health from its checks' results, with HAProxy's rise and fall counts: an up backend
// goes down after `fall` consecutive failed checks, a down one comes up after `rise` consecutive
// passed checks. One result against the streak starts it again, so a backend that fails every
// other check stays where it is. Plain arithmetic, no clock: the caller runs the checks every
// health_interval_ms and reports each result.
#include <cstdint>

namespace rampart::app::proxy {

class health_state {
 public:
  enum class change { none, went_up, went_down };

  // rise, fall ≥ 1. A backend starts up, so traffic flows before the first checks complete; a
  // dead one is found after `fall` checks, and connects that fail meanwhile are retried elsewhere.
  health_state(std::uint32_t rise, std::uint32_t fall, bool up = true) noexcept
      : _rise(rise), _fall(fall), _up(up) {}

  // New counts (a SIGHUP); the current streak counts towards them from the next result on.
  void set_thresholds(std::uint32_t rise, std::uint32_t fall) noexcept {
    _rise = rise;
    _fall = fall;
  }

  // Records one check's result; says whether the backend changed state.
  change record(bool passed) noexcept;

  bool up() const noexcept { return _up; }
  // Results in a row that go against the current state (0 after every change).
  std::uint32_t streak() const noexcept { return _streak; }
  // Transitions so far, for the counters.
  std::uint64_t went_up_count() const noexcept { return _went_up; }
  std::uint64_t went_down_count() const noexcept { return _went_down; }

 private:
  std::uint32_t _rise;
  std::uint32_t _fall;
  bool _up;
  std::uint32_t _streak = 0;
  std::uint64_t _went_up = 0;
  std::uint64_t _went_down = 0;
};

}  // namespace rampart::app::proxy
