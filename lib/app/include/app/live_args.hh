#pragma once
// SIGHUP's new args for a listener whose app takes them while running (docs/operations.md,
// "Reload (SIGHUP)"). The control thread parses and checks them, and builds one update per worker
// lcore: everything that allocates happens there. Each worker swaps its update in between bursts,
// through its control queue like every other call into the app, and flags it applied; the update
// then holds what it replaced, and the control thread frees it. So a reload neither allocates,
// frees nor locks on a worker.
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hh"
#include "tcp/stream.hh"

namespace rampart::app {

// One worker's share of a change; the app that built it knows its content.
class args_update {
 public:
  virtual ~args_update() = default;
  // Set by the worker after its app took the update (release): the control thread may free it.
  std::atomic<bool> applied{false};
};

// The instance's side: takes an update its listener's args_reloader built.
class live_args {
 public:
  virtual void apply_args(args_update& update) noexcept = 0;

 protected:
  ~live_args() = default;
};

inline live_args* live_args_of(tcp::application& app) noexcept { return dynamic_cast<live_args*>(&app); }

// The control thread's side, one per listener whose app takes args live.
class args_reloader {
 public:
  virtual ~args_reloader() = default;
  // Checks `next` (the same listener, its args changed) and builds one update per worker. Throws
  // app_error, with the message start-up would give, for args that start-up would refuse (or
  // that cannot change live); the running args stay then. On success they are `next`'s.
  virtual std::vector<std::unique_ptr<args_update>> prepare(const config::listener_config& next,
                                                            std::size_t workers) = 0;
};

// The reloader of a listener as it runs; nullptr when its app's args need a restart (every app
// but proxy). Throws app_error for args start-up would refuse.
std::unique_ptr<args_reloader> make_args_reloader(const config::listener_config& running);

// Whether a change of this app's args can apply live: the one rule make_args_reloader and the
// SIGHUP plan share.
bool takes_args_live(const config::listener_config& listener);

}  // namespace rampart::app
