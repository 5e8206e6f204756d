#include "engine/engine.hh"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_pdump.h>

#include "engine/capture.hh"
#include "engine/connection_listing.hh"
#include "engine/eal_args.hh"
#include "engine/log.hh"
#include "engine/metrics.hh"
#include "engine/port.hh"
#include "engine/reload.hh"
#include "engine/service_notify.hh"
#include "engine/signals.hh"
#include "engine/stats_report.hh"
#include "engine/system_check.hh"
#include "engine/telemetry.hh"
#include "engine/tsc_clock.hh"
#include "engine/worker.hh"
#include "cookie/key_schedule.hh"
#include "app/registry.hh"
#include "tcp/icmp_error_input.hh"
#include "tcp/lcore_tcp.hh"
#include "tcp/tcp_input.hh"

namespace rampart::engine {

namespace {

// How often the control lcore wakes: bounds the delay of a stop request, of a link-up GARP and
// the jitter of the stats line.
constexpr auto control_tick = std::chrono::milliseconds(100);

std::string eal_hint(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return "run rampart as root (EAL needs to lock memory and open devices)";
    case ENOMEM:
      return "raise eal.memory_mb, or reserve hugepages (scripts/setup-hugepages.sh), or set eal.no_huge: true";
    case EALREADY:
      return "EAL was already initialised in this process";
    case ENOTSUP:
    case ENOEXEC:
      return "a device or bus failed to probe: check eal.vdevs / eal.pci_allow and the lines above";
    case ENODEV:
      return "a vdev failed to probe: check eal.vdevs (and that its interface exists) and the lines above";
    case EINVAL:
      return "check eal.lcores, eal.vdevs and eal.extra_args against the EAL log lines above";
    case EBUSY:
      return "another DPDK process uses this eal.file_prefix; stop it or set a different one";
    default:
      return "see the EAL log lines above";
  }
}

// The files DPDK 22.11's EAL creates in its runtime directory (/var/run/dpdk/<prefix> for root,
// $XDG_RUNTIME_DIR/dpdk/<prefix> otherwise; eal_filesystem.h), plus the telemetry socket.
void remove_runtime_files(const std::filesystem::path& dir) noexcept {
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) {
    return;  // eal.in_memory: there was none
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "config" || name == "hugepage_info" || name.starts_with("fbarray_") ||
        name.starts_with("mp_socket") || name.starts_with("dpdk_telemetry")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  if (!std::filesystem::remove(dir, ec) && ec) {
    log_warning("runtime directory " + dir.string() + " not removed: " + ec.message());
  }
}

// Owns EAL from a successful rte_eal_init to rte_eal_cleanup, whatever path leaves run().
class eal_session {
 public:
  explicit eal_session(const config::eal_config& eal, std::string_view program_name) : _in_memory(eal.in_memory) {
    std::vector<std::string> args = build_eal_args(eal, program_name);
    log_info("EAL args: " + join_args(args));
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    rte_errno = 0;
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
      const int err = rte_errno;
      // Some EAL failures (the runtime config lock held by another process) leave rte_errno 0.
      const std::string cause = err != 0 ? std::string(rte_strerror(err)) + "; " + eal_hint(err)
                                         : "is another DPDK process running with eal.file_prefix \"" +
                                               eal.file_prefix + "\"? stop it or choose another prefix; "
                                               "otherwise see the EAL log lines above";
      throw startup_error(exit_code::runtime_failure, "EAL init failed: " + cause);
    }
  }
  ~eal_session() {
    // rte_eal_cleanup leaves the runtime directory's files (config, fbarray_*) behind; the
    // telemetry socket goes at exit. Take the directory's name first, remove what EAL put there
    // after, then the directory if nothing else (a secondary process's files) is left in it.
    // With --in-memory EAL made no directory, and one by the same name belongs to another
    // process: leave it alone.
    const std::filesystem::path runtime_dir = _in_memory ? std::filesystem::path() : rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    remove_runtime_files(runtime_dir);
  }
  eal_session(const eal_session&) = delete;
  eal_session& operator=(const eal_session&) = delete;

 private:
  bool _in_memory = false;
};

