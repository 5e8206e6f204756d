#include "backend_pool.hh"

namespace rampart::app::proxy {

backend_pool::backend_pool(std::span<const backend_entry> backends, balance_method method,
                           std::uint32_t max_connections)
    : _available(backends.size(), 1),
      _available_count(backends.size()),
      _method(method),
      _max_connections(max_connections) {
  _states.reserve(backends.size());
  for (const backend_entry& b : backends) {
    _states.push_back({b});
  }
  switch (method) {
    case balance_method::round_robin:
      _round_robin = smooth_round_robin(backends);
      break;
    case balance_method::least_connections:
      _least_connections = least_connections(backends);
      break;
    case balance_method::source_hash:
      _source_hash = maglev_table(backends);
      break;
  }
}

std::optional<std::uint16_t> backend_pool::acquire(net::ipv4_address client, std::uint32_t attempt) noexcept {
  if (_available_count == 0) {
    return std::nullopt;  // without this, a pick would scan a whole turn or table to find none
  }
  std::optional<std::uint16_t> chosen;
  switch (_method) {
    case balance_method::round_robin:
      chosen = _round_robin.pick(_available);
      break;
    case balance_method::least_connections:
      chosen = _least_connections.pick();
      break;
    case balance_method::source_hash:
      chosen = _source_hash.pick(client, _available, attempt);
      break;
  }
  if (chosen) {
    ++_states[*chosen].active;
    refresh(*chosen, true);
  }
  return chosen;
}

void backend_pool::release(std::uint16_t backend) noexcept {
  --_states[backend].active;
  refresh(backend);
}

void backend_pool::set_up(std::uint16_t backend, bool up) noexcept {
  _states[backend].up = up;
  refresh(backend);
}

void backend_pool::set_draining(std::uint16_t backend, bool draining) noexcept {
  _states[backend].draining = draining;
  refresh(backend);
}

void backend_pool::refresh(std::uint16_t backend, bool picked) noexcept {
  const backend_state& s = _states[backend];
  const bool now = can_take(s);
  if (now != (_available[backend] != 0)) {
    _available[backend] = now ? 1 : 0;
    if (now) {
      ++_available_count;
    } else {
      --_available_count;
    }
  }
  if (_method == balance_method::least_connections) {
    _least_connections.update(backend, s.active, now, picked);
  }
}

}  // namespace rampart::app::proxy
