#pragma once
// The EAL command line, built from the `eal` section of the config only: rampart's own command
// line never reaches rte_eal_init, so what the engine runs with is exactly what the config file
// (and --check-config) says.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hh"

namespace rampart::engine {

// argv[0] is program_name; then, in this order: --lcores, -m, --no-huge, --no-pci, one --vdev
// per vdev, one -a per PCI device, --file-prefix, --in-memory, --log-level, extra_args verbatim.
// Telemetry is never disabled here (no --no-telemetry): the /rampart/* endpoints need it. Flags
// whose value is the default-off state (no_huge false, ...) are left out. No error results: the
// config module has validated the values, and EAL reports what it rejects.
std::vector<std::string> build_eal_args(const config::eal_config& eal, std::string_view program_name);

// EAL option combinations that rte_eal_init refuses with a page of usage text; returns the one
// message naming the keys and the fix, or nullopt. Known: in_memory with no_huge (--no-huge
// implies legacy memory mode, which EAL 22.11 refuses with --in-memory).
std::optional<std::string> eal_config_conflict(const config::eal_config& eal);

// "a b 'c d'": argv joined for the start-up log, quoting arguments with spaces.
std::string join_args(const std::vector<std::string>& args);

}  // namespace rampart::engine
