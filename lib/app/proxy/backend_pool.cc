#include "backend_pool.hh"

#include <algorithm>

namespace rampart::app::proxy {

namespace {

std::vector<backend_entry> entries_of(std::span<const backend_slot> slots) {
  std::vector<backend_entry> entries;
  entries.reserve(slots.size());
  for (const backend_slot& s : slots) {
    entries.push_back(s.entry);
  }
  return entries;
}

}  // namespace

backend_pool::backend_pool(std::span<const backend_entry> backends, balance_method method,
                           std::uint32_t max_connections)
    : backend_pool(initial_slots(backends), method, max_connections) {}

backend_pool::backend_pool(std::span<const backend_slot> slots, balance_method method, std::uint32_t max_connections)
    : _available(slots.size(), 0), _method(method), _max_connections(max_connections) {
  const std::vector<backend_entry> backends = entries_of(slots);
  _states.reserve(slots.size());
  for (const backend_slot& s : slots) {
    _states.push_back({.entry = s.entry, .removed = s.removed});
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
  refresh_all();
}

void backend_pool::take_state_from(const backend_pool& running) noexcept {
  const std::size_t kept = std::min(running.size(), size());
  for (std::size_t b = 0; b < kept; ++b) {
    const backend_state& was = running._states[b];
    _states[b].active = was.active;
    _states[b].up = was.up;
    _states[b].draining = was.draining;
  }
  refresh_all();
}

void backend_pool::refresh_all() noexcept {
  _available_count = 0;
  for (std::size_t b = 0; b < _states.size(); ++b) {
    _available[b] = can_take(_states[b]) ? 1 : 0;
    _available_count += _available[b];
    if (_method == balance_method::least_connections) {
      _least_connections.update(static_cast<std::uint16_t>(b), _states[b].active, _available[b] != 0);
    }
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
