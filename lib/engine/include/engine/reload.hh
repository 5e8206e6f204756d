#pragma once
// SIGHUP: what a re-read configuration may change while the engine runs. Pure (no EAL): the
// engine applies `effective`, logs `applied` and `needs_restart`. Which keys apply live is each
// key's declaration (config/schema.hh); docs/operations.md lists them.
#include <string>
#include <vector>

#include "config/config.hh"

namespace rampart::engine {

struct reload_plan {
  // The running config with every change that applies live taken from the new file, and every
  // other key left as it runs.
  config::engine_config effective;
  // One entry per changed live key: "stats.interval_seconds 0 -> 5".
  std::vector<std::string> applied;
  // One entry per changed key that only a restart applies, in declaration order:
  // "port.mtu 1500 -> 9000", "listeners[port 8080].app \"echo\" -> \"http\"", "listeners: added port 9090".
  std::vector<std::string> needs_restart;
};

// TODO(apps): listeners[].args become live once apps take new arguments; until then a change of
// them is reported under needs_restart.
reload_plan plan_reload(const config::engine_config& running, const config::engine_config& next);

// A level of eal.log_level ("notice", "lib.eal:debug", "7") as rte_log's number (1 emergency ..
// 8 debug), and the type pattern before the ':' (empty for the global level). The config module
// has validated the text; anything else gives level 0.
struct log_level_setting {
  std::string type_pattern;
  unsigned level = 0;
};
log_level_setting parse_log_level(const std::string& text);

}  // namespace rampart::engine
