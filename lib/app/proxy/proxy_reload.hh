#pragma once
// SIGHUP for the proxy (app/live_args.hh): every arg applies live. The reloader keeps the
// listener's backend slots as they run (backend_slots.hh); for a change it builds, per worker,
// the whole new state an instance swaps in: the settings, the slots, a backend pool with its
// balancer already filled (a source_hash table takes milliseconds), the slots' names and the
// health checks' requests.
#include <memory>
#include <string>
#include <vector>

#include "app/live_args.hh"
#include "backend_pool.hh"
#include "backend_slots.hh"
#include "proxy_args.hh"

namespace rampart::app::proxy {

struct proxy_update final : args_update {
  proxy_update(std::shared_ptr<const proxy_settings> s, std::vector<backend_slot> all)
      : settings(std::move(s)), slots(std::move(all)), pool(slots, settings->balance, settings->max_connections) {}

  std::shared_ptr<const proxy_settings> settings;
  std::vector<backend_slot> slots;
  backend_pool pool;                        // by slot
  std::vector<std::string> names;           // by slot: "ADDRESS:PORT"
  std::vector<std::string> check_requests;  // by slot (health_checker.hh)
};

class proxy_reloader final : public args_reloader {
 public:
  // Throws app_error for args start-up refuses.
  explicit proxy_reloader(const config::listener_config& running);

  std::vector<std::unique_ptr<args_update>> prepare(const config::listener_config& next,
                                                    std::size_t workers) override;

 private:
  std::vector<backend_slot> _slots;
};

// The settings of a listener's args; throws app_error (start-up's message) for invalid ones.
proxy_settings read_listener_settings(const config::listener_config& listener);

}  // namespace rampart::app::proxy