// Pushes, retrying briefly if the worker's queue is full (it drains it every loop turn, so a
// full queue for a whole second means the worker is stuck).
bool send_control(worker& w, const control_message& msg) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (w.control.push(msg)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log_warning("control queue of lcore " + std::to_string(w.lcore_id) + " stays full; message dropped");
  return false;
}

struct worker_deleter {
  void operator()(worker* w) const noexcept { delete w; }
};

void log_port(const port_info& info) {
  log_info("port " + info.name + " (driver " + info.driver + ", port id " + std::to_string(info.port_id) +
           ", socket " + std::to_string(info.socket_id) + "): MAC " + info.mac.to_string() + ", IP " +
           info.ip.to_string() + ", MTU " + std::to_string(info.mtu));
  log_info("queues: " + std::to_string(info.plan.queues) + " RX/TX pair(s), " + std::to_string(info.rx_descriptors) +
           " RX / " + std::to_string(info.tx_descriptors) + " TX descriptors each");
  log_info(std::string("RSS: ") + (info.plan.rss ? "on, hash " + describe_rss_hf(info.plan.rss_hf) : "off") +
           "; TX checksum offload: " + describe_tx_offloads(info.plan.tx_offloads) +
           " (other checksums in software); RX TCP checksum: " +
           ((info.plan.rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0 ? "trusted when the NIC marks it good" : "verified in software"));
  for (const std::string& w : info.plan.warnings) {
    log_warning(w);
  }
}

void log_listeners(const std::vector<config::listener_config>& listeners) {
  if (listeners.empty()) {
    log_info("listeners: none");
    return;
  }
  for (const config::listener_config& l : listeners) {
    std::string args;
    for (const auto& [name, value] : l.args) {
      args += (args.empty() ? " (" : ", ") + name + "=" + value;
    }
    if (!args.empty()) {
      args += ")";
    }
    log_info("listener: tcp port " + std::to_string(l.port) + " → app " + l.app + args);
  }
}

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

// EAL carries on when a vdev fails to probe ("vdev_probe(): failed to initialize"), so without
// this the failure would surface as "no DPDK port" or "device not found".
void check_vdevs_came_up(const config::eal_config& eal) {
  for (std::size_t i = 0; i < eal.vdevs.size(); ++i) {
    const std::string& vdev = eal.vdevs[i];
    const std::string name = vdev.substr(0, vdev.find(','));
    std::uint16_t port_id = 0;
    if (name.starts_with("net_") && rte_eth_dev_get_port_by_name(name.c_str(), &port_id) != 0) {
      const std::string_view driver = vdev_driver(vdev);
      // net_af_packet names its fanout group (pid XOR ifindex) & 0xffff, and groups are per
      // network namespace: another process's port there can hold the same id by chance.
      const std::string fanout_hint =
          driver == "net_af_packet"
              ? ". \"could not set PACKET_FANOUT\" means another process's net_af_packet port in this network "
                "namespace drew the same fanout group: start rampart again (a new pid gives a new group) or run "
                "each process in a namespace of its own (drivers-notes/net_af_packet.md)"
              : "";
      throw startup_error(exit_code::runtime_failure,
                          "eal.vdevs[" + std::to_string(i) + "] \"" + vdev + "\" did not come up: its driver " +
                              std::string(driver) +
                              " refused it (the driver's log lines above say why: an interface name in use, a "
                              "missing interface or socket, a bad argument)" + fanout_hint);
    }
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

// SIGHUP: re-reads the file; applies the live keys to `running`, reports the rest. A file that
// does not parse changes nothing.
void reload_config(const std::string& config_path, config::engine_config& running) {
  config::engine_config next;
  try {
    next = config::load_config_file(config_path);
  } catch (const config::config_error& e) {
    log_warning(std::string("SIGHUP: configuration not reloaded, still running the previous one: ") + e.what());
    return;
  }
  const reload_plan plan = plan_reload(running, next);
  if (plan.effective.eal.log_level != running.eal.log_level) {
    apply_log_level(plan.effective.eal.log_level);
  }
  running = plan.effective;
  if (plan.applied.empty() && plan.needs_restart.empty()) {
    log_info("SIGHUP: " + config_path + " re-read; nothing changed");
    return;
  }
  for (const std::string& change : plan.applied) {
    log_info("SIGHUP: applied " + change);
  }
  for (const std::string& change : plan.needs_restart) {
    log_warning("SIGHUP: not applied, needs a restart: " + change);
  }
}

// What a worker lcore builds for itself before it runs: its lcore_tcp (table, pool, timer
// wheel) and one instance of every listener's app. Allocated and first written by the worker's
// own thread, so Linux's first-touch policy places the pages on the worker's NUMA node; this is
// start-up, the only time the worker allocates.
struct worker_build {
  worker* w;
  const tcp::tcp_settings* settings;
  std::span<const config::listener_config> listeners;
  const cookie::key_set* keys;
  std::string app_error;    // an app that could not be built (the listener's message)
  std::string other_error;  // anything else (out of memory)
};

int build_worker_state(void* arg) {
  auto& b = *static_cast<worker_build*>(arg);
  worker& w = *b.w;
  try {
    w.tcp = std::make_unique<tcp::lcore_tcp>(*b.settings, b.listeners, w.stats, std::nullopt, std::nullopt,
                                             w.clock.now_ns(rte_rdtsc()));
    w.tcp->attach_io(w.buffers, w.staging);
    // One instance of every listener's app per worker: apps keep per-lcore state unshared.
    for (std::size_t l = 0; l < b.listeners.size(); ++l) {
      w.apps.push_back(app::make_application(b.listeners[l], app::app_context{w.stats, w.lcore_id}));
      w.tcp->set_application(static_cast<std::uint8_t>(l), w.apps.back().get());
    }
    w.tcp->update_keys(*b.keys);
  } catch (const app::app_error& e) {
    b.app_error = e.what();
    return -1;
  } catch (const std::exception& e) {
    b.other_error = e.what();
    return -1;
  }
  return 0;
}

// Runs build_worker_state on the worker's lcore and waits for it. Throws app::app_error or
// startup_error (runtime failure) with the worker's message.
void build_on_worker_lcore(worker& w, const tcp::tcp_settings& settings,
                           std::span<const config::listener_config> listeners, const cookie::key_set& keys) {
  worker_build build{&w, &settings, listeners, &keys, {}, {}};
  if (const int rc = rte_eal_remote_launch(build_worker_state, &build, w.lcore_id); rc != 0) {
    throw startup_error(exit_code::runtime_failure,
                        "cannot start lcore " + std::to_string(w.lcore_id) + ": " + rte_strerror(-rc));
  }
  if (rte_eal_wait_lcore(w.lcore_id) != 0) {
    if (!build.app_error.empty()) {
      throw app::app_error(build.app_error);
    }
    throw startup_error(exit_code::runtime_failure, "cannot build the TCP state of lcore " +
                                                        std::to_string(w.lcore_id) + ": " + build.other_error +
                                                        " (lower tcp.connections_per_lcore or free memory)");
  }
}

}  // namespace

exit_code run(const config::engine_config& cfg, const std::string& config_path, std::string_view program_name) {
  // First of all: a signal that arrives while the engine starts is then acted on once the
  // control loop runs (a SIGTERM drains an engine with no connection: it stops at once), instead
  // of killing the process with its runtime files left behind.
  if (!install_signal_handlers()) {
    log_warning("cannot install every signal handler (docs/operations.md, \"Signals\"); stop with SIGKILL");
  }
  // What the file alone decides, the caller's pre-flight checked (apps/rampart/preflight.hh).
  if (const std::optional<std::string> problem = check_live_system(cfg.eal)) {
    throw startup_error(exit_code::runtime_failure, *problem);
  }
  if (cfg.port.burst_size == 0 || cfg.port.burst_size > max_burst_size) {
    throw startup_error(exit_code::usage, "port.burst_size must be 1.." + std::to_string(max_burst_size));
  }

  // Cookie keys before EAL: a missing or short master secret is a user error, reported before
  // anything is set up. Secrets never reach a log line.
  std::optional<cookie::key_schedule> keys;
  try {
    const auto& sc = cfg.tcp.syn_cookies;
    keys = sc.master_secret_file.empty() ? cookie::key_schedule::random(sc.rotation_seconds)
                                         : cookie::key_schedule::from_master_file(sc.master_secret_file, sc.rotation_seconds);
  } catch (const cookie::key_error& e) {
    throw startup_error(exit_code::usage, std::string("tcp.syn_cookies: ") + e.what());
  }

  const eal_session eal(cfg.eal, program_name);
  check_vdevs_came_up(cfg.eal);
  log_info("EAL ok: " + std::to_string(rte_lcore_count()) + " lcore(s), main lcore " +
           std::to_string(rte_get_main_lcore()) + ", TSC " + std::to_string(rte_get_tsc_hz() / 1'000'000) + " MHz");

  std::vector<unsigned> worker_lcores;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    worker_lcores.push_back(lcore);
  }
  if (worker_lcores.empty()) {
    throw startup_error(exit_code::usage, "eal.lcores \"" + cfg.eal.lcores +
                                              "\" gives no worker lcore: list at least two lcores (the first "
                                              "is the control lcore), e.g. lcores: \"0-1\"");
  }

  port dev(cfg.port, worker_lcores);
  dev.start();
  log_port(dev.info());

  const tsc_clock clock = calibrate_tsc_clock();
  tcp::tcp_settings tcp_settings = tcp::tcp_settings::from_config(cfg.tcp, cfg.port.mtu, dev.info().plan.offload_caps);
  tcp_settings.local_mac = dev.info().mac;
  const cookie::key_set initial_keys = keys->keys_at(clock.now_ns(rte_rdtsc()));
  // Built-in capture (capture.hh): ring and pool allocated now; outlives the workers.
  capture_session capture;
  if (const std::string problem = capture.prepare(dev.info().socket_id < 0 ? SOCKET_ID_ANY : dev.info().socket_id);
      !problem.empty()) {
    log_warning(problem);
  }
  // dpdk-dumpcap / dpdk-pdump attach as secondary processes, which needs shared hugepage memory.
  const bool pdump = !cfg.eal.no_huge && !cfg.eal.in_memory;
  if (pdump && rte_pdump_init() != 0) {
    log_warning(std::string("dpdk-dumpcap support unavailable: rte_pdump_init: ") + rte_strerror(rte_errno));
  }
  std::vector<std::unique_ptr<worker, worker_deleter>> owned;
  std::vector<worker*> workers;
  for (std::size_t i = 0; i < worker_lcores.size(); ++i) {
    auto w = std::unique_ptr<worker, worker_deleter>(new worker);
    w->lcore_id = worker_lcores[i];
    w->port_id = dev.info().port_id;
    w->queue_id = static_cast<std::uint16_t>(i);
    w->burst_size = cfg.port.burst_size;
    w->max_frame_length = std::uint32_t{dev.info().mtu} + 14;
    w->pool = dev.pool_for_lcore(w->lcore_id);
    w->clock = clock;
    w->context.identity = {dev.info().mac, dev.info().ip};
    w->context.offload_caps = dev.info().plan.offload_caps;
    w->context.stats = &w->stats;
    w->buffers = mbuf_pool{w->pool};
    build_on_worker_lcore(*w, tcp_settings, cfg.listeners, initial_keys);
    w->context.tcp = {&tcp::tcp_input_handler, w->tcp.get()};
    w->context.tcp_icmp_error = {&tcp::icmp_error_handler, w->tcp.get()};
    w->capture = &capture;
    workers.push_back(w.get());
    owned.push_back(std::move(w));
  }

  // Before telemetry is attached: a refused address throws, and nothing may point at `source`.
  std::optional<metrics_server> metrics;
  if (!cfg.stats.metrics_listen.empty()) {
    metrics.emplace(*config::parse_listen_address(cfg.stats.metrics_listen));
    log_info("metrics: http://" + cfg.stats.metrics_listen + "/metrics (Prometheus text format)");
  }
  register_telemetry();
  // Outlives the workers' loops: a worker may still write the rows of a request that timed out.
  std::vector<connection_lister::target> listing_targets;
  for (worker* w : workers) {
    listing_targets.push_back({w->lcore_id, &w->listing});
  }
  connection_lister lister(std::move(listing_targets),
                           [](unsigned lcore) { return rte_eal_get_lcore_state(lcore) == RUNNING; });
  const telemetry_source source{&dev, workers, &capture, rte_rdtsc(), &lister, cfg.listeners};
  attach_telemetry(&source);
  std::vector<std::uint16_t> listener_ports;  // by listener index: metrics and /rampart/listeners
  for (const config::listener_config& l : cfg.listeners) {
    listener_ports.push_back(l.port);
  }
  const auto metrics_body = [&]() {
    std::vector<lcore_sample> samples;
    for (const worker* w : workers) {
      lcore_sample s{w->lcore_id, {}, std::vector<stats::listener_snapshot>(listener_ports.size())};
      s.counters.accumulate(w->stats);
      for (std::size_t i = 0; i < listener_ports.size(); ++i) {
        s.listeners[i].accumulate(w->stats.listeners[i]);
      }
      samples.push_back(std::move(s));
    }
    return prometheus_text(samples, dev.driver_stats(), dev.info().name, listener_ports);
  };

  log_listeners(cfg.listeners);
  for (worker* w : workers) {
    if (const int rc = rte_eal_remote_launch(run_worker, w, w->lcore_id); rc != 0) {
      // Launch fails only when the lcore is busy, which nothing else in rampart makes it.
      for (worker* started : workers) {
        if (started == w) {
          break;
        }
        send_control(*started, control_message::stop());
      }
      rte_eal_mp_wait_lcore();
      detach_telemetry();
      throw startup_error(exit_code::runtime_failure,
                          "cannot launch the worker on lcore " + std::to_string(w->lcore_id) + ": " + rte_strerror(-rc));
    }
  }
  std::string lcores_text;
  for (const unsigned l : worker_lcores) {
    lcores_text += (lcores_text.empty() ? "" : ",") + std::to_string(l);
  }
  log_info("workers running on lcore(s) " + lcores_text);
  keep_pmd_signals_off_control_lcore();

  // RFC 5227 §3: announce our address once the interface is usable, so peers that cached an
  // older MAC for it update. Sent right after start as well as on every link-up: net_tap moved
  // into another namespace may never report a link change to the PMD.
  send_control(*workers.front(), control_message::gratuitous_arp());
  link_state link = dev.link();
  log_info("link " + link.text());
  log_info("ready");
  service_notifier service;
  service.notify("READY=1\nSTATUS=serving on " + dev.info().ip.to_string() + ", " + std::to_string(workers.size()) +
                 " worker(s)\nMAINPID=" + std::to_string(getpid()));

  log_info("SYN cookies: mode " + std::string(config::to_string(cfg.tcp.syn_cookies.mode)) + ", keys " +
           (keys->is_derived() ? "derived from the master secret" : "random") + ", rotated every " +
           std::to_string(keys->rotation_seconds()) + " s; " + std::to_string(cfg.tcp.connections_per_lcore) +
           " connections per worker");
  std::uint64_t key_epoch = keys->epoch_at(clock.now_ns(rte_rdtsc()));
  config::engine_config running = cfg;  // SIGHUP changes its live keys (reload.hh)

  using clock_type = std::chrono::steady_clock;
  auto last_stats = clock_type::now();
  stats::snapshot previous = total_of(workers);
  driver_counters previous_driver = dev.driver_stats();
  std::optional<clock_type::time_point> drain_deadline;  // set while draining (first SIGTERM)
  std::string stop_reason;
  for (;;) {
    if (metrics) {
      metrics->serve_for(control_tick, metrics_body);  // the tick's wait, answering scrapes
    } else {
      std::this_thread::sleep_for(control_tick);
    }
    if (const int s = stop_now_signal(); s != 0) {
      stop_reason = signal_name(s) + " received: stopping at once";
      break;
    }
    if (terminate_requests() != 0 && !drain_deadline) {
      const std::uint32_t seconds = running.tcp.drain_timeout_seconds;
      if (seconds == 0) {
        stop_reason = "SIGTERM received (tcp.drain_timeout_seconds 0): stopping at once";
        break;
      }
      service.notify("STOPPING=1\nSTATUS=draining");
      for (worker* w : workers) {
        send_control(*w, control_message::drain(true));
      }
      drain_deadline = clock_type::now() + std::chrono::seconds(seconds);
      log_info("SIGTERM received: draining; new SYNs are dropped (drop.tcp_draining), " +
               std::to_string(connections_to_drain(total_of(workers))) +
               " connection(s) open; stopping when they are closed or in " + std::to_string(seconds) +
               " s (SIGTERM again or SIGINT stops at once)");
    }
    if (drain_deadline) {
      // The gauges are per worker, refreshed as entries come and go; the drain waits for every
      // entry but TIME-WAIT ones (half-open and LAST-ACK included), which need neither app nor
      // peer: the stop drops them without a RST (lcore_tcp::shutdown), and a late duplicate of
      // theirs then meets no quarantine (docs/operations.md, "Drain").
      const stats::snapshot total = total_of(workers);
      const std::uint64_t open = connections_to_drain(total);
      if (open == 0) {
        stop_reason = "drain complete: no connection open (" + std::to_string(total.tcp_time_wait_active) +
                      " in TIME-WAIT, dropped)";
        break;
      }
      if (clock_type::now() >= *drain_deadline) {
        // The workers reset what is still open when they stop (lcore_tcp::shutdown): the peers
        // get a RST instead of waiting for a timeout.
        stop_reason = "drain deadline (tcp.drain_timeout_seconds " +
                      std::to_string(running.tcp.drain_timeout_seconds) + ") passed with " +
                      std::to_string(open) + " connection(s) open: resetting them";
        break;
      }
    }
    if (take_reload_request()) {
      service.notify("RELOADING=1\nSTATUS=reloading " + config_path);
      reload_config(config_path, running);
      service.notify("READY=1\nSTATUS=serving; configuration re-read");
    }
    if (const std::string line = capture.poll(); !line.empty()) {
      log_info(line);
    }
    if (take_print_request()) {
      log_info("counters (SIGUSR1):");
      for (const std::string& line : final_report_lines(total_of(workers), dev.driver_stats())) {
        log_info("  " + line);
      }
    }
    const link_state now = dev.link();
    if (now.up != link.up || now.unknown != link.unknown) {
      log_info("link " + now.text());
      if (now.up) {
        send_control(*workers.front(), control_message::gratuitous_arp());
      }
      link = now;
    }
    // Key rotation: a key set holds the keys of epochs e-1, e and e+1, so shipping it when the
    // epoch changes keeps every worker one full epoch ahead of the clock (docs/syncookies.md).
    if (const std::uint64_t now_ns = clock.now_ns(rte_rdtsc()); keys->epoch_at(now_ns) != key_epoch) {
      key_epoch = keys->epoch_at(now_ns);
      const control_message update = control_message::cookie_keys(keys->keys_at(now_ns));
      for (worker* w : workers) {
        send_control(*w, update);
      }
    }
    if (running.stats.interval_seconds != 0) {
      const auto now = clock_type::now();
      const std::chrono::duration<double> elapsed = now - last_stats;
      if (elapsed.count() >= running.stats.interval_seconds) {
        const stats::snapshot current = total_of(workers);
        const driver_counters current_driver = dev.driver_stats();
        const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch());
        log_info(periodic_line(current, previous, current_driver, previous_driver, elapsed.count(),
                               utc_timestamp(unix_now.count())));
        previous = current;
        previous_driver = current_driver;
        last_stats = now;
      }
    }
  }

  log_info(stop_reason + "; stopping workers");
  service.notify("STOPPING=1\nSTATUS=stopping: " + stop_reason);
  for (worker* w : workers) {
    send_control(*w, control_message::stop());
  }
  rte_eal_mp_wait_lcore();
  detach_telemetry();
  capture.poll();
  if (const std::string line = capture.finish("engine stopping"); !line.empty()) {
    log_info(line);
  }
  if (pdump) {
    rte_pdump_uninit();
  }

  log_info("final counters:");
  for (const std::string& line : final_report_lines(total_of(workers), dev.driver_stats())) {
    log_info("  " + line);
  }
  dev.stop_and_close();
  log_info("port closed; bye");
  return exit_code::ok;
}

}  // namespace rampart::engine
