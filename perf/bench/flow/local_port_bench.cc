// Active opens' local port choice: ns per local_port_pool acquire (+ release) at 1, 2 and 8
// queues against a same-run baseline (a plain counter increment per pick), and rss_steering's
// table Toeplitz against DPDK's rte_softrss (raw key) and rte_softrss_be (converted key). Figures
// and the command that reproduces them: docs/performance.md, "Local port choice".
//
// The pool keeps 1024 connections open, spread over 4 backend endpoints: each pick takes a port
// and releases the oldest, so about 1 port in 28 of the range is in use and the walk meets some.
// No EAL: rte_thash.h is inline.
#include <benchmark/benchmark.h>

#include <rte_thash.h>

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "flow/local_port_pool.hh"
#include "flow/rss_steering.hh"

namespace {

using rampart::flow::flow_key;
using rampart::flow::hash_seed;
using rampart::flow::local_port_pool;
using rampart::flow::local_port_pool_options;
using rampart::flow::rss_steering;
using rampart::flow::tuple_check;

// Microsoft's default RSS key (ixgbe's default).
const std::vector<std::uint8_t> rss_key = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                                           0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                                           0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                                           0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

constexpr std::size_t open_connections = 1024;
constexpr std::array<flow_key, 4> backends = {{{0x0a4d0003, 0x0a4d0002, 8080, 0},
                                               {0x0a4d0004, 0x0a4d0002, 8080, 0},
                                               {0x0a4d0005, 0x0a4d0002, 8080, 0},
                                               {0x0a4d0006, 0x0a4d0002, 8080, 0}}};

// A port already in use counts as taken for every endpoint: the pool's own cost, no table.
struct in_use_is_taken final : tuple_check {
  bool is_free(const flow_key&) const noexcept override { return false; }
};

std::vector<std::uint16_t> round_robin_reta(std::size_t size, std::uint16_t queues) {
  std::vector<std::uint16_t> reta(size);
  for (std::size_t i = 0; i < size; ++i) {
    reta[i] = static_cast<std::uint16_t>(i % queues);
  }
  return reta;
}

rss_steering steering_for(std::uint16_t queues) {
  if (queues == 1) {
    return rss_steering();
  }
  return rss_steering(rss_key, round_robin_reta(512, queues), 0, true);
}

void BM_pick_baseline(benchmark::State& state) {
  std::uint32_t counter = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(++counter);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pick_baseline);

void BM_pick(benchmark::State& state) {
  const auto queues = static_cast<std::uint16_t>(state.range(0));
  const rss_steering steering = steering_for(queues);
  local_port_pool pool(steering, local_port_pool_options{32768, 60999, 0, 1, 256, hash_seed{1, 2}});
  const in_use_is_taken check;
  std::vector<std::uint16_t> ring(open_connections, 0);
  std::size_t next = 0;
  std::uint64_t picks = 0;
  for (auto _ : state) {
    if (ring[next] != 0) {
      pool.release(ring[next]);
    }
    const std::optional<flow_key> key = pool.acquire(backends[picks++ % backends.size()], check);
    ring[next] = key ? key->local_port : 0;
    next = (next + 1) % ring.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["exhausted"] = static_cast<double>(pool.exhaustions());
}
BENCHMARK(BM_pick)->Arg(1)->Arg(2)->Arg(8);

std::vector<flow_key> random_tuples() {
  std::mt19937_64 rng(6528);
  std::vector<flow_key> tuples(1024);
  for (flow_key& t : tuples) {
    const std::uint64_t r = rng();
    t = flow_key{static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(r >> 32),
                 static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng())};
  }
  return tuples;
}

std::vector<rte_ipv4_tuple> dpdk_tuples(const std::vector<flow_key>& keys) {
  std::vector<rte_ipv4_tuple> tuples(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    tuples[i].src_addr = keys[i].remote_ip;
    tuples[i].dst_addr = keys[i].local_ip;
    tuples[i].sport = keys[i].remote_port;
    tuples[i].dport = keys[i].local_port;
  }
  return tuples;
}

void BM_reply_hash(benchmark::State& state) {
  const rss_steering steering(rss_key, round_robin_reta(512, 8), 0, true);
  const std::vector<flow_key> tuples = random_tuples();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(steering.reply_hash(tuples[i++ % tuples.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_reply_hash);

void BM_rte_softrss(benchmark::State& state) {
  std::vector<rte_ipv4_tuple> tuples = dpdk_tuples(random_tuples());
  std::size_t i = 0;
  for (auto _ : state) {
    auto* words = reinterpret_cast<std::uint32_t*>(&tuples[i++ % tuples.size()]);
    benchmark::DoNotOptimize(rte_softrss(words, RTE_THASH_V4_L4_LEN, rss_key.data()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_rte_softrss);

void BM_rte_softrss_be(benchmark::State& state) {
  std::vector<rte_ipv4_tuple> tuples = dpdk_tuples(random_tuples());
  std::array<std::uint32_t, 10> converted{};
  rte_convert_rss_key(reinterpret_cast<const std::uint32_t*>(rss_key.data()), converted.data(),
                      static_cast<int>(rss_key.size()));
  const auto* key = reinterpret_cast<const std::uint8_t*>(converted.data());
  std::size_t i = 0;
  for (auto _ : state) {
    auto* words = reinterpret_cast<std::uint32_t*>(&tuples[i++ % tuples.size()]);
    benchmark::DoNotOptimize(rte_softrss_be(words, RTE_THASH_V4_L4_LEN, key));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_rte_softrss_be);

}  // namespace

BENCHMARK_MAIN();
