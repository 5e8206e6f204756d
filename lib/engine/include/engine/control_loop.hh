#pragma once
// The main lcore once the workers run (docs/engine.md, "Control"). It wakes every `tick` and does
// each of its duties in turn, until a signal, or the end of a SIGTERM drain, stops the engine. It
// reaches the workers only through their control queues (worker_set::send) and reads their
// counters; nothing of theirs is written here.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/live_args.hh"
#include "config/config.hh"
#include "cookie/key_schedule.hh"
#include "engine/backend_drain_mailbox.hh"
#include "engine/build_info.hh"
#include "engine/metrics.hh"
#include "engine/port.hh"
#include "engine/port_events.hh"
#include "engine/port_recovery.hh"
#include "engine/reload.hh"
#include "engine/service_notify.hh"
#include "engine/stats_report.hh"
#include "engine/tsc_clock.hh"
#include "stats/counters.hh"

namespace rampart::engine {

class capture_session;
class worker_set;

class control_loop {
 public:
  // How often the loop wakes: bounds the delay of a stop request and of a link-up GARP, and the
  // jitter of the stats line.
  static constexpr std::chrono::milliseconds tick{100};

  // Binds stats.metrics_listen when it is set, so construct it before the workers launch: an
  // address that cannot be bound is a start-up error (startup_error, exit 1).
  // Registers for the port's events (port_events.hh) until run() returns.
  control_loop(const config::engine_config& cfg, std::string config_path, port& dev, worker_set& workers,
               cookie::key_schedule& keys, const tsc_clock& clock, capture_session& capture);

  // Announces the engine (the port's addresses, "ready", READY=1 to the service manager), then
  // ticks until the engine must stop, and returns once it has logged why and told the service manager,
  // no longer registered for the port's events.
  void run();

  // Where /rampart/backend_drain posts its requests; each tick forwards them to every worker.
  backend_drain_mailbox& backend_drains() noexcept { return _backend_drains; }

 private:
  using steady = std::chrono::steady_clock;

  // The start's announcement of the port's addresses (control_kind::announce), "ready", READY=1,
  // the SYN cookie line; the first stats interval starts.
  void announce();
  // The tick's wait; with stats.metrics_listen, Prometheus scrapes are answered meanwhile.
  void serve_metrics_for_a_tick();
  // The scrape's body: every worker's counters and the driver's (prometheus_text).
  std::string metrics_text() const;
  // SIGTERM: starts the drain, then returns why to stop once it is over.
  std::optional<std::string> drain();
  // SIGHUP: re-reads the config file and applies what may change live (reload.hh).
  void reload();
  // The file re-read: applies the live keys to _running and reports the rest. A file that does
  // not parse changes nothing.
  void reload_config();
  // One listener's new args: its app checks them and builds each worker's update, sent through
  // the control queues. Refused args are logged and the running ones stay.
  void apply_listener_args(const reload_plan::args_change& change);
  // Frees the updates the workers have taken, with what they replaced (app/live_args.hh).
  void free_applied_args();
  // Writes what the workers copied for /rampart/capture.
  void write_capture();
  // SIGUSR1: every counter, as at the end.
  void print_counters();
  // Link changes (polled here, and recorded at once by the LSC callback where the driver raises
  // it), logged and counted; each one told to the workers, an announcement on every down→up;
  // then the port's recovery (port_recovery.hh): a reset the driver asked for, a memif reconnect.
  void watch_link();
  // auto mode: a line when the workers whose SYNs get cookies (backlog at auto_threshold) change
  // in number, so an operator sees a flood begin and end.
  void watch_syncookies();
  // A fresh key set to every worker when the key epoch changes.
  void rotate_cookie_keys();
  // /rampart/backend_drain's requests, to every worker's queue.
  void forward_backend_drains();
  // One `stats:` line per stats.interval_seconds.
  void print_stats_line();

  config::engine_config _running;  // as the last SIGHUP left it
  std::string _config_path;
  port& _port;
  std::optional<port_events> _port_events;  // registered until run() returns: the port closes after
  port_recovery _recovery;
  worker_set& _workers;
  cookie::key_schedule& _keys;
  const tsc_clock& _clock;
  capture_session& _capture;
  backend_drain_mailbox _backend_drains;
  std::optional<metrics_server> _metrics;
  std::vector<std::uint16_t> _listener_ports;  // by listener index: the metrics' listener label
  // By listener index; nullptr for an app whose args need a restart.
  std::vector<std::unique_ptr<app::args_reloader>> _args_reloaders;
  std::vector<std::unique_ptr<app::args_update>> _args_in_flight;  // sent, not yet applied
  service_notifier _service;
  std::uint64_t _link_changes_told = 0;  // watch_link: the port_health link changes the workers know of
  std::uint64_t _syncookie_workers = 0;  // watch_syncookies: workers answering with cookies
  std::uint64_t _key_epoch = 0;
  std::optional<steady::time_point> _drain_deadline;  // set while draining
  const steady::time_point _started = steady::now();
  const build_info _build = this_build();
  steady::time_point _last_stats;
  stats::snapshot _stats_before;
  std::vector<backend_total> _backends_before;
  driver_counters _driver_before;
};

}  // namespace rampart::engine
