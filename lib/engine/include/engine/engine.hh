#pragma once
// The engine's life (docs/engine.md): signal handlers and pre-flight checks → rte_eal_init
// (eal_session.hh, argv from the config) → port and mempools → one worker per worker lcore
// (worker_set.hh) → launch and telemetry → the control loop (control_loop.hh: "ready", the
// addresses announced on start and link-up, key rotation, periodic stats, SIGHUP/SIGUSR1) → on SIGTERM a drain
// (new SYNs dropped until the connections are gone or tcp.drain_timeout_seconds passed), on
// SIGINT at once: stop the workers, print the final counters, close the port, rte_eal_cleanup,
// remove the runtime files.
#include <string>
#include <string_view>

#include "config/config.hh"
#include "engine/startup_error.hh"

namespace rampart::engine {

// Runs until a signal stops it (docs/operations.md, "Signals": SIGTERM drains first, SIGHUP
// re-reads `config_path`, SIGUSR1 prints counters); returns exit_code::ok after a clean shutdown.
// Throws startup_error (with its exit code and one message naming cause and fix) for anything
// that stops the engine from starting: environment (hugepages, privileges, tun), EAL init,
// no worker lcore, port not found, queues/MTU refused, mempool creation.
exit_code run(const config::engine_config& cfg, const std::string& config_path, std::string_view program_name);

}  // namespace rampart::engine
