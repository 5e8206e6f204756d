#include "engine/control_loop.hh"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <thread>

#include <rte_cycles.h>
#include <rte_log.h>

#include "app/backend_counters.hh"
#include "app/registry.hh"
#include "engine/capture.hh"
#include "engine/control_message.hh"
#include "engine/log.hh"
#include "engine/reload.hh"
#include "engine/signals.hh"
#include "engine/telemetry.hh"
#include "engine/worker.hh"
#include "engine/worker_set.hh"

namespace rampart::engine {

namespace {

// net_tap's RX path reads its fd only after a signal says data arrived (SIGIO re-routed to a
// queued real-time signal, one per receive event). A process-directed signal goes to any thread
// that does not block it; landing on the control lcore, a flood's worth of them kept its 100 ms
// tick from running, and SIGTERM took up to 37 s to act after a flood (test_syn_flood.py).
// Blocking them on this thread alone leaves them to the threads EAL created, which still accept
// them (the mask is per thread, set after EAL start); SIGINT/SIGTERM stay deliverable here.
void keep_pmd_signals_off_control_lcore() {
  sigset_t pmd_signals;
  sigemptyset(&pmd_signals);
  sigaddset(&pmd_signals, SIGIO);
  for (int s = SIGRTMIN; s <= SIGRTMAX; ++s) {
    sigaddset(&pmd_signals, s);
  }
  if (const int rc = pthread_sigmask(SIG_BLOCK, &pmd_signals, nullptr); rc != 0) {
    log_warning("cannot block PMD signals on the control lcore: " + std::string(std::strerror(rc)));
  }
}

// Applies eal.log_level to rte_log: a plain level is the global one and every type's; a
// "<pattern>:<level>" sets the matching types, as EAL's --log-level does.
void apply_log_level(const std::string& text) {
  const log_level_setting setting = parse_log_level(text);
  if (setting.level == 0) {
    return;  // validated by the config module; nothing to apply
  }
  if (setting.type_pattern.empty()) {
    rte_log_set_global_level(setting.level);
    rte_log_set_level_pattern("*", setting.level);
  } else {
    rte_log_set_level_pattern(setting.type_pattern.c_str(), setting.level);
  }
}

}  // namespace

control_loop::control_loop(const config::engine_config& cfg, std::string config_path, port& dev,
                           worker_set& workers, cookie::key_schedule& keys, const tsc_clock& clock,
                           capture_session& capture)
    : _running(cfg),
      _config_path(std::move(config_path)),
      _port(dev),
      _recovery(dev, workers, reconnects_only_on_restart(dev.info().driver, dev.info().name, cfg.eal.vdevs)),
      _workers(workers),
      _keys(keys),
      _clock(clock),
      _capture(capture),
      _key_epoch(keys.epoch_at(clock.now_ns(rte_rdtsc()))) {
  _port_events.emplace(dev);
  if (!cfg.stats.metrics_listen.empty()) {
    _metrics.emplace(*config::parse_listen_address(cfg.stats.metrics_listen));
    log_info("metrics: http://" + cfg.stats.metrics_listen + "/metrics (Prometheus text format)");
  }
  for (const config::listener_config& l : cfg.listeners) {
    _listener_ports.push_back(l.port);
    _args_reloaders.push_back(app::make_args_reloader(l));  // start-up checked the args
  }
}

void control_loop::run() {
  keep_pmd_signals_off_control_lcore();
  announce();
  std::string stop_reason;
  for (;;) {
    serve_metrics_for_a_tick();
    if (const int s = stop_now_signal(); s != 0) {
      stop_reason = signal_name(s) + " received: stopping at once";
      break;
    }
    if (std::optional<std::string> drained = drain()) {
      stop_reason = std::move(*drained);
      break;
    }
    if (take_reload_request()) {
      reload();
    }
    write_capture();
    if (take_print_request()) {
      print_counters();
    }
    watch_link();
    watch_syncookies();
    rotate_cookie_keys();
    forward_backend_drains();
    free_applied_args();
    print_stats_line();
  }
  _port_events.reset();
  log_info(stop_reason + "; stopping workers");
  _service.notify("STOPPING=1\nSTATUS=stopping: " + stop_reason);
}

void control_loop::announce() {
  // RFC 5227 §3, RFC 4861 §7.2.6: announce our addresses once the interface is usable, so peers
  // that cached an older MAC for them update. Sent right after start as well as on every link-up:
  // net_tap moved into another namespace may never report a link change to the PMD.
  _workers.send(*_workers.all().front(), control_message::announce());
  _port_events->observe_link();
  const link_state link = _port.health().read().link;
  log_info("link " + link.text() + (_port.lsc_interrupt() ? "; changes reported by the driver (LSC interrupt)"
                                                          : "; changes polled every " +
                                                                std::to_string(tick.count()) + " ms"));
  if (!link.up && !link.unknown) {
    _workers.send_to_all(control_message::link(false));
  }
  log_info("ready");
  _service.notify("READY=1\nSTATUS=serving on " + _port.info().ip.to_string() + ", " +
                  std::to_string(_workers.all().size()) + " worker(s)\nMAINPID=" + std::to_string(getpid()));
  const auto& cookies = _running.tcp.syn_cookies;
  log_info("SYN cookies: mode " + std::string(config::to_string(cookies.mode)) + ", keys " +
           (_keys.is_derived() ? "derived from the master secret" : "random") + ", rotated every " +
           std::to_string(_keys.rotation_seconds()) + " s; " + std::to_string(_running.tcp.connections_per_lcore) +
           " connections per worker");
  _last_stats = steady::now();
  _stats_before = _workers.total();
  _driver_before = _port.driver_stats();
  _backends_before = backend_totals(_workers.all(), _listener_ports);
}

void control_loop::serve_metrics_for_a_tick() {
  if (_metrics) {
    _metrics->serve_for(tick, [this] { return metrics_text(); });
  } else {
    std::this_thread::sleep_for(tick);
  }
}

std::string control_loop::metrics_text() const {
  std::vector<lcore_sample> samples;
  for (const worker* w : _workers.all()) {
    lcore_sample s{w->lcore_id, {}, std::vector<stats::listener_snapshot>(_listener_ports.size())};
    s.counters.accumulate(w->stats);
    for (std::size_t i = 0; i < _listener_ports.size(); ++i) {
      s.listeners[i].accumulate(w->stats.listeners[i]);
      if (i >= w->tcp.apps.size()) {
        continue;
      }
      if (const app::backend_counters* b = app::backend_counters_of(*w->tcp.apps[i]); b != nullptr) {
        for (std::size_t k = 0; k < b->backend_stats().size(); ++k) {
          backend_sample one{_listener_ports[i], b->backend_names()[k], {}};
          one.counters.accumulate(b->backend_stats()[k]);
          s.backends.push_back(std::move(one));
        }
      }
    }
    samples.push_back(std::move(s));
  }
  const port_health_snapshot health = _port.health().read();
  const link_state& link = health.link;
  const mbuf_usage mbufs = mbufs_of(_workers.all());
  const engine_sample engine{
      _build.version,
      _build.commit,
      _build.dpdk,
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(steady::now() - _started).count()),
      link.unknown ? std::nullopt : std::optional<bool>(link.up),
      _drain_deadline.has_value(),
      mbufs.in_use,
      mbufs.total,
      std::string(config::to_string(_running.tcp.syn_cookies.mode)),
      _running.tcp.syn_cookies.auto_threshold,
      health};
  return prometheus_text(samples, _port.driver_stats(), _port.info().name, _listener_ports) +
         prometheus_engine_text(engine, _port.info().name);
}

