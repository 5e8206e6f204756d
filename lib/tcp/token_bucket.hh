#pragma once
// A token bucket for the replies rampart sends to segments it cannot authenticate (RSTs to
// unknown ACKs and closed ports, RFC 5961 challenge ACKs): `rate` tokens a second, at most `rate`
// saved (a burst of one second's worth), refilled continuously from the burst clock. No
// calendar-second reset a spoofer could time, no floating point, no atomics: one per lcore,
// owned by it (lcore_tcp), so lcores never share a budget.
#include <algorithm>
#include <cstdint>

namespace rampart::tcp {

class token_bucket {
 public:
  // rate 0: take() never succeeds (the reply is never sent). Starts full at now_ns.
  token_bucket(std::uint32_t rate_per_second, std::uint64_t now_ns) noexcept
      : _rate(rate_per_second), _tokens(rate_per_second), _last_ns(now_ns) {}

  // Takes one token if there is one at now_ns. A clock that goes back refills nothing.
  bool take(std::uint64_t now_ns) noexcept {
    refill(now_ns);
    if (_tokens == 0) {
      return false;
    }
    --_tokens;
    return true;
  }
  std::uint32_t tokens() const noexcept { return _tokens; }
  std::uint32_t rate() const noexcept { return _rate; }

 private:
  static constexpr std::uint64_t second_ns = 1'000'000'000;

  void refill(std::uint64_t now_ns) noexcept {
    if (_tokens >= _rate || now_ns - _last_ns >= second_ns) {
      // Full, or a whole second passed (also what keeps elapsed * rate below 2^64 below).
      if (now_ns >= _last_ns) {
        _tokens = _rate;
        _last_ns = now_ns;
      }
      return;
    }
    if (now_ns <= _last_ns) {
      return;
    }
    const std::uint64_t added = (now_ns - _last_ns) * _rate / second_ns;
    if (added == 0) {
      return;
    }
    _tokens = static_cast<std::uint32_t>(std::min<std::uint64_t>(_rate, _tokens + added));
    // Keep the fraction of a token the division left: advance by the time the tokens cost.
    _last_ns = _tokens == _rate ? now_ns : _last_ns + added * second_ns / _rate;
  }

  std::uint32_t _rate;
  std::uint32_t _tokens;
  std::uint64_t _last_ns;
};

}  // namespace rampart::tcp
