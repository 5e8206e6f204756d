#pragma once
// Draining one backend of an app that relays to backends (the proxy, docs/proxy.md "Operations"):
// the backend takes no new client, and the connections it has finish on it. The engine applies
// /rampart/backend_drain through each worker's control queue, so the call runs on the app's own
// lcore, between bursts, like every other call into the app.
#include <cstdint>

#include "tcp/stream.hh"

namespace rampart::app {

class backend_drain {
 public:
  // backend: its key in /rampart/backends (its place at start-up; a backend a SIGHUP added has
  // the next one). Returns false when there is no such backend (nothing changes).
  virtual bool set_backend_draining(std::uint16_t backend, bool draining) noexcept = 0;

 protected:
  ~backend_drain() = default;
};

// The app's drain control; nullptr for an app without backends.
inline backend_drain* backend_drain_of(tcp::application& app) noexcept { return dynamic_cast<backend_drain*>(&app); }

}  // namespace rampart::app