std::optional<std::string> control_loop::drain() {
  if (terminate_requests() != 0 && !_drain_deadline) {
    const std::uint32_t seconds = _running.tcp.drain_timeout_seconds;
    if (seconds == 0) {
      return "SIGTERM received (tcp.drain_timeout_seconds 0): stopping at once";
    }
    _service.notify("STOPPING=1\nSTATUS=draining");
    _workers.send_to_all(control_message::drain(true));
    _drain_deadline = steady::now() + std::chrono::seconds(seconds);
    log_info("SIGTERM received: draining; new SYNs are dropped (drop.tcp_draining), " +
             std::to_string(connections_to_drain(_workers.total())) +
             " connection(s) open; stopping when they are closed or in " + std::to_string(seconds) +
             " s (SIGTERM again or SIGINT stops at once)");
  }
  if (!_drain_deadline) {
    return std::nullopt;
  }
  // The gauges are per worker, refreshed as entries come and go; the drain waits for every
  // entry but TIME-WAIT ones (half-open and LAST-ACK included), which need neither app nor
  // peer: the stop drops them without a RST (lcore_tcp::shutdown), and a late duplicate of
  // theirs then meets no quarantine (docs/operations.md, "Drain").
  const stats::snapshot total = _workers.total();
  const std::uint64_t open = connections_to_drain(total);
  if (open == 0) {
    return "drain complete: no connection open (" + std::to_string(total.tcp_time_wait_active) +
           " in TIME-WAIT, dropped)";
  }
  if (steady::now() >= *_drain_deadline) {
    // The workers reset what is still open when they stop (lcore_tcp::shutdown): the peers
    // get a RST instead of waiting for a timeout.
    return "drain deadline (tcp.drain_timeout_seconds " + std::to_string(_running.tcp.drain_timeout_seconds) +
           ") passed with " + std::to_string(open) + " connection(s) open: resetting them";
  }
  return std::nullopt;
}

