#include "engine/reload.hh"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "config/schema.hh"

namespace rampart::engine {

reload_plan plan_reload(const config::engine_config& running, const config::engine_config& next) {
  reload_plan plan{config::with_live_keys(running, next), {}, {}};
  for (config::key_change& change : config::changed_keys(running, next)) {
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
