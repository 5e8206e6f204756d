#pragma once
// The effective configuration (defaults and computed values filled in) as YAML, for
// --check-config: every key the schema declares (config/schema.hh), in declaration order, each
// with its one line of doc as a comment, so the output parses back to the same config.
#include <string>

#include "config/config.hh"

namespace rampart::command {

std::string dump_config(const config::engine_config& cfg);

}  // namespace rampart::command
