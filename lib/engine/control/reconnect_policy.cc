#include "engine/reconnect_policy.hh"

#include <algorithm>

namespace rampart::engine {

bool reconnects_only_on_restart(std::string_view driver, std::string_view port_name,
                                std::span<const std::string> vdevs) {
  if (driver != "net_memif") {
    return false;
  }
  for (const std::string& vdev : vdevs) {
    // "net_memif0,role=client,id=0,socket=...": the name, then comma-separated key=value pairs.
    const std::string_view text(vdev);
    if (!text.starts_with(port_name) || text.size() == port_name.size() || text[port_name.size()] != ',') {
      continue;
    }
    std::string_view args = text.substr(port_name.size() + 1);
    while (!args.empty()) {
      const std::size_t comma = args.find(',');
      if (args.substr(0, comma) == "role=client") {
        return true;
      }
      args = comma == std::string_view::npos ? std::string_view{} : args.substr(comma + 1);
    }
  }
  return false;
}

void reconnect_backoff::link_down(clock::time_point now) noexcept {
  if (!_next) {
    _next = now + _delay;
  }
}

void reconnect_backoff::link_up() noexcept {
  _next.reset();
  _delay = _first;
  _attempts = 0;
  _last_outcome.clear();
}

bool reconnect_backoff::attempted(clock::time_point now, std::string_view outcome) {
  ++_attempts;
  _delay = std::min(_delay * 2, _longest);
  _next = now + _delay;
  if (outcome == _last_outcome) {
    return false;
  }
  _last_outcome = outcome;
  return true;
}

}  // namespace rampart::engine
