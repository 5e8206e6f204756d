#include "app/registry.hh"

#include "app/live_args.hh"
#include "app/plugin_loader.hh"
#include "builtin_apps.hh"
#include "proxy/proxy_app.hh"
#include "proxy/proxy_reload.hh"

namespace rampart::app {

namespace {

constexpr std::string_view known_apps = "http, echo, discard, proxy or plugin (with plugin: FILE)";

// Loads a listener's plugin, naming the listener in any error.
std::shared_ptr<const plugin_library> load_listener_plugin(
    const config::listener_config& listener) {
  try {
    return load_plugin(listener.plugin);
  } catch (const app_error& e) {
    throw app_error(listener_prefix(listener) + e.what());
  }
}

}  // namespace

std::unique_ptr<tcp::application> make_application(const config::listener_config& listener,
                                                   const app_context& context) {
  if (listener.app == "plugin") {
    if (listener.plugin.empty()) {
      throw app_error(listener_prefix(listener) +
                      "no plugin file; add plugin: /path/to/the_plugin.so to the listener");
    }
    // The plugin checks its own args in create().
    return make_plugin_application(load_listener_plugin(listener), listener, context);
  }
  if (!listener.plugin.empty()) {
    throw app_error(listener_prefix(listener) + "plugin: is only for app: plugin; delete it");
  }
  arg_reader args(listener);
  std::unique_ptr<tcp::application> app;
  if (listener.app == "echo") {
    const echo_settings settings = read_echo_args(args);
    args.reject_unknown();
    app = make_echo(settings, context);
  } else if (listener.app == "discard") {
    args.reject_unknown();
    app = make_discard(context);
  } else if (listener.app == "http") {
    auto settings = read_http_args(args);
    args.reject_unknown();
    app = make_http(std::move(settings), context);
  } else if (listener.app == "proxy") {
    auto settings = std::make_shared<const proxy::proxy_settings>(proxy::read_listener_settings(listener));
    app = proxy::make_proxy(std::move(settings), context, listener.port);
  } else {
    throw app_error(listener_prefix(listener) + "unknown app \"" + listener.app + "\"; use " +
                    std::string(known_apps) + " (docs/apps.md)");
  }
  return app;
}

void check_listener(const config::listener_config& listener) {
  // Building one instance is the whole check: args parsed, plugin loaded, create() called (and
  // the instance destroyed with a counter set nobody reads).
  stats::lcore_stats scratch;
  const app_context context{scratch, 0};
  static_cast<void>(make_application(listener, context));
}

bool takes_args_live(const config::listener_config& listener) {
  return listener.app == "proxy" && listener.plugin.empty();
}

std::unique_ptr<args_reloader> make_args_reloader(const config::listener_config& running) {
  if (!takes_args_live(running)) {
    return nullptr;
  }
  return std::make_unique<proxy::proxy_reloader>(running);
}

}  // namespace rampart::app
