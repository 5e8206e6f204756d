#pragma once
// The per-backend counters of an app that relays to backends (the proxy, docs/proxy.md), as
// telemetry and the metrics endpoint read them: one stats::backend_stats per backend, written by
// the app's lcore only, never moved after start-up, so another thread reads them like the
// lcore's other counters (relaxed atomics). A SIGHUP may add backends: both spans only grow, and
// an entry is written before a span covers it, so each call sees whole entries.
#include <span>
#include <string>

#include "stats/counters.hh"
#include "tcp/stream.hh"

namespace rampart::app {

class backend_counters {
 public:
  // One entry per backend, in the order of the listener's `backends` at start-up, then those a
  // SIGHUP added (a removed one stays; proxy/backend_slots.hh).
  virtual std::span<const stats::backend_stats> backend_stats() const noexcept = 0;
  // The same backends as "ADDRESS:PORT" (the `backend` label).
  virtual std::span<const std::string> backend_names() const noexcept = 0;

 protected:
  ~backend_counters() = default;
};

// The app's per-backend counters; nullptr for an app without backends.
inline const backend_counters* backend_counters_of(const tcp::application& app) noexcept {
  return dynamic_cast<const backend_counters*>(&app);
}

}  // namespace rampart::app
