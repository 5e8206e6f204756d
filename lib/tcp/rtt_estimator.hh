#pragma once
// RFC 6298 retransmission timeout: SRTT, RTTVAR and RTO from round-trip samples, with exponential
// back-off (§5.5) and Karn's rule left to the caller (it offers no sample from a retransmitted
// segment, §3). Pure arithmetic in microseconds; 28 bytes.
#include <algorithm>
#include <cstdint>

#include "tcp/settings.hh"

namespace rampart::tcp {

class rtt_estimator {
 public:
  explicit rtt_estimator(const rto_limits& limits) noexcept : _rto_us(limits.initial_us) {}

  // §2.2 / §2.3: the first sample sets SRTT = R, RTTVAR = R/2; later ones use alpha = 1/8,
  // beta = 1/4. RTO = SRTT + max(G, 4 * RTTVAR), clamped to the limits (G: 1 ms clock).
  void sample(std::uint32_t rtt_us, const rto_limits& limits) noexcept {
    if (_srtt_us == 0) {
      _srtt_us = std::max<std::uint32_t>(rtt_us, 1);
      _rttvar_us = rtt_us / 2;
    } else {
      const std::uint32_t delta = rtt_us > _srtt_us ? rtt_us - _srtt_us : _srtt_us - rtt_us;
      _rttvar_us = _rttvar_us - _rttvar_us / 4 + delta / 4;
      _srtt_us = std::max<std::uint32_t>(_srtt_us - _srtt_us / 8 + rtt_us / 8, 1);
    }
    _rto_us = computed_rto_us(limits);
  }

  // §5.5: "set RTO <- RTO * 2" on each expiry, up to the maximum.
  void back_off(const rto_limits& limits) noexcept {
    _rto_us = static_cast<std::uint32_t>(std::min<std::uint64_t>(2ULL * _rto_us, limits.max_us));
  }

  // Undoes §5.5's doublings: RTO as the samples say (§2.3), or the initial RTO without one
  // (§2.1). For losses known not to be the path's (a local link outage: lcore_tcp::link_restored).
  void forget_back_off(const rto_limits& limits) noexcept {
    _rto_us = _srtt_us == 0 ? limits.initial_us : computed_rto_us(limits);
  }

  std::uint32_t rto_us() const noexcept { return _rto_us; }
  std::uint32_t srtt_us() const noexcept { return _srtt_us; }     // 0: no sample yet
  std::uint32_t rttvar_us() const noexcept { return _rttvar_us; }

 private:
  std::uint32_t computed_rto_us(const rto_limits& limits) const noexcept {
    const std::uint64_t rto = std::uint64_t{_srtt_us} + std::max<std::uint64_t>(1000, 4ULL * _rttvar_us);
    return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(rto, limits.min_us, limits.max_us));
  }

  std::uint32_t _srtt_us = 0;
  std::uint32_t _rttvar_us = 0;
  std::uint32_t _rto_us;
};

}  // namespace rampart::tcp
