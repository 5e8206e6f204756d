// Benchmarks of the pure datapath. Each iteration restores a burst of 32 captured frames
// (replies are written in place, so the input must be put back) and runs process_burst on it;
// BM_restore_only measures the restoring alone, so the pipeline's cost is the difference.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <vector>

#include "net/checksum.hh"
#include "packet_builder.hh"
#include "pipeline/pipeline.hh"

namespace {

using namespace rampart;

constexpr std::size_t burst_size = 32;

struct burst_fixture {
  std::vector<test::bytes> originals;
  std::vector<test::bytes> buffers;
  std::array<packet::frame, burst_size> frames{};
  std::array<packet::verdict, burst_size> verdicts{};
  stats::lcore_stats stats;
  pipeline::lcore_context ctx;

  explicit burst_fixture(std::string_view captured_hex) {
    ctx.identity.mac = test::captured::peer_mac;
    ctx.identity.ip = {test::captured::peer_ip, 24};
    ctx.stats = &stats;
    for (std::size_t i = 0; i < burst_size; ++i) {
      originals.push_back(test::from_hex(captured_hex));
      buffers.emplace_back(2048);
    }
  }

  void restore() {
    for (std::size_t i = 0; i < burst_size; ++i) {
      std::memcpy(buffers[i].data(), originals[i].data(), originals[i].size());
      frames[i].data = buffers[i].data();
      frames[i].length = static_cast<std::uint16_t>(originals[i].size());
      frames[i].capacity = static_cast<std::uint16_t>(buffers[i].size());
    }
  }
};

void run_pipeline(benchmark::State& state, std::string_view captured_hex) {
  burst_fixture fx(captured_hex);
  for (auto _ : state) {
    fx.restore();
    pipeline::process_burst(fx.ctx, fx.frames, fx.verdicts, 1);
    benchmark::DoNotOptimize(fx.verdicts.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst_size));
}

void BM_restore_only(benchmark::State& state) {
  burst_fixture fx(test::captured::icmp_echo_request);
  for (auto _ : state) {
    fx.restore();
    benchmark::DoNotOptimize(fx.frames.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst_size));
}
BENCHMARK(BM_restore_only);

void BM_arp_request_to_reply(benchmark::State& state) { run_pipeline(state, test::captured::arp_request); }
BENCHMARK(BM_arp_request_to_reply);

void BM_icmp_echo_to_reply(benchmark::State& state) { run_pipeline(state, test::captured::icmp_echo_request); }
BENCHMARK(BM_icmp_echo_to_reply);

void BM_tcp_syn_to_handoff(benchmark::State& state) { run_pipeline(state, test::captured::tcp_syn); }
BENCHMARK(BM_tcp_syn_to_handoff);

// rte_raw_cksum (via net::internet_checksum) against the naive byte-pair loop of the tests.
void BM_checksum_dpdk(benchmark::State& state) {
  test::bytes data(static_cast<std::size_t>(state.range(0)), std::byte{0x5a});
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(net::internet_checksum(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_checksum_dpdk)->Arg(20)->Arg(64)->Arg(1500);

void BM_checksum_naive(benchmark::State& state) {
  test::bytes data(static_cast<std::size_t>(state.range(0)), std::byte{0x5a});
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(test::reference_checksum(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_checksum_naive)->Arg(20)->Arg(64)->Arg(1500);

}  // namespace

BENCHMARK_MAIN();
