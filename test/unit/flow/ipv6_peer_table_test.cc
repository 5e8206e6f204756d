#include "flow/ipv6_peer_table.hh"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "flow_test_keys.hh"

using namespace rampart::flow;
using rampart::flow::test::fixed_seed;
using rampart::net::ipv6_address;

namespace {

// fd77::<n>, distinct for distinct n.
ipv6_address peer(std::uint32_t n) {
  return {{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
           static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)}};
}

// The first `count` addresses peer(n), n = 0, 1, ..., whose probe starts at `home`.
std::vector<ipv6_address> peers_with_home(const ipv6_peer_table& table, std::uint32_t home, std::size_t count) {
  std::vector<ipv6_address> out;
  for (std::uint32_t n = 0; out.size() < count; ++n) {
    if (table.home_slot(peer(n)) == home) {
      out.push_back(peer(n));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("ipv6_peer_table: acquire, find, address_of and release round trip", "[unit][flow]") {
  ipv6_peer_table table(16, fixed_seed);
  CHECK(table.capacity() == 16);
  CHECK(table.size() == 0);
  CHECK_FALSE(table.find(peer(1)).has_value());

  const auto id = table.acquire(peer(1));
  REQUIRE(id.has_value());
  CHECK(*id < table.capacity());
  CHECK(table.size() == 1);
  CHECK(table.find(peer(1)) == id);
  CHECK(table.address_of(*id) == peer(1));
  CHECK(table.references(*id) == 1);
  CHECK_FALSE(table.find(peer(2)).has_value());

  table.release(*id);
  CHECK(table.size() == 0);
  CHECK(table.references(*id) == 0);
  CHECK_FALSE(table.find(peer(1)).has_value());
}

TEST_CASE("ipv6_peer_table: one id per address, one reference per acquire", "[unit][flow]") {
  ipv6_peer_table table(16, fixed_seed);
  const auto a = table.acquire(peer(7));
  const auto b = table.acquire(peer(7));
  const auto c = table.acquire(peer(7));
  REQUIRE(a.has_value());
  CHECK(b == a);
  CHECK(c == a);
  CHECK(table.size() == 1);
  CHECK(table.references(*a) == 3);

  table.release(*a);
  table.release(*a);
  CHECK(table.find(peer(7)) == a);  // one connection still uses it
  CHECK(table.references(*a) == 1);
  table.release(*a);
  CHECK_FALSE(table.find(peer(7)).has_value());
  CHECK(table.size() == 0);
}

TEST_CASE("ipv6_peer_table: full table refuses a new address, not a known one", "[unit][flow]") {
  ipv6_peer_table table(4, fixed_seed);
  std::vector<ipv6_peer_id> ids;
  for (std::uint32_t n = 0; n < 4; ++n) {
    const auto id = table.acquire(peer(n));
    REQUIRE(id.has_value());
    ids.push_back(*id);
  }
  CHECK(table.size() == 4);
  CHECK_FALSE(table.acquire(peer(100)).has_value());
  CHECK(table.size() == 4);
  CHECK_FALSE(table.find(peer(100)).has_value());
  CHECK(table.acquire(peer(2)) == ids[2]);  // a known address only gains a reference
  CHECK(table.references(ids[2]) == 2);

  table.release(ids[0]);
  const auto fresh = table.acquire(peer(100));
  REQUIRE(fresh.has_value());
  CHECK(*fresh == ids[0]);  // the freed id is the one handed out
  CHECK(table.address_of(*fresh) == peer(100));
}

TEST_CASE("ipv6_peer_table: ids are dense and reused after release", "[unit][flow]") {
  ipv6_peer_table table(8, fixed_seed);
  for (std::uint32_t n = 0; n < 8; ++n) {
    CHECK(table.acquire(peer(n)) == std::optional<ipv6_peer_id>(n));
  }
  table.release(5);
  table.release(2);
  CHECK(table.acquire(peer(50)) == std::optional<ipv6_peer_id>(2));  // last freed, first reused
  CHECK(table.acquire(peer(51)) == std::optional<ipv6_peer_id>(5));
  CHECK(table.find(peer(2)) == std::nullopt);
  CHECK(table.find(peer(5)) == std::nullopt);
  CHECK(table.find(peer(50)) == std::optional<ipv6_peer_id>(2));
}

TEST_CASE("ipv6_peer_table: erase inside a run of collisions keeps every other address findable",
          "[unit][flow]") {
  ipv6_peer_table table(64, fixed_seed);
  const std::uint32_t last = table.index_slots() - 1;
  // Two runs: one that wraps from the last slot to slot 0 and one that starts in the middle, each
  // long enough to cover the slots after its home.
  for (const std::uint32_t home : {last, table.index_slots() / 2}) {
    CAPTURE(home);
    const std::vector<ipv6_address> colliding = peers_with_home(table, home, 6);
    // Addresses homed just after `home` land behind the colliding ones and must be shifted back
    // only when their own home allows it.
    const std::vector<ipv6_address> neighbours = peers_with_home(table, home == last ? 0 : home + 1, 3);
    for (std::size_t erased = 0; erased < colliding.size(); ++erased) {
      CAPTURE(erased);
      std::map<ipv6_address, ipv6_peer_id> held;
      for (std::size_t i = 0; i < colliding.size(); ++i) {
        held[colliding[i]] = *table.acquire(colliding[i]);
        if (i < neighbours.size()) {
          held[neighbours[i]] = *table.acquire(neighbours[i]);
        }
      }
      table.release(held[colliding[erased]]);
      CHECK_FALSE(table.find(colliding[erased]).has_value());
      held.erase(colliding[erased]);
      for (const auto& [address, id] : held) {
        CHECK(table.find(address) == std::optional<ipv6_peer_id>(id));
      }
      for (const auto& [address, id] : held) {
        table.release(id);
      }
      REQUIRE(table.size() == 0);
    }
  }
}

TEST_CASE("ipv6_peer_table: agrees with std::map over 100k random operations", "[unit][flow]") {
  // 600 addresses for a capacity of 256: the table is full often, and every address comes and
  // goes many times, so erases happen inside runs of every length.
  constexpr std::uint32_t capacity = 256;
  constexpr std::uint32_t addresses = 600;
  ipv6_peer_table table(capacity, fixed_seed);
  struct held {
    ipv6_peer_id id;
    std::uint32_t references;
  };
  std::map<ipv6_address, held> model;
  std::mt19937 rng(17);
  std::uniform_int_distribution<std::uint32_t> pick(0, addresses - 1);
  std::uniform_int_distribution<int> op(0, 2);
  for (int step = 0; step < 100'000; ++step) {
    const ipv6_address a = peer(pick(rng));
    const auto it = model.find(a);
    switch (op(rng)) {
      case 0: {  // acquire
        const auto id = table.acquire(a);
        if (it != model.end()) {
          REQUIRE(id == std::optional<ipv6_peer_id>(it->second.id));
          ++it->second.references;
        } else if (model.size() == capacity) {
          REQUIRE_FALSE(id.has_value());
        } else {
          REQUIRE(id.has_value());
          model[a] = held{*id, 1};
        }
        break;
      }
      case 1:  // release
        if (it != model.end()) {
          table.release(it->second.id);
          if (--it->second.references == 0) {
            model.erase(it);
          }
        }
        break;
      default:  // find
        REQUIRE(table.find(a) == (it == model.end() ? std::nullopt : std::optional<ipv6_peer_id>(it->second.id)));
        break;
    }
    REQUIRE(table.size() == model.size());
  }
  std::vector<bool> id_used(capacity, false);
  for (const auto& [address, h] : model) {
    REQUIRE(table.find(address) == std::optional<ipv6_peer_id>(h.id));
    REQUIRE(table.address_of(h.id) == address);
    REQUIRE(table.references(h.id) == h.references);
    REQUIRE_FALSE(id_used[h.id]);  // no id shared by two addresses
    id_used[h.id] = true;
  }
}

TEST_CASE("ipv6_peer_table: the seed decides where an address lands", "[unit][flow]") {
  // Same addresses, two seeds: the home slots differ for most of them (an attacker who does not
  // know the seed cannot aim addresses at one run of slots).
  const ipv6_peer_table a(1024, fixed_seed);
  const ipv6_peer_table b(1024, hash_seed{0x1111111111111111ULL, 0x2222222222222222ULL | (1ULL << 63)});
  int same = 0;
  for (std::uint32_t n = 0; n < 1000; ++n) {
    same += a.home_slot(peer(n)) == b.home_slot(peer(n)) ? 1 : 0;
  }
  CHECK(same < 20);  // ~1 expected by chance among 1366 slots
}

TEST_CASE("ipv6_peer_table: size figures and refused capacities", "[unit][flow]") {
  const ipv6_peer_table table(1 << 20, fixed_seed);
  CHECK(table.index_slots() >= (1u << 20) / ipv6_peer_table::max_load);
  CHECK(table.bytes_per_capacity_slot() == Approx(20 + 4 + 8 / ipv6_peer_table::max_load).epsilon(0.001));
  CHECK_THROWS_AS(ipv6_peer_table(0), std::invalid_argument);
  CHECK_THROWS_AS(ipv6_peer_table((1u << 31) + 1), std::invalid_argument);
  // The smallest table still has an empty index slot, so a miss ends.
  ipv6_peer_table one(1, fixed_seed);
  REQUIRE(one.acquire(peer(1)).has_value());
  CHECK_FALSE(one.find(peer(2)).has_value());
  CHECK_FALSE(one.acquire(peer(2)).has_value());
}
