#pragma once
// The app registry: turns a listener's config (app name, args, plugin path) into the
// tcp::application that serves it on one worker lcore. Built-in apps: echo (RFC 862), discard
// (RFC 863), http (an HTTP/1.1 responder); anything else comes from a plugin (app: plugin,
// plugin: FILE; see rampart_plugin.h). docs/apps.md documents every app and its args.
//
// Both functions run at start-up only (they parse, allocate and may dlopen); the applications
// they return never allocate per packet, throw or lock.
#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.hh"
#include "stats/counters.hh"
#include "tcp/stream.hh"

namespace rampart::app {

// A listener the registry cannot serve. The message names the listener's port and app, what is
// wrong and the fix, e.g.
//   listener on port 80 (app http): args.status: "2OO" is not a number; write an HTTP status
//   200..599
class app_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What an app instance gets from the worker lcore it runs on. The references outlive the
// application (the worker owns them).
struct app_context {
  stats::lcore_stats& stats;  // the lcore's counters: apps count requests, rejects, aborts here
  unsigned lcore_id = 0;      // the worker lcore (messages; a plugin's create() gets it)
};

// Checks a listener without building anything it does not need: the app name is known, every
// arg is known to that app and valid, and a plugin loads, has the right ABI version and accepts
// its args (its instance is created and destroyed at once). For `rampart --check-config` and the
// engine's start-up. Throws app_error.
void check_listener(const config::listener_config& listener);

// The application for one listener on one lcore; called once per worker per listener at start-up.
// Throws app_error for an unknown app name, an unknown or invalid arg, or a plugin that does not
// load or refuses its args.
std::unique_ptr<tcp::application> make_application(const config::listener_config& listener,
                                                   const app_context& context);

}  // namespace rampart::app
