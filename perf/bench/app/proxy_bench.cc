// The proxy's per-connection choices in memory: a balancer's pick (with the release that follows
// it, so the counts stay steady) at 2, 16 and 256 backends, and the PROXY v1/v2 header writers,
// against a same-run baseline that reads the same client addresses and does nothing else.
// docs/proxy.md quotes the figures. Build with -Dbuildtype=release:
//   meson setup build-rel --buildtype=release -Dtests=false && ninja -C build-rel perf/bench/app/proxy_bench
//   build-rel/perf/bench/app/proxy_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <array>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "app/proxy/backend_pool.hh"
#include "app/proxy/proxy_header.hh"

namespace {

using namespace rampart::app::proxy;
using rampart::net::ipv4_address;

// 4096 client addresses spread like real ones (a multiplicative walk over the address space),
// more than a table's worth of cache lines so source_hash's slots are not all warm.
const std::array<ipv4_address, 4096>& clients() {
  static const auto addresses = [] {
    std::array<ipv4_address, 4096> a{};
    for (std::uint32_t i = 0; i < a.size(); ++i) {
      a[i] = ipv4_address{0x0b000000U + i * 2654435761U % 0xf0000000U};
    }
    return a;
  }();
  return addresses;
}

void bm_baseline_clients(benchmark::State& state) {
  const auto& c = clients();
  std::uint32_t i = 0;
  for (auto _ : state) {
    ipv4_address client = c[i++ & (c.size() - 1)];
    benchmark::DoNotOptimize(client);
  }
  state.SetItemsProcessed(state.iterations());
}

void bm_pick(benchmark::State& state, balance_method method) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  std::vector<backend_entry> backends;
  for (std::uint32_t b = 0; b < n; ++b) {
    backends.push_back({{ipv4_address{0x0a000001U + b}, 80}, 1 + b % 4});  // weights 1..4
  }
  backend_pool pool(backends, method, 0);
  // Load to pick among: some connections held on every backend, as on a busy lcore.
  for (std::uint32_t k = 0; k < 4 * n; ++k) {
    pool.acquire(clients()[k]);
  }
  const auto& c = clients();
  std::uint32_t i = 0;
  std::int64_t refused = 0;
  for (auto _ : state) {
    const auto chosen = pool.acquire(c[i++ & (c.size() - 1)]);
    benchmark::DoNotOptimize(chosen);
    if (chosen) {
      pool.release(*chosen);
    } else {
      ++refused;
    }
  }
  if (refused != 0) {
    state.SkipWithError("a pick found no backend");
  }
  state.SetItemsProcessed(state.iterations());
}

template <bool V2>
void bm_proxy_header(benchmark::State& state) {
  const auto& c = clients();
  std::array<std::byte, proxy_v1_max_length> out{};
  std::uint32_t i = 0;
  std::size_t total = 0;
  for (auto _ : state) {
    const ipv4_endpoints e{c[i & (c.size() - 1)], ipv4_address{0x0a4d0002}, static_cast<std::uint16_t>(i), 8080};
    ++i;
    const std::size_t n = V2 ? write_proxy_v2(out, e) : write_proxy_v1(out, e);
    benchmark::DoNotOptimize(out.data());
    total += n;
  }
  if (state.iterations() > 0 && total == 0) {
    state.SkipWithError("no header written");
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(bm_baseline_clients);
BENCHMARK_CAPTURE(bm_pick, round_robin, balance_method::round_robin)->Arg(2)->Arg(16)->Arg(256);
BENCHMARK_CAPTURE(bm_pick, least_connections, balance_method::least_connections)->Arg(2)->Arg(16)->Arg(256);
BENCHMARK_CAPTURE(bm_pick, source_hash, balance_method::source_hash)->Arg(2)->Arg(16)->Arg(256);
BENCHMARK(bm_proxy_header<false>)->Name("bm_proxy_v1_tcp4");
BENCHMARK(bm_proxy_header<true>)->Name("bm_proxy_v2_tcp4");

BENCHMARK_MAIN();
