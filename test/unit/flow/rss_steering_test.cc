// rss_steering against DPDK's own software Toeplitz (rte_softrss, inline in rte_thash.h) and the
// verification vectors Microsoft publishes with the RSS specification.
#include <catch2/catch.hpp>

#include <rte_thash.h>

#include <array>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "flow/rss_steering.hh"
#include "rss_test_keys.hh"

using namespace rampart::flow;
using rampart::flow::test::default_rss_key;
using rampart::flow::test::random_key;
using rampart::flow::test::round_robin_reta;

namespace {

// DPDK's hash of the tuple a reply carries: source = remote, destination = us.
std::uint32_t dpdk_hash(const flow_key& key, const std::vector<std::uint8_t>& rss_key) {
  rte_ipv4_tuple tuple{};
  tuple.src_addr = key.remote_ip;
  tuple.dst_addr = key.local_ip;
  tuple.sport = key.remote_port;
  tuple.dport = key.local_port;
  return rte_softrss(reinterpret_cast<std::uint32_t*>(&tuple), RTE_THASH_V4_L4_LEN, rss_key.data());
}

flow_key random_tuple(std::mt19937_64& rng) {
  const std::uint64_t r = rng();
  return flow_key{static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(r >> 32), static_cast<std::uint16_t>(rng()),
                  static_cast<std::uint16_t>(rng())};
}

constexpr std::uint32_t ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d;
}

}  // namespace

TEST_CASE("reply_hash matches Microsoft's IPv4/TCP verification vectors", "[unit][flow][rss]") {
  // "Verifying the RSS Hash Calculation" (Microsoft NDIS docs): destination, source, hash with
  // TCP ports, under the default key. The NIC hashes the segment's source first, which for a
  // reply is the remote endpoint.
  struct vector {
    std::uint32_t destination;
    std::uint16_t destination_port;
    std::uint32_t source;
    std::uint16_t source_port;
    std::uint32_t hash;
  };
  const std::array<vector, 5> vectors = {{
      {ipv4(161, 142, 100, 80), 1766, ipv4(66, 9, 149, 187), 2794, 0x51ccc178},
      {ipv4(65, 69, 140, 83), 4739, ipv4(199, 92, 111, 2), 14230, 0xc626b0ea},
      {ipv4(12, 22, 207, 184), 38024, ipv4(24, 19, 198, 95), 12898, 0x5c2b394a},
      {ipv4(209, 142, 163, 6), 2217, ipv4(38, 27, 205, 30), 48228, 0xafc7327f},
      {ipv4(202, 188, 127, 2), 1303, ipv4(153, 39, 163, 191), 44251, 0x10e828a2},
  }};
  const std::vector<std::uint16_t> reta = round_robin_reta(128, 4);
  const rss_steering steering(default_rss_key(), reta, 0, true);
  for (const vector& v : vectors) {
    const flow_key key{v.source, v.destination, v.source_port, v.destination_port};
    CHECK(steering.reply_hash(key) == v.hash);
    CHECK(dpdk_hash(key, default_rss_key()) == v.hash);
  }
}

TEST_CASE("reply_hash equals rte_softrss for random tuples and keys of 40 and 52 bytes", "[unit][flow][rss]") {
  std::mt19937_64 rng(16);
  const std::vector<std::uint16_t> reta = round_robin_reta(512, 8);
  for (const std::size_t key_bytes : {std::size_t{40}, std::size_t{52}}) {
    for (int k = 0; k < 20; ++k) {
      const std::vector<std::uint8_t> key = random_key(key_bytes, rng);
      const rss_steering steering(key, reta, 3, true);
      for (int i = 0; i < 500; ++i) {
        const flow_key tuple = random_tuple(rng);
        REQUIRE(steering.reply_hash(tuple) == dpdk_hash(tuple, key));
      }
    }
  }
}

TEST_CASE("lands_here agrees with reta[hash % reta_size]", "[unit][flow][rss]") {
  std::mt19937_64 rng(17);
  const std::vector<std::uint8_t> key = random_key(40, rng);
  // A RETA that is not round-robin: queues by a random draw, as `ethtool -X weight` leaves it.
  std::vector<std::uint16_t> reta(128);
  for (auto& queue : reta) {
    queue = static_cast<std::uint16_t>(rng() % 3);
  }
  const std::array<rss_steering, 3> workers = {rss_steering(key, reta, 0, true), rss_steering(key, reta, 1, true),
                                               rss_steering(key, reta, 2, true)};
  for (int i = 0; i < 5000; ++i) {
    const flow_key tuple = random_tuple(rng);
    const std::uint16_t queue = reta[dpdk_hash(tuple, key) % reta.size()];
    for (const rss_steering& worker : workers) {
      REQUIRE(worker.lands_here(tuple) == (worker.queue() == queue));
    }
  }
}

TEST_CASE("entries_here lists the RETA entries of the worker's queue", "[unit][flow][rss]") {
  const std::vector<std::uint16_t> reta = {2, 0, 1, 2, 2, 0, 1, 1};
  const rss_steering steering(default_rss_key(), reta, 2, true);
  CHECK(steering.entries_here() == std::vector<std::uint32_t>{0, 3, 4});
}

TEST_CASE("table_hash is the NIC's hash only when segments carry it", "[unit][flow][rss]") {
  const flow_table table(flow_table_options{64, 0.8, 64, hash_seed{1, 2}});
  const flow_key key{ipv4(10, 77, 0, 3), ipv4(10, 77, 0, 2), 8080, 40000};
  const std::vector<std::uint16_t> reta = round_robin_reta(128, 2);
  const rss_steering reported(default_rss_key(), reta, 0, true);
  const rss_steering not_reported(default_rss_key(), reta, 0, false);
  CHECK(reported.table_hash(key, table) == dpdk_hash(key, default_rss_key()));
  CHECK(not_reported.table_hash(key, table) == table.hash(key));
  CHECK(table.hash(key) != dpdk_hash(key, default_rss_key()));
}

TEST_CASE("without RSS every flow lands here and the software hash applies", "[unit][flow][rss]") {
  const flow_table table(flow_table_options{64, 0.8, 64, hash_seed{1, 2}});
  const rss_steering one_queue;
  std::mt19937_64 rng(18);
  CHECK_FALSE(one_queue.uses_rss());
  CHECK(one_queue.reta_size() == 1);
  for (int i = 0; i < 100; ++i) {
    const flow_key tuple = random_tuple(rng);
    CHECK(one_queue.lands_here(tuple));
    CHECK(one_queue.table_hash(tuple, table) == table.hash(tuple));
  }
}

TEST_CASE("rss_steering refuses a short key and a RETA that is not a power of two", "[unit][flow][rss]") {
  const std::vector<std::uint8_t> short_key(15, 0x6d);
  const std::vector<std::uint16_t> reta = round_robin_reta(128, 2);
  CHECK_THROWS_AS(rss_steering(short_key, reta, 0, true), std::invalid_argument);
  CHECK_THROWS_AS(rss_steering(default_rss_key(), round_robin_reta(96, 2), 0, true), std::invalid_argument);
  CHECK_THROWS_AS(rss_steering(default_rss_key(), std::vector<std::uint16_t>{}, 0, true), std::invalid_argument);
  CHECK_NOTHROW(rss_steering(std::vector<std::uint8_t>(16, 0x6d), reta, 0, true));
}
