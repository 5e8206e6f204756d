#pragma once
// The effective configuration (defaults filled in) as YAML, for --check-config and the start-up
// log. Keys mirror the config structs' field names, which are the YAML keys of docs/config.md,
// so the output parses back to the same config.
#include <string>

#include "config/config.hh"

namespace rampart::engine {

std::string dump_config(const config::engine_config& cfg);

}  // namespace rampart::engine
