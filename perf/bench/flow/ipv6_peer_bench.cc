// ipv6_peer_table: ns per find() at 2^20 peers (the table full, its index at 75% load), for an
// address held (hit) and one not held (miss: the input path's segment from an unknown peer), in an
// order unrelated to insertion, against std::unordered_map in the same run; and the resident bytes
// per capacity slot of a 2^20 table. Figures and the command that reproduces them:
// docs/flow-table.md, "IPv6 peers". Pure: no DPDK.
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "flow/ipv6_peer_table.hh"

namespace {

using rampart::flow::hash_seed;
using rampart::flow::ipv6_peer_table;
using rampart::net::ipv6_address;

constexpr std::uint32_t peers = 1 << 20;
constexpr hash_seed bench_seed{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL | (1ULL << 63)};

// Addresses in 2001:db8::/64 with random interface identifiers, as a flood's sources would be.
std::vector<ipv6_address> random_addresses(std::size_t n, std::uint64_t rng_seed) {
  std::mt19937_64 rng(rng_seed);
  std::vector<ipv6_address> out(n);
  for (ipv6_address& a : out) {
    a.bytes = {0x20, 0x01, 0x0d, 0xb8};
    std::uint64_t low = rng();
    for (std::size_t i = 15; i >= 8; --i, low >>= 8) {
      a.bytes[i] = static_cast<std::uint8_t>(low);
    }
  }
  return out;
}

// Peak resident bytes of the process (getrusage reports KiB).
std::uint64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

// Registered first and run once (whatever --benchmark_repetitions says), so the table is the
// largest thing this process has built yet: the growth of the peak RSS is the table's resident
// size (the constructor writes every page). A second run would reuse the freed pages and show 0.
void BM_memory_per_slot(benchmark::State& state) {
  for (auto _ : state) {
    const std::uint64_t before = peak_rss_bytes();
    const auto table = std::make_unique<ipv6_peer_table>(peers, bench_seed);
    const std::uint64_t after = peak_rss_bytes();
    state.counters["rss_bytes_per_slot"] = static_cast<double>(after - before) / peers;
    state.counters["allocated_bytes_per_slot"] = table->bytes_per_capacity_slot();
  }
}
BENCHMARK(BM_memory_per_slot)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);

struct seeded_hash {
  std::size_t operator()(const ipv6_address& a) const noexcept { return rampart::flow::ipv6_peer_hash(a, bench_seed); }
};

// The same addresses in the table and, as the baseline of the same run, in a std::unordered_map
// with the table's hash.
struct filled_tables {
  ipv6_peer_table table{peers, bench_seed};
  std::unordered_map<ipv6_address, std::uint32_t, seeded_hash> map;
  std::vector<ipv6_address> held = random_addresses(peers, 1);
  std::vector<ipv6_address> absent = random_addresses(peers, 2);

  filled_tables() {
    map.reserve(peers);
    for (const ipv6_address& a : held) {
      map.emplace(a, *table.acquire(a));
    }
    std::shuffle(held.begin(), held.end(), std::mt19937_64(3));
  }
};

const filled_tables& filled() {
  static const filled_tables t;
  return t;
}

// One lookup per iteration: the Time column is the cost of one lookup.
template <class Find>
void run_lookups(benchmark::State& state, const std::vector<ipv6_address>& addresses, Find find) {
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(find(addresses[i]));
    i = i + 1 == addresses.size() ? 0 : i + 1;
  }
}
const auto table_find = [](const ipv6_address& a) { return filled().table.find(a); };
const auto map_find = [](const ipv6_address& a) { return filled().map.find(a) != filled().map.end(); };

void BM_find_hit(benchmark::State& state) { run_lookups(state, filled().held, table_find); }
void BM_find_miss(benchmark::State& state) { run_lookups(state, filled().absent, table_find); }
void BM_unordered_map_hit(benchmark::State& state) { run_lookups(state, filled().held, map_find); }
void BM_unordered_map_miss(benchmark::State& state) { run_lookups(state, filled().absent, map_find); }
BENCHMARK(BM_find_hit);
BENCHMARK(BM_find_miss);
BENCHMARK(BM_unordered_map_hit);
BENCHMARK(BM_unordered_map_miss);

}  // namespace

BENCHMARK_MAIN();
