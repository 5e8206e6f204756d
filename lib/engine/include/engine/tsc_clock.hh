#pragma once
// Wall-clock time from the TSC. Workers must not make a syscall per burst (clock_gettime is a
// vDSO call but still ~20 ns and not guaranteed syscall-free), so the engine reads CLOCK_REALTIME
// once at start, pairs it with a TSC reading, and every later now_ns is
//   base_ns + (tsc - base_tsc) * 10^9 / hz
// computed as a 64x64→128-bit multiply by a 32.32 fixed-point ns-per-tick factor and a shift:
// no division on the hot path, and no overflow for any uptime (the 128-bit product holds
// 2^64 ticks × 2^64). The factor's rounding error is below 2^-32 ns per tick, i.e. under a
// microsecond per hour at 1 GHz, far below what TCP timers resolve. The clock does not follow
// later NTP steps; the TCP timers only need a steady rate.
#include <cstdint>

namespace rampart::engine {

class tsc_clock {
 public:
  tsc_clock() = default;
  // hz: TSC ticks per second (rte_get_tsc_hz); must be non-zero.
  tsc_clock(std::uint64_t base_tsc, std::uint64_t base_ns, std::uint64_t hz) noexcept
      : _base_tsc(base_tsc),
        _base_ns(base_ns),
        _ns_per_tick_q32(static_cast<std::uint64_t>((static_cast<unsigned __int128>(1'000'000'000) << 32) / hz)),
        _hz(hz) {}

  // tsc earlier than base_tsc (another core's TSC a few ticks behind) reads as base_ns.
  std::uint64_t now_ns(std::uint64_t tsc) const noexcept {
    const std::uint64_t delta = tsc > _base_tsc ? tsc - _base_tsc : 0;
    return _base_ns + static_cast<std::uint64_t>((static_cast<unsigned __int128>(delta) * _ns_per_tick_q32) >> 32);
  }

  std::uint64_t hz() const noexcept { return _hz; }
  std::uint64_t base_ns() const noexcept { return _base_ns; }

 private:
  std::uint64_t _base_tsc = 0;
  std::uint64_t _base_ns = 0;
  std::uint64_t _ns_per_tick_q32 = 0;
  std::uint64_t _hz = 1;
};

// Reads CLOCK_REALTIME between two TSC reads, a few times, and keeps the pair whose TSC window
// was shortest (least disturbed by preemption); pairs the wall time with the window's midpoint.
// Needs EAL initialised (rte_get_tsc_hz). Called once, on the main lcore, before workers start.
tsc_clock calibrate_tsc_clock() noexcept;

}  // namespace rampart::engine
