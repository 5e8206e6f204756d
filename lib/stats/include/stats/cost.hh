#pragma once
// Engine cost from the cost-accounting counters (busy_cycles, rx_packets) over an interval:
// what telemetry's /rampart/cost reports since start, and what rampart-load reports per second
// from the differences of two readings. Pure arithmetic, shared so both compute it one way.
#include <cstdint>

namespace rampart::stats {

struct cost_figures {
  double cycles_per_packet = 0;  // busy cycles / packets received; 0 when no packet arrived
  double busy_fraction = 0;      // busy cycles / (elapsed cycles x workers), 0..1
};

// busy_cycles and packets: summed over the workers for the interval; elapsed_cycles: the
// interval's length in TSC cycles; workers: how many worker lcores were polling.
constexpr cost_figures cost_of(std::uint64_t busy_cycles, std::uint64_t packets, std::uint64_t elapsed_cycles,
                               std::uint64_t workers) noexcept {
  cost_figures c;
  if (packets != 0) {
    c.cycles_per_packet = static_cast<double>(busy_cycles) / static_cast<double>(packets);
  }
  if (elapsed_cycles != 0 && workers != 0) {
    c.busy_fraction = static_cast<double>(busy_cycles) / (static_cast<double>(elapsed_cycles) * static_cast<double>(workers));
    if (c.busy_fraction > 1.0) {
      c.busy_fraction = 1.0;  // two readings taken a few cycles apart from a running worker
    }
  }
  return c;
}

}  // namespace rampart::stats
