#include "engine/reload.hh"

#include <algorithm>
#include <iterator>
#include <map>
#include <string_view>

#include "app/live_args.hh"
#include "config/schema.hh"

namespace rampart::engine {

namespace {

std::string shown(const std::map<std::string, std::string>& args, const std::string& name) {
  const auto it = args.find(name);
  return it == args.end() ? "unset" : "\"" + it->second + "\"";
}

// "listeners[port 8080].args.NAME OLD -> NEW" for each arg that differs, by name.
std::vector<std::string> arg_changes(const config::listener_config& running, const config::listener_config& next) {
  std::map<std::string, std::string> names = running.args;
  names.insert(next.args.begin(), next.args.end());
  std::vector<std::string> changes;
  for (const auto& [name, unused] : names) {
    const std::string was = shown(running.args, name);
    const std::string now = shown(next.args, name);
    if (was != now) {
      changes.push_back("listeners[port " + std::to_string(running.port) + "].args." + name + " " + was + " -> " + now);
    }
  }
  return changes;
}

}  // namespace

reload_plan plan_reload(const config::engine_config& running, const config::engine_config& next) {
  // Args an app takes live leave the key-by-key comparison: the app checks them, and the
  // control loop applies them (reload_plan::live_args).
  config::engine_config compared = next;
  std::vector<reload_plan::args_change> live_args;
  for (std::size_t i = 0; i < running.listeners.size(); ++i) {
    const config::listener_config& was = running.listeners[i];
    const auto now = std::find_if(compared.listeners.begin(), compared.listeners.end(),
                                  [&](const config::listener_config& l) { return l.port == was.port; });
    if (now != compared.listeners.end() && now->args != was.args && now->app == was.app &&
        now->plugin == was.plugin && app::takes_args_live(was)) {
      live_args.push_back({i, *now, arg_changes(was, *now)});
      now->args = was.args;
    }
  }
  reload_plan plan{config::with_live_keys(running, compared), {}, {}, std::move(live_args)};
  for (config::key_change& change : config::changed_keys(running, compared)) {
    (change.reload == config::reload_rule::live ? plan.applied : plan.needs_restart).push_back(std::move(change.text));
  }
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
