#include "engine/engine.hh"

#include <optional>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pdump.h>

#include "cookie/key_schedule.hh"
#include "engine/capture.hh"
#include "engine/control_loop.hh"
#include "engine/eal_args.hh"
#include "engine/eal_session.hh"
#include "engine/log.hh"
#include "engine/port.hh"
#include "engine/signals.hh"
#include "engine/stats_report.hh"
#include "engine/system_check.hh"
#include "engine/telemetry.hh"
#include "engine/tsc_clock.hh"
#include "engine/worker.hh"
#include "engine/worker_set.hh"

namespace rampart::engine {

namespace {

// Everything that can be checked before rte_eal_init beyond the caller's pre-flight (what the file
// alone decides: apps/rampart/preflight.hh), so a common mistake ends in one message naming cause
// and fix instead of a page of EAL log lines.
void check_before_eal(const config::engine_config& cfg) {
  if (const std::optional<std::string> problem = check_live_system(cfg.eal)) {
    throw startup_error(exit_code::runtime_failure, *problem);
  }
  if (cfg.port.burst_size == 0 || cfg.port.burst_size > max_burst_size) {
    throw startup_error(exit_code::usage, "port.burst_size must be 1.." + std::to_string(max_burst_size));
  }
}

// Before EAL too: a missing or short master secret is a user error, reported before anything is
// set up. Secrets never reach a log line.
cookie::key_schedule load_cookie_keys(const config::syn_cookie_config& cookies) {
  try {
    return cookies.master_secret_file.empty()
               ? cookie::key_schedule::random(cookies.rotation_seconds)
               : cookie::key_schedule::from_master_file(cookies.master_secret_file, cookies.rotation_seconds);
  } catch (const cookie::key_error& e) {
    throw startup_error(exit_code::usage, std::string("tcp.syn_cookies: ") + e.what());
  }
}

// dpdk-dumpcap / dpdk-pdump attach as secondary processes, which needs shared hugepage memory.
// Returns whether rte_pdump_uninit is due at the end.
bool start_pdump(const config::eal_config& eal) {
  if (eal.no_huge || eal.in_memory) {
    return false;
  }
  if (rte_pdump_init() != 0) {
    log_warning(std::string("dpdk-dumpcap support unavailable: rte_pdump_init: ") + rte_strerror(rte_errno));
  }
  return true;
}

}  // namespace

exit_code run(const config::engine_config& cfg, const std::string& config_path, std::string_view program_name) {
  // First of all: a signal that arrives while the engine starts is then acted on once the
  // control loop runs (a SIGTERM drains an engine with no connection: it stops at once), instead
  // of killing the process with its runtime files left behind.
  if (!install_signal_handlers()) {
    log_warning("cannot install every signal handler (docs/operations.md, \"Signals\"); stop with SIGKILL");
  }
  check_before_eal(cfg);
  cookie::key_schedule keys = load_cookie_keys(cfg.tcp.syn_cookies);

  // Start-up: EAL, the port and its pools, one worker per worker lcore (each builds its TCP on
  // its own lcore), the control loop (which binds the metrics address).
  const eal_session eal(cfg.eal, program_name);
  check_vdevs_came_up(cfg.eal);
  const std::vector<unsigned> lcores = worker_lcores(cfg.eal);
  port dev(cfg.port, lcores);
  dev.start();
  log_port(dev.info());
  if (std::optional<std::string> problem = check_active_opens(dev.info().steering, cfg.listeners)) {
    throw startup_error(exit_code::usage, *problem);
  }
  const tsc_clock clock = calibrate_tsc_clock();
  capture_session capture(cfg.stats.capture_directory);  // built-in capture (capture.hh): ring and pool allocated now
  if (const std::string problem = capture.prepare(dev.info().socket_id < 0 ? SOCKET_ID_ANY : dev.info().socket_id);
      !problem.empty()) {
    log_warning(problem);
  }
  const bool pdump = start_pdump(cfg.eal);
  worker_set workers(cfg, dev, lcores, clock, keys.keys_at(clock.now_ns(rte_rdtsc())), capture);
  control_loop control(cfg, config_path, dev, workers, keys, clock, capture);

  // Launch: the workers, then the telemetry endpoints that read them.
  register_telemetry();
  const telemetry_source source{&dev,          workers.all(), &capture, rte_rdtsc(), &workers.lister(),
                                cfg.listeners, &control.backend_drains()};
  workers.launch();
  attach_telemetry(&source);

  control.run();

  // Stop: the workers reset their connections and return; then what read their memory lets go.
  workers.stop();
  detach_telemetry();
  capture.poll();
  if (const std::string line = capture.finish("engine stopping"); !line.empty()) {
    log_info(line);
  }
  if (pdump) {
    rte_pdump_uninit();
  }
  log_counters("final counters:", workers.total(), dev.driver_stats());
  dev.stop_and_close();
  log_info("port closed; bye");
  return exit_code::ok;
}

}  // namespace rampart::engine
