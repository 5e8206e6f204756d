// "No allocation after construction": count global operator new calls while the owner churns
// (the flow table with its pool, and the IPv6 peer table).
#include <algorithm>
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <random>

#include "allocation_counter.hh"
#include "flow/connection_pool.hh"
#include "flow/flow_table.hh"
#include "flow/ipv6_peer_table.hh"
#include "flow_test_keys.hh"

using namespace rampart::flow;
using rampart::flow::test::allocations;
using rampart::flow::test::distinct_keys;
using rampart::flow::test::fixed_seed;
using rampart::flow::test::value_of;

TEST_CASE("the counter sees an allocation", "[unit][flow]") {
  // Without this, a broken counter would make the next test pass vacuously.
  const std::uint64_t before = allocations();
  auto p = std::make_unique<int>(1);
  CHECK(allocations() == before + 1);
  CHECK(*p == 1);
}

TEST_CASE("table and pool churn without allocating", "[unit][flow]") {
  const auto keys = distinct_keys(4000, 30);
  struct control_block {
    flow_key key;
    std::uint32_t hash;
  };
  flow_table table(flow_table_options{1000, 0.9, 64, fixed_seed});
  connection_pool<control_block> pool(1000);
  connection_handle slot_of_key[4000];
  bool present[4000] = {};
  std::mt19937 rng(31);

  const std::uint64_t before = allocations();
  std::uint64_t work = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::size_t j = rng() % 4000;
    const flow_key& k = keys[j];
    const std::uint32_t h = table.hash(k);
    if (present[j]) {
      // Erase by the hash kept in the control block, as a timer would.
      const auto v = table.erase(k, pool[slot_of_key[j]].hash);
      work += v.has_value() ? 1 : 0;
      pool.release(slot_of_key[j]);
      present[j] = false;
    } else if (const auto c = pool.acquire(control_block{k, h})) {
      if (table.insert(k, *c, h) == insert_status::inserted) {
        slot_of_key[j] = *c;
        present[j] = true;
      } else {
        pool.release(*c);
      }
    }
    connection_handle values[flow_table::max_burst];
    // The burst of up to 64 keys around j; the last one is shorter (4000 is not a multiple of 64).
    const std::size_t burst_start = (j / flow_table::max_burst) * flow_table::max_burst;
    const std::size_t burst_size = std::min(flow_table::max_burst, keys.size() - burst_start);
    work += table.lookup_bulk(std::span<const flow_key>(&keys[burst_start], burst_size), {}, values) != 0 ? 1 : 0;
    work += table.concurrent_lookup(k, h).has_value() ? 1 : 0;
    if (i % 10000 == 0) {
      table.concurrent_for_each([&](const flow_key&, connection_handle) { ++work; });
    }
  }
  const std::uint64_t during = allocations() - before;
  CHECK(during == 0);
  CHECK(work > 0);
  CHECK(table.size() == pool.in_use());
}

TEST_CASE("ipv6 peer table churns without allocating", "[unit][flow]") {
  ipv6_peer_table table(500, fixed_seed);
  std::uint32_t references[2000] = {};
  ipv6_peer_id id_of[2000] = {};
  std::mt19937 rng(32);

  const std::uint64_t before = allocations();
  std::uint64_t work = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t n = rng() % 2000;
    const rampart::net::ipv6_address address{{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)}};
    work += table.find(address).has_value() ? 1 : 0;
    if (references[n] != 0 && rng() % 2 == 0) {
      table.release(id_of[n]);
      --references[n];
    } else if (const auto id = table.acquire(address)) {
      id_of[n] = *id;
      ++references[n];
    }
  }
  const std::uint64_t during = allocations() - before;
  CHECK(during == 0);
  CHECK(work > 0);
  CHECK(table.size() > 0);
}
