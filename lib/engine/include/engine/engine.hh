#pragma once
// The engine's life: pre-flight checks → rte_eal_init (argv from the config) → port and
// mempools → one worker per worker lcore → telemetry and signals → "ready" → the control loop
// (gratuitous ARP on start and link-up, periodic stats) → on SIGINT/SIGTERM: stop the workers,
// print the final counters, close the port, rte_eal_cleanup.
#include <string_view>

#include "config/config.hh"
#include "engine/startup_error.hh"

namespace rampart::engine {

// Runs until SIGINT or SIGTERM; returns exit_code::ok after a clean shutdown.
// Throws startup_error (with its exit code and one message naming cause and fix) for anything
// that stops the engine from starting: environment (hugepages, privileges, tun), EAL init,
// no worker lcore, port not found, queues/MTU refused, mempool creation.
exit_code run(const config::engine_config& cfg, std::string_view program_name);

}  // namespace rampart::engine
