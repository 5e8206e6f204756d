#pragma once
// The port's link as the driver reports it (port::link), for logs, telemetry and the metrics.
#include <cstdint>
#include <string>

namespace rampart::engine {

struct link_state {
  bool up = false;
  std::uint32_t speed_mbps = 0;  // 0 when unknown
  bool full_duplex = false;
  // The driver cannot tell: its kernel interface is not in this network namespace (net_tap
  // moved with `ip link set ... netns`). `up` is then false and means nothing.
  bool unknown = false;

  // "up", "down" or "unknown": telemetry's, the stats line's.
  const char* word() const noexcept { return unknown ? "unknown" : (up ? "up" : "down"); }
  // The same, with why it may be unknown, for the log.
  std::string text() const {
    return unknown ? "unknown (the kernel interface is in another network namespace; the driver cannot read its "
                     "state, frames still flow)"
                   : (up ? "up" : "down");
  }
};

}  // namespace rampart::engine