void control_loop::reload() {
  _service.notify("RELOADING=1\nSTATUS=reloading " + _config_path);
  reload_config();
  _service.notify("READY=1\nSTATUS=serving; configuration re-read");
}

void control_loop::reload_config() {
  config::engine_config next;
  try {
    next = config::load_config_file(_config_path);
  } catch (const config::config_error& e) {
    log_warning(std::string("SIGHUP: configuration not reloaded, still running the previous one: ") + e.what());
    return;
  }
  const reload_plan plan = plan_reload(_running, next);
  if (plan.effective.eal.log_level != _running.eal.log_level) {
    apply_log_level(plan.effective.eal.log_level);
  }
  _running = plan.effective;
  if (plan.applied.empty() && plan.needs_restart.empty() && plan.live_args.empty()) {
    log_info("SIGHUP: " + _config_path + " re-read; nothing changed");
    return;
  }
  for (const std::string& change : plan.applied) {
    log_info("SIGHUP: applied " + change);
  }
  for (const reload_plan::args_change& change : plan.live_args) {
    apply_listener_args(change);
  }
  for (const std::string& change : plan.needs_restart) {
    log_warning("SIGHUP: not applied, needs a restart: " + change);
  }
}

void control_loop::apply_listener_args(const reload_plan::args_change& change) {
  std::vector<std::unique_ptr<app::args_update>> updates;
  try {
    updates = _args_reloaders[change.listener]->prepare(change.next, _workers.all().size());
  } catch (const app::app_error& e) {
    log_warning(std::string("SIGHUP: not applied, the listener keeps its running args: ") + e.what());
    return;
  }
  for (std::size_t k = 0; k < updates.size(); ++k) {
    // A worker stuck for a second keeps its old args (send() logs it); its update is freed at exit.
    _workers.send(*_workers.all()[k],
                  control_message::apply_args({static_cast<std::uint16_t>(change.listener), updates[k].get()}));
    _args_in_flight.push_back(std::move(updates[k]));
  }
  _running.listeners[change.listener].args = change.next.args;
  for (const std::string& line : change.changes) {
    log_info("SIGHUP: applied " + line);
  }
}

