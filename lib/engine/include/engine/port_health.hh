#pragma once
// What happened to the port while it ran: every link change (counted, with the time of the last
// one) and every restart the control loop made of it (docs/operations.md, "Failures and what
// rampart does"). Written by the thread that notices (the driver's interrupt thread on an LSC
// event, the control lcore on its tick), read by telemetry and the metrics: one mutex, never
// taken by a worker.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "engine/link_state.hh"

namespace rampart::engine {

// Why the control loop stopped and started the port (port_restart.hh).
enum class restart_reason : std::uint8_t {
  reconnect,     // a memif client whose server went away: the PMD connects only at start
  device_reset,  // the driver raised RTE_ETH_EVENT_INTR_RESET: reset and reconfigure
};

struct port_health_snapshot {
  link_state link;                  // the last state observed
  std::uint64_t link_changes = 0;   // up/down/unknown changes since start
  std::optional<std::chrono::system_clock::time_point> last_link_change;
  std::uint64_t reconnect_attempts = 0;  // restarts tried for restart_reason::reconnect
  std::uint64_t reconnects = 0;          // ... after which the link came up
  std::uint64_t device_resets = 0;       // restarts for restart_reason::device_reset that succeeded
  std::uint64_t device_reset_failures = 0;
};

class port_health {
 public:
  // Records the state read at `at`. Returns true, and counts it, when it differs from the last
  // one observed (up, down and unknown are three states; the speed does not count). The first
  // observation is the reference, not a change.
  bool observe(const link_state& now, std::chrono::system_clock::time_point at) {
    const std::lock_guard lock(_mutex);
    const bool changed = _seen && (now.up != _record.link.up || now.unknown != _record.link.unknown);
    _seen = true;
    _record.link = now;
    if (changed) {
      ++_record.link_changes;
      _record.last_link_change = at;
    }
    return changed;
  }

  void count_reconnect_attempt() { bump(&port_health_snapshot::reconnect_attempts); }
  void count_reconnect() { bump(&port_health_snapshot::reconnects); }
  void count_device_reset(bool succeeded) {
    bump(succeeded ? &port_health_snapshot::device_resets : &port_health_snapshot::device_reset_failures);
  }

  port_health_snapshot read() const {
    const std::lock_guard lock(_mutex);
    return _record;
  }

 private:
  void bump(std::uint64_t port_health_snapshot::*counter) {
    const std::lock_guard lock(_mutex);
    ++(_record.*counter);
  }

  mutable std::mutex _mutex;
  bool _seen = false;
  port_health_snapshot _record;
};

}  // namespace rampart::engine
