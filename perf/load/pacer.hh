#pragma once
// Sends at a fixed rate from a free-running clock (TSC cycles): the packets owed at time t are
// floor((t - start) × rate / hz) minus those already sent, so rounding never accumulates and a
// late loop turn catches up in its next bursts. A stall longer than max_backlog packets' worth
// is not caught up: the surplus is written off in `forfeited`, which says the rate was not
// reachable.
#include <algorithm>
#include <cstdint>

namespace rampart::load {

class rate_pacer {
 public:
  // rate: packets per second (> 0); hz: clock ticks per second (> 0).
  rate_pacer(std::uint64_t rate, std::uint64_t hz, std::uint64_t start, std::uint64_t max_backlog) noexcept
      : _rate(rate), _hz(hz), _start(start), _max_backlog(max_backlog) {}

  // Packets that should go out now (at most max_backlog).
  std::uint64_t due(std::uint64_t now) noexcept {
    const std::uint64_t target = target_at(now);
    if (target <= _credited) {
      return 0;
    }
    std::uint64_t owed = target - _credited;
    if (owed > _max_backlog) {
      _forfeited += owed - _max_backlog;
      _credited = target - _max_backlog;
      owed = _max_backlog;
    }
    return owed;
  }

  // Records n packets actually sent (n <= the last due()).
  void sent(std::uint64_t n) noexcept {
    _credited += n;
    _sent += n;
  }

  std::uint64_t total_sent() const noexcept { return _sent; }
  std::uint64_t forfeited() const noexcept { return _forfeited; }
  std::uint64_t rate() const noexcept { return _rate; }

  // Packets the rate asks for by `now`, since start.
  std::uint64_t target_at(std::uint64_t now) const noexcept {
    if (now <= _start) {
      return 0;
    }
    return static_cast<std::uint64_t>(static_cast<unsigned __int128>(now - _start) * _rate / _hz);
  }

 private:
  std::uint64_t _rate;
  std::uint64_t _hz;
  std::uint64_t _start;
  std::uint64_t _max_backlog;
  std::uint64_t _credited = 0;  // sent + forfeited
  std::uint64_t _sent = 0;
  std::uint64_t _forfeited = 0;
};

}  // namespace rampart::load
