#pragma once
// Per-lcore interning of remote IPv6 addresses: 16-byte address -> 32-bit id, so an IPv6
// connection's flow_key stays 12 bytes (the id is its remote_ip word, flow_key.hh's
// make_ipv6_key). One owner, no locks; every connection that uses an address holds one reference
// to its id, and the id is freed when the last one goes.
//
// Layout, allocated once at construction (capacity = the lcore's connection capacity, since every
// connection may be IPv6), nothing afterwards:
//   peers   capacity x 20 B   {address 16 B, references u32}, indexed by id
//   free    capacity x 4 B    stack of free ids (LIFO: a released id is the next one handed out)
//   index   capacity / 0.75 x 8 B   open addressing, linear probing: {hash u32, id + 1 u32}, 0 = empty
// = 20 + 4 + 8 / 0.75 ~ 34.7 bytes per capacity slot (docs/flow-table.md, "IPv6 peers").
//
// The index keeps the full 32-bit hash beside the id, so a probe compares hashes inside the index
// line and reads a peer's 16 bytes only on a hash match (almost always the address looked for).
// Erase is backward-shift deletion (Knuth, TAOCP vol. 3, 6.4 Algorithm R): the entries after the
// freed slot move back when their home allows it, so there are no tombstones and a lookup stops at
// the first empty slot, however many inserts and erases came before.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "flow/flow_key.hh"
#include "net/addresses.hh"

namespace rampart::flow {

// Id of an interned address: the remote_ip word of an IPv6 flow_key. Ids are < capacity().
using ipv6_peer_id = std::uint32_t;

// Keyed hash of an address (the flow_hash construction over its two 64-bit halves): remote
// addresses are chosen by whoever sends the SYN, and with an unkeyed hash an attacker could send
// addresses that all probe the same run of slots. The seed is drawn at random per table.
inline std::uint32_t ipv6_peer_hash(const net::ipv6_address& address, const hash_seed& seed) noexcept {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    high = (high << 8) | address.bytes[i];
    low = (low << 8) | address.bytes[8 + i];
  }
  return detail::keyed_hash(high, low, seed);
}

class ipv6_peer_table {
 public:
  static constexpr double max_load = 0.75;  // index entries / index slots when the table is full

  // Allocates and zeroes everything (no page fault later on the worker). nullopt seed:
  // hash_seed::random(). Throws std::invalid_argument for capacity 0 or above 2^31, and
  // std::bad_alloc; start-up only.
  explicit ipv6_peer_table(std::uint32_t capacity, std::optional<hash_seed> seed = std::nullopt);
  ipv6_peer_table(const ipv6_peer_table&) = delete;
  ipv6_peer_table& operator=(const ipv6_peer_table&) = delete;

  // ---- No allocation, lock, syscall or exception. ----

  // The address's id with one more reference: the id it has, or a new one. nullopt when the
  // address is new and every id is in use (size() == capacity()); nothing changes then.
  std::optional<ipv6_peer_id> acquire(const net::ipv6_address& address) noexcept;
  // The address's id without taking a reference; nullopt when no connection uses the address
  // (the input path: a miss means no connection with that peer).
  std::optional<ipv6_peer_id> find(const net::ipv6_address& address) const noexcept;
  // Drops one reference taken by acquire; the id is free (and may be handed out again) at 0.
  // `id` must hold a reference.
  void release(ipv6_peer_id id) noexcept;

  // The address of an id that holds a reference.
  const net::ipv6_address& address_of(ipv6_peer_id id) const noexcept { return _peers[id].address; }
  // References an id holds; 0 when free.
  std::uint32_t references(ipv6_peer_id id) const noexcept { return _peers[id].references; }

  std::uint32_t size() const noexcept { return _size; }  // distinct addresses held
  std::uint32_t capacity() const noexcept { return _capacity; }
  std::uint32_t index_slots() const noexcept { return _index_slots; }
  // Index slot where the probe for `address` starts: addresses with the same home slot collide.
  std::uint32_t home_slot(const net::ipv6_address& address) const noexcept {
    return home_of(ipv6_peer_hash(address, _seed));
  }
  // Bytes allocated per capacity slot (the figure of the header comment, for this capacity).
  double bytes_per_capacity_slot() const noexcept;

 private:
  struct peer {
    net::ipv6_address address;
    std::uint32_t references = 0;
  };
  static_assert(sizeof(peer) == 20, "the per-slot figure in the header comment counts 20 bytes");

  struct index_entry {
    std::uint32_t hash = 0;
    std::uint32_t id_plus_one = 0;  // 0: empty slot
  };

  std::uint32_t home_of(std::uint32_t hash) const noexcept {
    // Multiply-shift range reduction (Lemire), as flow_table: any slot count, the hash's high bits.
    return static_cast<std::uint32_t>((std::uint64_t{hash} * _index_slots) >> 32);
  }
  std::uint32_t next(std::uint32_t slot) const noexcept { return slot + 1 == _index_slots ? 0 : slot + 1; }
  // Index slot holding `address` (hashing to `hash`), or the empty slot where its probe ends.
  std::uint32_t slot_of(const net::ipv6_address& address, std::uint32_t hash) const noexcept;

  std::unique_ptr<peer[]> _peers;
  // The free ids are _free_ids[0 .. capacity - size), a stack whose top is the last of them.
  std::unique_ptr<ipv6_peer_id[]> _free_ids;
  std::unique_ptr<index_entry[]> _index;
  std::uint32_t _capacity = 0;
  std::uint32_t _index_slots = 0;
  std::uint32_t _size = 0;
  hash_seed _seed;
};

}  // namespace rampart::flow
