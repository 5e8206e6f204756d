// local_port_pool: every port lands on the picker's queue (checked with DPDK's rte_softrss), no
// two lcores hand out one 4-tuple, exhaustion and release, the RFC 6056 walk, no allocation.
#include <catch2/catch.hpp>

#include <rte_thash.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "allocation_counter.hh"
#include "flow/flow_table.hh"
#include "flow/local_port_pool.hh"
#include "flow/rss_steering.hh"
#include "rss_test_keys.hh"

using namespace rampart::flow;
using rampart::flow::test::allocations;
using rampart::flow::test::default_rss_key;
using rampart::flow::test::random_key;
using rampart::flow::test::round_robin_reta;

namespace {

constexpr std::uint16_t first_port = 32768;
constexpr std::uint16_t last_port = 60999;
constexpr std::uint32_t range = last_port - first_port + 1;
constexpr std::uint32_t local_ip = 0x0a4d0002;  // 10.77.0.2

// A backend's endpoint: the connection's key without its local port.
flow_key endpoint(std::uint32_t remote_ip, std::uint16_t remote_port) {
  return flow_key{remote_ip, local_ip, remote_port, 0};
}

// The queue the NIC delivers the 4-tuple's inbound segments to, by DPDK's Toeplitz.
std::uint16_t nic_queue(const flow_key& key, const std::vector<std::uint8_t>& rss_key,
                        const std::vector<std::uint16_t>& reta) {
  rte_ipv4_tuple tuple{};
  tuple.src_addr = key.remote_ip;
  tuple.dst_addr = key.local_ip;
  tuple.sport = key.remote_port;
  tuple.dport = key.local_port;
  return reta[rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L4_LEN, rss_key.data()) %
              reta.size()];
}

// The flow table as lib/tcp would plug it in: a tuple is free when no connection has it.
class table_check final : public tuple_check {
 public:
  explicit table_check(std::uint32_t capacity) : _table(flow_table_options{capacity, 0.8, 64, hash_seed{3, 4}}) {}
  bool is_free(const flow_key& key) const noexcept override { return !_table.lookup(key).has_value(); }
  bool open(const flow_key& key) { return _table.insert(key, 0) == insert_status::inserted; }
  bool close(const flow_key& key) { return _table.erase(key).has_value(); }

 private:
  flow_table _table;
};

local_port_pool_options options(std::uint32_t lcore, std::uint32_t lcores, std::uint32_t probe_limit = 256) {
  return local_port_pool_options{first_port, last_port, lcore, lcores, probe_limit, hash_seed{5, 6}};
}

// A probe limit no search can reach: every usable port gets examined.
constexpr std::uint32_t exhaustive = 1U << 24;

}  // namespace

TEST_CASE("with RSS the lcores' pools partition every endpoint's 4-tuples by queue", "[unit][flow][ports]") {
  std::mt19937_64 rng(6191);
  const std::vector<flow_key> endpoints = {endpoint(0x0a4d0003, 8080), endpoint(0x0a4d0003, 8081),
                                           endpoint(0xc0a80105, 80)};
  for (const std::uint16_t queues : {std::uint16_t{2}, std::uint16_t{4}, std::uint16_t{8}}) {
    for (const std::size_t reta_size : {std::size_t{128}, std::size_t{512}}) {
      // Microsoft's default key, a random 52-byte one, and the symmetric 0x6d5a key (the same
      // hash both ways, as some set-ups program it).
      const std::vector<std::uint8_t> symmetric = {0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                                   0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                                   0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
                                                   0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};
      for (const std::vector<std::uint8_t>& key : {default_rss_key(), random_key(52, rng), symmetric}) {
        const std::vector<std::uint16_t> reta = round_robin_reta(reta_size, queues);
        INFO(queues << " queues, RETA " << reta_size << ", key of " << key.size() << " bytes starting "
                    << int{key[0]} << " " << int{key[2]});
        // How often each (endpoint, port) was handed out, over all lcores.
        std::vector<std::uint8_t> handed_out(endpoints.size() * range, 0);
        for (std::uint16_t q = 0; q < queues; ++q) {
          const rss_steering steering(key, reta, q, true);
          local_port_pool pool(steering, options(q, queues, exhaustive));
          CHECK(pool.port_count() == range);  // RSS: the whole range, split by the hash
          table_check table(static_cast<std::uint32_t>(endpoints.size() * range));
          for (std::size_t e = 0; e < endpoints.size(); ++e) {
            const std::uint32_t usable = pool.usable_ports(endpoints[e]);
            std::uint32_t got = 0;
            std::uint32_t elsewhere = 0;  // counted, not asserted per port: millions of assertions are slow
            std::uint32_t outside = 0;
            while (const std::optional<flow_key> key4 = pool.acquire(endpoints[e], table)) {
              elsewhere += nic_queue(*key4, key, reta) == q ? 0 : 1;
              if (key4->local_port < first_port || key4->local_port > last_port) {
                ++outside;
              } else {
                ++handed_out[e * range + (key4->local_port - first_port)];
              }
              REQUIRE(table.open(*key4));
              ++got;
            }
            CHECK(elsewhere == 0);
            CHECK(outside == 0);
            CHECK(got == usable);
            // The share of the range one queue gets for one endpoint: about 1/queues.
            CHECK(usable > range / queues * 8 / 10);
            CHECK(usable < range / queues * 12 / 10);
          }
          CHECK(pool.exhaustions() == endpoints.size());
        }
        // Every port of the range, for every endpoint, was handed out by exactly one lcore.
        CHECK(std::count(handed_out.begin(), handed_out.end(), 1) == static_cast<long>(handed_out.size()));
      }
    }
  }
}

