#pragma once
// Building apps through the registry for tests, with their own counters.
#include <map>
#include <memory>
#include <string>

#include "app/registry.hh"
#include "config/config.hh"
#include "stats/counters.hh"

namespace rampart::test {

inline config::listener_config listener(std::string app, std::map<std::string, std::string> args = {},
                                        std::string plugin = {}) {
  config::listener_config l;
  l.port = 8080;
  l.app = std::move(app);
  l.args = std::move(args);
  l.plugin = std::move(plugin);
  return l;
}

struct app_under_test {
  explicit app_under_test(const config::listener_config& l)
      : app(app::make_application(l, app::app_context{stats, 1})) {}
  stats::lcore_stats stats;
  std::unique_ptr<tcp::application> app;
};

// The message of the app_error that building `l` throws ("" when it builds).
inline std::string error_of(const config::listener_config& l) {
  try {
    app::check_listener(l);
  } catch (const app::app_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace rampart::test
