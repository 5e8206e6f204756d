#include "proxy_reload.hh"

#include "app/registry.hh"
#include "args.hh"
#include "health_checker.hh"

namespace rampart::app::proxy {

proxy_settings read_listener_settings(const config::listener_config& listener) {
  arg_reader args(listener);
  proxy_settings settings = read_proxy_args(args);
  args.reject_unknown();
  return settings;
}

proxy_reloader::proxy_reloader(const config::listener_config& running)
    : _slots(initial_slots(read_listener_settings(running).backends)) {}

std::vector<std::unique_ptr<args_update>> proxy_reloader::prepare(const config::listener_config& next,
                                                                  std::size_t workers) {
  auto settings = std::make_shared<const proxy_settings>(read_listener_settings(next));
  std::vector<backend_slot> slots;
  try {
    slots = merge_slots(_slots, settings->backends);
  } catch (const app_error& e) {
    throw app_error(listener_prefix(next) + "args.backends: " + e.what());
  }
  std::vector<std::unique_ptr<args_update>> updates;
  for (std::size_t w = 0; w < workers; ++w) {
    auto update = std::make_unique<proxy_update>(settings, slots);
    for (const backend_slot& s : update->slots) {
      update->names.push_back(backend_name(s.entry.endpoint));
    }
    update->check_requests = health_check_requests(*settings, slots);
    updates.push_back(std::move(update));
  }
  _slots = std::move(slots);
  return updates;
}

}  // namespace rampart::app::proxy
