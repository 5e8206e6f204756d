#pragma once
// What the fuzzers that play an lcore's peers run it on (tcp_connect_fuzzer.cc, proxy_fuzzer.cc):
// a real tcp::lcore_tcp with heap buffers (as mbufs), a capturing sink (as TX staging), a static
// next-hop table (as ARP would fill it) and a clock the fuzzer moves. The fuzzer sets `settings`
// and `listeners`, then calls start().
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fake_io.hh"
#include "fuzz_check.hh"
#include "fuzz_wire.hh"
#include "static_next_hops.hh"
#include "stats/counters.hh"
#include "tcp/lcore_tcp.hh"

namespace rampart::fuzz {

struct lcore_rig {
  lcore_rig() : pool(1 << 20, frame_capacity), sink(pool) { hops.pool = &pool; }

  void start() {
    tcp.emplace(settings, listeners, stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4}, now);
    tcp->attach_io(pool, sink);
    tcp->set_next_hop_resolver(&hops);
  }
  // A burst of received frames; returns what rampart emitted (run_burst). A frame the pool has
  // no buffer for is dropped, as by the NIC: apps hold received views by their buffers (the
  // proxy relays from them), and in the engine every frame has one.
  std::vector<bytes> input(std::span<const bytes> frames) {
    return run_burst(*tcp, pool, sink, frames, now, without_buffer::dropped);
  }
  // lcore_tcp::poll at `now`; returns what went to the sink.
  std::vector<bytes> poll_now() { return poll_lcore(*tcp, sink, now); }

  tcp::tcp_settings settings;
  std::vector<tcp::listener_settings> listeners;
  stats::lcore_stats stats;
  test::heap_buffer_pool pool;
  test::capture_sink sink;
  test::static_next_hops hops;
  std::uint64_t now = t0_ns;
  std::optional<tcp::lcore_tcp> tcp;
};

}  // namespace rampart::fuzz
