#pragma once
// SIGHUP: what a re-read configuration may change while the engine runs. Pure (no EAL): the
// engine applies `effective`, logs `applied` and `needs_restart`, and has each listener of
// `live_args` check and take its new args. Which keys apply live is each key's declaration
// (config/schema.hh); which apps take new args live, app/live_args.hh (the proxy);
// docs/operations.md lists them.
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
  // A listener's args are here when its app (or plugin) changed too, or its app takes args only
  // at start-up (every app but proxy).
  std::vector<std::string> needs_restart;

  // A listener whose app takes new args live, with its args changed. They are not in `effective`
  // yet: the app checks them first (an invalid one is refused and the running args stay).
  struct args_change {
    std::size_t listener = 0;      // its index in the running config (the workers' apps)
    config::listener_config next;  // the listener as the new file has it
    // One per changed arg, by name: "listeners[port 8080].args.backends \"a:80\" -> \"b:80\"".
    std::vector<std::string> changes;
  };
  std::vector<args_change> live_args;
};

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
