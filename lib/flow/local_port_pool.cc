#include "flow/local_port_pool.hh"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <string>

namespace rampart::flow {

namespace {

flow_key without_local_port(flow_key key) {
  key.local_port = 0;
  return key;
}

}  // namespace

local_port_pool::local_port_pool(const rss_steering& steering, const local_port_pool_options& options)
    : _steering(steering),
      _seed(options.seed.value_or(hash_seed::random())),
      _probe_limit(options.probe_limit),
      _entries(steering.entries_here()) {
  if (options.first_port > options.last_port) {
    throw std::invalid_argument("local port range " + std::to_string(options.first_port) + "-" +
                                std::to_string(options.last_port) + " is empty");
  }
  if (options.lcore_index >= options.lcore_count) {
    throw std::invalid_argument("lcore index " + std::to_string(options.lcore_index) + " of " +
                                std::to_string(options.lcore_count));
  }
  if (options.probe_limit == 0) {
    throw std::invalid_argument("probe_limit 0: an acquire could never find a port");
  }
  const std::uint32_t range = std::uint32_t{options.last_port} - options.first_port + 1;
  std::uint32_t first = options.first_port;
  std::uint32_t count = range;
  if (!steering.uses_rss()) {
    // Without RSS nothing tells the lcores' tuples apart: give each a slice of its own.
    first += static_cast<std::uint32_t>(std::uint64_t{range} * options.lcore_index / options.lcore_count);
    const std::uint32_t end = options.first_port + static_cast<std::uint32_t>(std::uint64_t{range} *
                                                                             (options.lcore_index + 1) /
                                                                             options.lcore_count);
    count = end - first;
    if (count == 0) {
      throw std::invalid_argument(std::to_string(range) + " local ports cannot be split between " +
                                  std::to_string(options.lcore_count) + " lcores");
    }
  }
  _first = static_cast<std::uint16_t>(first);
  _users.assign(count, 0);

  // Counting sort of the ports by the RETA index bits of their own hash contribution.
  const std::uint32_t classes = steering.reta_size();
  const auto class_of = [&](std::uint32_t port) {
    flow_key only_port;
    only_port.local_port = static_cast<std::uint16_t>(port);
    return steering.reta_index(steering.reply_hash(only_port));
  };
  _class_start.assign(classes + 1, 0);
  for (std::uint32_t port = first; port < first + count; ++port) {
    ++_class_start[class_of(port) + 1];
  }
  for (std::uint32_t c = 0; c < classes; ++c) {
    _largest_class = std::max(_largest_class, _class_start[c + 1]);
    _class_start[c + 1] += _class_start[c];
  }
  _class_ports.resize(count);
  std::vector<std::uint32_t> fill(_class_start.begin(), _class_start.end() - 1);
  for (std::uint32_t port = first; port < first + count; ++port) {
    _class_ports[fill[class_of(port)]++] = static_cast<std::uint16_t>(port);
  }
}

std::uint32_t local_port_pool::endpoint_bits(const flow_key& wanted) const noexcept {
  return _steering.reta_index(_steering.reply_hash(without_local_port(wanted)));
}

std::optional<flow_key> local_port_pool::acquire(const flow_key& wanted, const tuple_check& check) noexcept {
  const auto entries = static_cast<std::uint32_t>(_entries.size());
  if (entries == 0) {  // the RETA sends nothing to this queue
    ++_exhaustions;
    return std::nullopt;
  }
  const std::uint32_t base = endpoint_bits(wanted);
  // RFC 6056 §3.3.3: offset = F(local address, remote address, remote port, secret), then
  // next_ephemeral. Position p names the (p / entries mod largest class)-th port of the class of
  // entry p mod entries: consecutive positions go round this queue's classes, and a cycle of
  // entries x largest class positions names each usable port exactly once (a position past the
  // end of a smaller class names none).
  const std::uint32_t start = flow_hash(without_local_port(wanted), _seed) + _next;
  std::uint32_t entry = start % entries;
  std::uint32_t round = start / entries;
  // One cycle names every usable port: a longer walk would only see them again.
  const auto positions = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(_probe_limit, std::uint64_t{entries} * _largest_class));
  for (std::uint32_t t = 0; t < positions; ++t) {
    const std::uint32_t c = base ^ _entries[entry];
    if (const std::uint32_t index = round % _largest_class; index < class_size(c)) {
      const std::uint16_t port = _class_ports[_class_start[c] + index];
      std::uint32_t& users = _users[port - _first];
      flow_key key = wanted;
      key.local_port = port;
      if (users == 0 || check.is_free(key)) {
        ++users;
        ++_in_use;
        _next += t + 1;
        return key;
      }
    }
    if (++entry == entries) {
      entry = 0;
      ++round;
    }
  }
  _next += positions;
  ++_exhaustions;
  return std::nullopt;
}

void local_port_pool::release(std::uint16_t port) noexcept {
  const std::uint32_t index = std::uint32_t{port} - _first;  // wraps above the slice below it
  assert(index < _users.size() && _users[index] > 0 && "release of a port this pool did not hand out");
  --_users[index];
  --_in_use;
}

std::uint32_t local_port_pool::usable_ports(const flow_key& wanted) const noexcept {
  const std::uint32_t base = endpoint_bits(wanted);
  std::uint32_t usable = 0;
  for (const std::uint32_t e : _entries) {
    usable += class_size(base ^ e);
  }
  return usable;
}

}  // namespace rampart::flow
