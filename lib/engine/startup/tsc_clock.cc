#include "engine/tsc_clock.hh"

#include <ctime>
#include <limits>

#include <rte_cycles.h>

namespace rampart::engine {

tsc_clock calibrate_tsc_clock() noexcept {
  std::uint64_t best_window = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t best_tsc = 0;
  std::uint64_t best_ns = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    timespec ts{};
    const std::uint64_t before = rte_rdtsc_precise();
    clock_gettime(CLOCK_REALTIME, &ts);
    const std::uint64_t after = rte_rdtsc_precise();
    if (after - before < best_window) {
      best_window = after - before;
      best_tsc = before + (after - before) / 2;
      best_ns = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
    }
  }
  return tsc_clock(best_tsc, best_ns, rte_get_tsc_hz());
}

}  // namespace rampart::engine
