#pragma once
// The pre-flight: everything the config file alone decides that parsing does not, checked
// before anything starts. `rampart --check-config` runs it and stops; a start runs it, then the
// engine adds only what needs the live system or EAL (engine/system_check.hh, engine::run). So
// a file that passes --check-config fails at start only for a reason of the machine it runs on.
#include <optional>
#include <span>
#include <string>

#include "config/config.hh"

namespace rampart::command {

// The first problem as one message naming cause and fix, or nullopt. In order: every listener's
// app (a known name, valid args, a plugin that loads and accepts them: app::check_listener), EAL
// option conflicts (engine::eal_config_conflict), eal.lcores (lcores.hh, against this
// process's CPUs), tcp.local_ports against the workers and listeners (check_local_ports), port.mtu
// against the served vdev's driver (driver_limits.hh), and the master secret file (read as the
// engine reads it, in every cookie mode).
std::optional<std::string> preflight(const config::engine_config& cfg);

// nullopt when `ports` holds no listener's port and gives each of `workers` worker lcores at
// least 1024 local ports (about what one worker can use towards one backend when RSS splits the
// range); else the message.
std::optional<std::string> check_local_ports(const config::port_range& ports, unsigned workers,
                                             std::span<const config::listener_config> listeners);

}  // namespace rampart::command
