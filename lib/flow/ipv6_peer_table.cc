#include "flow/ipv6_peer_table.hh"

#include <cmath>
#include <stdexcept>

namespace rampart::flow {

ipv6_peer_table::ipv6_peer_table(std::uint32_t capacity, std::optional<hash_seed> seed) {
  // 2^31 keeps capacity / max_load below 2^32 index slots.
  if (capacity == 0 || capacity > (std::uint32_t{1} << 31)) {
    throw std::invalid_argument("ipv6_peer_table: capacity must be in [1, 2^31]");
  }
  _capacity = capacity;
  // At least one slot more than the capacity: a probe always reaches an empty slot.
  _index_slots = static_cast<std::uint32_t>(std::ceil(capacity / max_load));
  if (_index_slots <= capacity) {
    _index_slots = capacity + 1;
  }
  _seed = seed ? *seed : hash_seed::random();
  // Value-initialised: every page is written here, at start-up.
  _peers = std::make_unique<peer[]>(capacity);
  _free_ids = std::make_unique<ipv6_peer_id[]>(capacity);
  _index = std::make_unique<index_entry[]>(_index_slots);
  // Id 0 on top of the free stack, so ids are handed out 0, 1, 2, ... until the first release.
  for (std::uint32_t i = 0; i < capacity; ++i) {
    _free_ids[i] = capacity - 1 - i;
  }
}

std::uint32_t ipv6_peer_table::slot_of(const net::ipv6_address& address, std::uint32_t hash) const noexcept {
  std::uint32_t slot = home_of(hash);
  for (;;) {
    const index_entry& e = _index[slot];
    if (e.id_plus_one == 0 || (e.hash == hash && _peers[e.id_plus_one - 1].address == address)) {
      return slot;
    }
    slot = next(slot);
  }
}

std::optional<ipv6_peer_id> ipv6_peer_table::find(const net::ipv6_address& address) const noexcept {
  const index_entry& e = _index[slot_of(address, ipv6_peer_hash(address, _seed))];
  if (e.id_plus_one == 0) {
    return std::nullopt;
  }
  return e.id_plus_one - 1;
}

std::optional<ipv6_peer_id> ipv6_peer_table::acquire(const net::ipv6_address& address) noexcept {
  const std::uint32_t hash = ipv6_peer_hash(address, _seed);
  index_entry& e = _index[slot_of(address, hash)];
  if (e.id_plus_one != 0) {
    ++_peers[e.id_plus_one - 1].references;
    return e.id_plus_one - 1;
  }
  if (_size == _capacity) {
    return std::nullopt;
  }
  const ipv6_peer_id id = _free_ids[_capacity - 1 - _size];
  ++_size;
  _peers[id] = peer{address, 1};
  e = index_entry{hash, id + 1};
  return id;
}

void ipv6_peer_table::release(ipv6_peer_id id) noexcept {
  peer& p = _peers[id];
  if (--p.references != 0) {
    return;
  }
  --_size;
  _free_ids[_capacity - 1 - _size] = id;
  // Backward-shift deletion: `hole` is the freed slot. Each later entry of the run may move into
  // it unless its home lies cyclically in (hole, j]: then the hole is not on its probe path and
  // moving it would hide it from lookups.
  std::uint32_t hole = slot_of(p.address, ipv6_peer_hash(p.address, _seed));
  for (std::uint32_t j = next(hole);; j = next(j)) {
    const index_entry& e = _index[j];
    if (e.id_plus_one == 0) {
      break;
    }
    const std::uint32_t home = home_of(e.hash);
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      _index[hole] = e;
      hole = j;
    }
  }
  _index[hole] = index_entry{};
}

double ipv6_peer_table::bytes_per_capacity_slot() const noexcept {
  const double bytes = double{sizeof(peer) + sizeof(ipv6_peer_id)} * _capacity + double{sizeof(index_entry)} * _index_slots;
  return bytes / _capacity;
}

}  // namespace rampart::flow
