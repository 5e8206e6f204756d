// SYN cookie costs in ns/op, with DPDK's rte_hash_crc and rte_jhash (inline headers, no EAL) on
// the same inputs in the same run as the baseline. docs/syncookies.md quotes the figures as
// ratios against rte_jhash on 24 bytes.
//
// Inputs vary per iteration (a counter folded into the tuple) so nothing is hoisted out of the
// loop; DoNotOptimize keeps every result alive. make and check run over IPv4 and IPv6 tuples
// alike; docs/syncookies.md gives the IPv6 / IPv4 ratio and the command that measures it.
#include <array>
#include <cstdint>
#include <cstring>

#include <benchmark/benchmark.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>

#include "cookie/key_schedule.hh"
#include "cookie/siphash.hh"
#include "cookie/syn_cookie.hh"

using namespace rampart::cookie;

namespace {

constexpr std::uint64_t now_ns = 1'704'067'200'000'000'000ULL;
const siphash_key bench_key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

key_set bench_keys() {
  static key_schedule schedule = key_schedule::derived(std::as_bytes(std::span("0123456789abcdef-bench-master")), 64);
  return schedule.keys_at(now_ns);
}

template <std::size_t Bytes>
std::array<std::uint64_t, Bytes / 8> words_for(std::uint64_t i) {
  std::array<std::uint64_t, Bytes / 8> w{};
  for (std::size_t j = 0; j < w.size(); ++j) {
    w[j] = 0x0a4d00010a4d0002ULL * (j + 1) + i;
  }
  return w;
}

template <std::size_t Bytes>
void bm_siphash_generic(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto w = words_for<Bytes>(i++);
    benchmark::DoNotOptimize(siphash24(bench_key, std::as_bytes(std::span(w))));
  }
}

void bm_siphash_words_24(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto w = words_for<24>(i++);
    benchmark::DoNotOptimize(siphash24_words(bench_key, w[0], w[1], w[2]));
  }
}

void bm_siphash_words_32(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto w = words_for<32>(i++);
    benchmark::DoNotOptimize(siphash24_words(bench_key, w[0], w[1], w[2], w[3]));
  }
}

template <std::size_t Bytes>
void bm_rte_jhash(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto w = words_for<Bytes>(i++);
    benchmark::DoNotOptimize(rte_jhash(w.data(), Bytes, 0x5eed));
  }
}

template <std::size_t Bytes>
void bm_rte_hash_crc(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto w = words_for<Bytes>(i++);
    benchmark::DoNotOptimize(rte_hash_crc(w.data(), Bytes, 0x5eed));
  }
}

// The i-th client of a flood: address and port vary with i, as from many sources.
four_tuple bench_tuple(std::uint64_t i, four_tuple) {
  return {0x0a000000U + static_cast<std::uint32_t>(i >> 16), 0x0a4d0002U, static_cast<std::uint16_t>(i), 80};
}

// fd77::<interface identifier from i / 2^16>:port -> fd77::2:80. The identifier is stored as
// one word, as a copy from a packet would store it: stored byte by byte, the cookie's 8-byte
// loads of it miss store-to-load forwarding and make costs about 4 ns more.
four_tuple6 bench_tuple(std::uint64_t i, four_tuple6) {
  four_tuple6 t{{{0xfd, 0x77}}, {{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}},
                static_cast<std::uint16_t>(i), 80};
  const std::uint64_t interface_id = i >> 16;
  std::memcpy(t.client_ip.bytes.data() + 8, &interface_id, sizeof interface_id);
  return t;
}

template <typename Tuple>
basic_syn_fields<Tuple> bench_syn(std::uint64_t i, bool timestamps) {
  basic_syn_fields<Tuple> syn{bench_tuple(i, Tuple{}), static_cast<std::uint32_t>(i * 0x9e3779b9U), 1460,
                              std::nullopt};
  if (timestamps) {
    syn.timestamp_options = cookie_options{7, true, false};
  }
  return syn;
}

template <typename Tuple>
void bm_make(benchmark::State& state) {
  const key_set keys = bench_keys();
  const bool timestamps = state.range(0) != 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(make_syn_cookie(bench_syn<Tuple>(i++, timestamps), now_ns, keys));
  }
}

// Valid cookies (the ACK of a real handshake) and forged ones (a flood of random ACKs) cost the
// same: one MAC either way; a forged one may stop earlier on the tick test.
template <typename Tuple>
void bm_check(benchmark::State& state) {
  const key_set keys = bench_keys();
  const bool valid = state.range(0) != 0;
  constexpr std::size_t n = 4096;
  std::array<basic_ack_fields<Tuple>, n> acks;
  for (std::size_t j = 0; j < n; ++j) {
    const auto syn = bench_syn<Tuple>(j, true);
    const std::uint32_t cookie = make_syn_cookie(syn, now_ns, keys).value_or(0);
    acks[j] = {syn.tuple, valid ? cookie : cookie ^ 0x5a5a5aU, syn.client_isn,
               encode_tsval(1000, *syn.timestamp_options)};
  }
  std::size_t j = 0;
  std::uint64_t accepted = 0;
  for (auto _ : state) {
    const check_result r = check_syn_cookie(acks[j++ & (n - 1)], now_ns, keys);
    accepted += r.ok();
    benchmark::DoNotOptimize(accepted);
  }
  if (accepted != (valid ? static_cast<std::uint64_t>(state.iterations()) : 0U)) {
    state.SkipWithError("unexpected check outcome");
  }
}

}  // namespace

BENCHMARK(bm_rte_hash_crc<24>)->Name("baseline/rte_hash_crc/24");
BENCHMARK(bm_rte_hash_crc<32>)->Name("baseline/rte_hash_crc/32");
BENCHMARK(bm_rte_jhash<24>)->Name("baseline/rte_jhash/24");
BENCHMARK(bm_rte_jhash<32>)->Name("baseline/rte_jhash/32");
BENCHMARK(bm_siphash_generic<24>)->Name("siphash24/generic/24");
BENCHMARK(bm_siphash_generic<32>)->Name("siphash24/generic/32");
BENCHMARK(bm_siphash_words_24)->Name("siphash24/words/24");
BENCHMARK(bm_siphash_words_32)->Name("siphash24/words/32");
BENCHMARK(bm_make<four_tuple>)->Name("syn_cookie/make")->ArgName("timestamps")->Arg(0)->Arg(1);
BENCHMARK(bm_check<four_tuple>)->Name("syn_cookie/check")->ArgName("valid")->Arg(1)->Arg(0);
BENCHMARK(bm_make<four_tuple6>)->Name("syn_cookie6/make")->ArgName("timestamps")->Arg(0)->Arg(1);
BENCHMARK(bm_check<four_tuple6>)->Name("syn_cookie6/check")->ArgName("valid")->Arg(1)->Arg(0);

BENCHMARK_MAIN();
