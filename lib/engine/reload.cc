#include "engine/reload.hh"

#include <algorithm>
#include <iterator>
#include <string_view>


namespace rampart::engine {

namespace {

std::string text_of(const std::string& v) { return "\"" + v + "\""; }
template <typename T>
std::string text_of(const T& v) {
  return std::to_string(v);
}

class comparer {
 public:
  explicit comparer(reload_plan& plan) : _plan(plan) {}

  // A key that applies live: copied into the effective config when it changed.
  template <typename T>
  void live(std::string_view key, T& running, const T& next) {
    if (running != next) {
      _plan.applied.push_back(std::string(key) + " " + text_of(running) + " -> " + text_of(next));
      running = next;
    }
  }
  // A key or a whole section that needs a restart; `detail` says what changed.
  void restart(std::string_view key, bool changed, const std::string& detail = {}) {
    if (changed) {
      _plan.needs_restart.push_back(std::string(key) + (detail.empty() ? "" : " " + detail));
    }
  }
  template <typename T>
  void restart_value(std::string_view key, const T& running, const T& next) {
    restart(key, running != next, text_of(running) + " -> " + text_of(next));
  }

 private:
  reload_plan& _plan;
};

}  // namespace

reload_plan plan_reload(const config::engine_config& running, const config::engine_config& next) {
  reload_plan plan{running, {}, {}};
  comparer c(plan);
  config::engine_config& e = plan.effective;

  c.live("eal.log_level", e.eal.log_level, next.eal.log_level);
  c.live("stats.interval_seconds", e.stats.interval_seconds, next.stats.interval_seconds);
  c.live("tcp.drain_timeout_seconds", e.tcp.drain_timeout_seconds, next.tcp.drain_timeout_seconds);

  // The rest, compared with the live keys equalised so each change is reported once.
  config::eal_config eal = next.eal;
  eal.log_level = running.eal.log_level;
  c.restart("eal", eal != running.eal, "(lcores, memory, devices, file prefix or arguments)");
  c.restart_value("port.device", running.port.device, next.port.device);
  c.restart("port.ip", running.port.ip != next.port.ip,
            running.port.ip.to_string() + " -> " + next.port.ip.to_string());
  c.restart("port.mac", running.port.mac != next.port.mac);
  c.restart_value("port.mtu", running.port.mtu, next.port.mtu);
  c.restart_value("port.rx_descriptors", running.port.rx_descriptors, next.port.rx_descriptors);
  c.restart_value("port.tx_descriptors", running.port.tx_descriptors, next.port.tx_descriptors);
  c.restart_value("port.mbufs", running.port.mbufs, next.port.mbufs);
  c.restart_value("port.burst_size", running.port.burst_size, next.port.burst_size);
  c.restart_value("stats.metrics_listen", running.stats.metrics_listen, next.stats.metrics_listen);
  c.restart("listeners", running.listeners != next.listeners,
            "(ports, apps, plugins, args, nagle or idle timeouts; not applied live yet)");
  config::tcp_config tcp = next.tcp;
  tcp.drain_timeout_seconds = running.tcp.drain_timeout_seconds;
  c.restart("tcp", tcp != running.tcp, "(mss, window, table size, send buffer, timers or syn_cookies)");
  return plan;
}

log_level_setting parse_log_level(const std::string& text) {
  log_level_setting setting;
  const std::size_t colon = text.rfind(':');
  std::string_view level = text;
  if (colon != std::string::npos) {
    setting.type_pattern = text.substr(0, colon);
    level = level.substr(colon + 1);
  }
  static constexpr std::string_view names[] = {"emergency", "alert", "critical", "error",
                                               "warning",   "notice", "info",    "debug"};
  if (const auto* it = std::find(std::begin(names), std::end(names), level); it != std::end(names)) {
    setting.level = static_cast<unsigned>(it - std::begin(names)) + 1;
  } else if (level.size() == 1 && level[0] >= '1' && level[0] <= '8') {
    setting.level = static_cast<unsigned>(level[0] - '0');
  }
  return setting;
}

}  // namespace rampart::engine
