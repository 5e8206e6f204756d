#include "preflight.hh"

#include <rte_config.h>

#include "app/registry.hh"
#include "cookie/key_schedule.hh"
#include "driver_limits.hh"
#include "engine/eal_args.hh"
#include "lcores.hh"

namespace rampart::command {

std::optional<std::string> check_local_ports(const config::port_range& ports, unsigned workers,
                                             std::span<const config::listener_config> listeners) {
  for (const config::listener_config& listener : listeners) {
    // A connection rampart opens from a listened port would share its 4-tuple with a client
    // coming from that peer's address and port.
    if (listener.port >= ports.first && listener.port <= ports.last) {
      return "listener port " + std::to_string(listener.port) + " is inside tcp.local_ports " + ports.to_string() +
             ", the ports of connections rampart opens: move the listener or the range";
    }
  }
  constexpr std::uint32_t per_worker = 1024;
  if (ports.size() < per_worker * workers) {
    return "tcp.local_ports " + ports.to_string() + " holds " + std::to_string(ports.size()) + " ports, fewer than " +
           std::to_string(per_worker) + " per worker lcore (" + std::to_string(workers) + " workers need " +
           std::to_string(per_worker * workers) + "): widen the range or run fewer workers";
  }
  return std::nullopt;
}

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
  const auto workers = static_cast<unsigned>(parse_lcores(cfg.eal.lcores).layout->lcores.size() - 1);
  if (std::optional<std::string> problem = check_local_ports(cfg.tcp.local_ports, workers, cfg.listeners)) {
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