void control_loop::free_applied_args() {
  std::erase_if(_args_in_flight, [](const std::unique_ptr<app::args_update>& u) {
    return u->applied.load(std::memory_order_acquire);
  });
}

void control_loop::write_capture() {
  if (const std::string line = _capture.poll(); !line.empty()) {
    log_info(line);
  }
}

void control_loop::print_counters() { log_counters("counters (SIGUSR1):", _workers.total(), _port.driver_stats()); }

void control_loop::watch_link() {
  _port_events->observe_link();
  const port_health_snapshot health = _port.health().read();
  if (health.link_changes != _link_changes_told) {
    _link_changes_told = health.link_changes;
    // Unknown (net_tap moved to another namespace) still carries frames.
    _workers.send_to_all(control_message::link(health.link.up || health.link.unknown));
    if (health.link.up) {
      _workers.send(*_workers.all().front(), control_message::announce());
    }
  }
  _recovery.tick(_port_events->take_reset_request(), steady::now());
}

void control_loop::watch_syncookies() {
  if (_running.tcp.syn_cookies.mode != config::cookie_mode::auto_mode) {
    return;  // always or never: nothing switches
  }
  std::uint64_t in_force = 0;
  for (const worker* w : _workers.all()) {
    in_force += w->stats.tcp_syncookies_in_force.read();
  }
  if (in_force == _syncookie_workers) {
    return;
  }
  const std::string threshold = "tcp.syn_cookies.auto_threshold (" +
                                std::to_string(_running.tcp.syn_cookies.auto_threshold) + " half-open entries)";
  log_info(in_force == 0 ? "SYN cookies off: every worker's SYN backlog is below " + threshold + " again"
                         : "SYN cookies on for " + std::to_string(in_force) + " of " +
                               std::to_string(_workers.all().size()) + " worker(s): their SYN backlog reached " +
                               threshold);
  _syncookie_workers = in_force;
}

void control_loop::rotate_cookie_keys() {
  // A key set holds the keys of epochs e-1, e and e+1, so shipping it when the epoch changes
  // keeps every worker one full epoch ahead of the clock (docs/syncookies.md).
  const std::uint64_t now_ns = _clock.now_ns(rte_rdtsc());
  if (_keys.epoch_at(now_ns) == _key_epoch) {
    return;
  }
  _key_epoch = _keys.epoch_at(now_ns);
  _workers.send_to_all(control_message::cookie_keys(_keys.keys_at(now_ns)));
}

void control_loop::forward_backend_drains() {
  for (const backend_drain_request& r : _backend_drains.take()) {
    _workers.send_to_all(control_message::drain_backend(r));
    log_info("backend " + std::to_string(_listener_ports[r.listener]) + "/" + std::to_string(r.backend) +
             (r.draining ? " draining: no new client, open connections finish on it" : " back in rotation"));
  }
}

void control_loop::print_stats_line() {
  if (_running.stats.interval_seconds == 0) {
    return;
  }
  const auto now = steady::now();
  const std::chrono::duration<double> elapsed = now - _last_stats;
  if (elapsed.count() < _running.stats.interval_seconds) {
    return;
  }
  const stats::snapshot current = _workers.total();
  const driver_counters current_driver = _port.driver_stats();
  std::vector<backend_total> backends = backend_totals(_workers.all(), _listener_ports);
  const port_health_snapshot health = _port.health().read();
  log_info(periodic_line(current, _stats_before, current_driver, _driver_before, elapsed.count()) +
           backends_part(backends, _backends_before) + link_part(health.link, health.link_changes));
  _backends_before = std::move(backends);
  _stats_before = current;
  _driver_before = current_driver;
  _last_stats = now;
}

}  // namespace rampart::engine
