#include "least_connections.hh"

#include <algorithm>
#include <bit>

namespace rampart::app::proxy {

least_connections::least_connections(std::span<const backend_entry> backends)
    : _players(backends.size()), _leaves(std::bit_ceil(std::max<std::size_t>(backends.size(), 1))) {
  _tree.assign(2 * _leaves, nobody);
  for (std::size_t i = 0; i < backends.size(); ++i) {
    _players[i].weight = backends[i].weight;
    _tree[_leaves + i] = static_cast<std::uint16_t>(i);
  }
  for (std::size_t node = _leaves - 1; node >= 1; --node) {
    _tree[node] = winner(_tree[2 * node], _tree[2 * node + 1]);
  }
}

std::optional<std::uint16_t> least_connections::pick() const noexcept {
  const std::uint16_t best = _tree[1];
  if (best == nobody || !_players[best].available) {
    return std::nullopt;
  }
  return best;
}

void least_connections::update(std::uint16_t backend, std::uint32_t active, bool available,
                               bool picked) noexcept {
  player& p = _players[backend];
  p.active = active;
  p.available = available;
  if (picked) {
    p.last_picked = ++_picks;
  }
  replay(backend);
}

std::uint16_t least_connections::winner(std::uint16_t a, std::uint16_t b) const noexcept {
  if (a == nobody || b == nobody) {
    return a == nobody ? b : a;
  }
  const player& pa = _players[a];
  const player& pb = _players[b];
  if (pa.available != pb.available) {
    return pa.available ? a : b;
  }
  // (active_a + 1) / weight_a against (active_b + 1) / weight_b, without division: weights are at
  // most 256 and counts 32-bit, so the products fit in 64 bits.
  const std::uint64_t load_a = (std::uint64_t{pa.active} + 1) * pb.weight;
  const std::uint64_t load_b = (std::uint64_t{pb.active} + 1) * pa.weight;
  if (load_a != load_b) {
    return load_a < load_b ? a : b;
  }
  if (pa.last_picked != pb.last_picked) {
    return pa.last_picked < pb.last_picked ? a : b;
  }
  return a < b ? a : b;
}

void least_connections::replay(std::uint16_t backend) noexcept {
  for (std::size_t node = (_leaves + backend) / 2; node >= 1; node /= 2) {
    _tree[node] = winner(_tree[2 * node], _tree[2 * node + 1]);
  }
}

}  // namespace rampart::app::proxy