TEST_CASE("without RSS each lcore draws from a slice of its own", "[unit][flow][ports]") {
  const rss_steering no_rss;
  std::set<std::uint16_t> ports;
  std::uint32_t total = 0;
  for (std::uint32_t lcore = 0; lcore < 3; ++lcore) {
    local_port_pool pool(no_rss, options(lcore, 3, exhaustive));
    table_check table(range);
    const flow_key wanted = endpoint(0x0a4d0003, 8080);
    CHECK(pool.usable_ports(wanted) == pool.port_count());
    while (const std::optional<flow_key> key = pool.acquire(wanted, table)) {
      REQUIRE(key->local_port >= pool.first_port());
      REQUIRE(key->local_port < pool.first_port() + pool.port_count());
      REQUIRE(ports.insert(key->local_port).second);
      REQUIRE(table.open(*key));
    }
    total += pool.port_count();
  }
  CHECK(total == range);
  CHECK(ports.size() == range);
}

TEST_CASE("exhaustion is counted and a released port is handed out again", "[unit][flow][ports]") {
  const rss_steering no_rss;
  local_port_pool pool(no_rss, local_port_pool_options{1024, 2047, 0, 1, exhaustive, hash_seed{7, 8}});
  table_check table(4096);
  const flow_key wanted = endpoint(0x0a4d0003, 8080);
  std::vector<flow_key> open;
  while (const std::optional<flow_key> key = pool.acquire(wanted, table)) {
    REQUIRE(table.open(*key));
    open.push_back(*key);
  }
  CHECK(open.size() == 1024);
  CHECK(pool.in_use() == 1024);
  CHECK(pool.exhaustions() == 1);
  CHECK_FALSE(pool.acquire(wanted, table));
  CHECK(pool.exhaustions() == 2);

  const flow_key closed = open[500];
  REQUIRE(table.close(closed));
  pool.release(closed.local_port);
  CHECK(pool.in_use() == 1023);
  const std::optional<flow_key> again = pool.acquire(wanted, table);
  REQUIRE(again);
  CHECK(*again == closed);
  CHECK(pool.exhaustions() == 2);
}

TEST_CASE("a port in use towards one endpoint is shared with another", "[unit][flow][ports]") {
  const rss_steering no_rss;
  local_port_pool pool(no_rss, local_port_pool_options{1024, 1027, 0, 1, exhaustive, hash_seed{7, 8}});
  table_check table(64);
  const flow_key a = endpoint(0x0a4d0003, 8080);
  const flow_key b = endpoint(0x0a4d0004, 8080);
  for (int i = 0; i < 4; ++i) {
    const std::optional<flow_key> key = pool.acquire(a, table);
    REQUIRE(key);
    REQUIRE(table.open(*key));
  }
  CHECK_FALSE(pool.acquire(a, table));
  for (int i = 0; i < 4; ++i) {
    const std::optional<flow_key> key = pool.acquire(b, table);
    REQUIRE(key);
    REQUIRE(table.open(*key));
  }
  CHECK_FALSE(pool.acquire(b, table));
  CHECK(pool.in_use() == 8);
}

