#include "preflight.hh"

#include <rte_config.h>

#include "app/registry.hh"
#include "cookie/key_schedule.hh"
#include "driver_limits.hh"
#include "engine/eal_args.hh"
#include "lcores.hh"

namespace rampart::command {

std::optional<std::string> preflight(const config::engine_config& cfg) {
  for (const config::listener_config& listener : cfg.listeners) {
    try {
      app::check_listener(listener);
    } catch (const app::app_error& e) {
      return e.what();
    }
  }
  if (std::optional<std::string> problem = engine::eal_config_conflict(cfg.eal)) {
    return problem;
  }
  if (std::optional<std::string> problem = check_lcores(cfg.eal.lcores, allowed_cpus(), RTE_MAX_LCORE)) {
    return problem;
  }
  if (std::optional<std::string> problem = check_driver_mtu(cfg)) {
    return problem;
  }
  const config::syn_cookie_config& cookies = cfg.tcp.syn_cookies;
  if (!cookies.master_secret_file.empty()) {
    try {
      cookie::key_schedule::from_master_file(cookies.master_secret_file, cookies.rotation_seconds);
    } catch (const cookie::key_error& e) {
      return std::string("tcp.syn_cookies: ") + e.what();
    }
  }
  return std::nullopt;
}

}  // namespace rampart::command