TEST_CASE("the pool asks tuple_check only about ports in use, and follows its answer", "[unit][flow][ports]") {
  // lib/tcp's TIME-WAIT reuse (RFC 6191) shows here as a check that calls a taken tuple free.
  struct counting_check final : tuple_check {
    mutable int asked = 0;
    bool answer = false;
    bool is_free(const flow_key&) const noexcept override {
      ++asked;
      return answer;
    }
  };
  const rss_steering no_rss;
  local_port_pool pool(no_rss, local_port_pool_options{1024, 1025, 0, 1, exhaustive, hash_seed{7, 8}});
  counting_check check;
  const flow_key wanted = endpoint(0x0a4d0003, 8080);
  REQUIRE(pool.acquire(wanted, check));
  REQUIRE(pool.acquire(wanted, check));
  CHECK(check.asked == 0);
  CHECK_FALSE(pool.acquire(wanted, check));
  CHECK(check.asked > 0);
  check.answer = true;
  CHECK(pool.acquire(wanted, check));
  CHECK(pool.in_use() == 3);
}

TEST_CASE("an endpoint's ports come in RFC 6056 order: a released port is the last to return", "[unit][flow][ports]") {
  const std::vector<std::uint16_t> reta = round_robin_reta(128, 4);
  const rss_steering steering(default_rss_key(), reta, 1, true);
  local_port_pool pool(steering, options(1, 4));
  table_check table(16);
  const flow_key wanted = endpoint(0x0a4d0003, 8080);
  const std::uint32_t usable = pool.usable_ports(wanted);
  std::set<std::uint16_t> seen;
  for (std::uint32_t i = 0; i < usable; ++i) {
    const std::optional<flow_key> key = pool.acquire(wanted, table);
    REQUIRE(key);
    REQUIRE(seen.insert(key->local_port).second);
    pool.release(key->local_port);
  }
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a queue the RETA never points at gets no port", "[unit][flow][ports]") {
  const std::vector<std::uint16_t> reta = round_robin_reta(128, 2);  // queues 0 and 1 only
  const rss_steering steering(default_rss_key(), reta, 2, true);
  local_port_pool pool(steering, options(2, 3));
  table_check table(16);
  CHECK(pool.usable_ports(endpoint(0x0a4d0003, 8080)) == 0);
  CHECK_FALSE(pool.acquire(endpoint(0x0a4d0003, 8080), table));
  CHECK(pool.exhaustions() == 1);
}

TEST_CASE("local_port_pool refuses impossible options", "[unit][flow][ports]") {
  const rss_steering no_rss;
  CHECK_THROWS_AS(local_port_pool(no_rss, local_port_pool_options{2000, 1999, 0, 1, 256, {}}), std::invalid_argument);
  CHECK_THROWS_AS(local_port_pool(no_rss, local_port_pool_options{1024, 2047, 2, 2, 256, {}}), std::invalid_argument);
  CHECK_THROWS_AS(local_port_pool(no_rss, local_port_pool_options{1024, 1025, 0, 3, 256, {}}), std::invalid_argument);
  CHECK_THROWS_AS(local_port_pool(no_rss, local_port_pool_options{1024, 2047, 0, 1, 0, {}}), std::invalid_argument);
}

TEST_CASE("acquire and release allocate nothing", "[unit][flow][ports]") {
  const std::vector<std::uint16_t> reta = round_robin_reta(512, 8);
  const rss_steering steering(default_rss_key(), reta, 5, true);
  local_port_pool pool(steering, options(5, 8));
  table_check table(8192);
  std::mt19937 rng(6056);
  std::vector<flow_key> open;
  open.reserve(4096);
  std::uint32_t table_errors = 0;  // counted, not asserted: an assertion may allocate
  const std::uint64_t before = allocations();
  for (int i = 0; i < 100000; ++i) {
    if (!open.empty() && (open.size() >= 4000 || rng() % 2 == 0)) {
      const std::size_t j = rng() % open.size();
      table_errors += table.close(open[j]) ? 0 : 1;
      pool.release(open[j].local_port);
      open[j] = open.back();
      open.pop_back();
    } else if (const std::optional<flow_key> key = pool.acquire(endpoint(0x0a4d0003 + rng() % 4, 8080), table)) {
      table_errors += table.open(*key) ? 0 : 1;
      open.push_back(*key);
    }
  }
  CHECK(allocations() == before);
  CHECK(table_errors == 0);
  CHECK(pool.in_use() == open.size());
}
