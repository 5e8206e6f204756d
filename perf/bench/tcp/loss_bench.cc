// Bulk transfer under random loss, in simulated time: rampart's sender (the real lcore_tcp, its
// congestion control and loss recovery, buffers from a block pool) sends 16 MiB to a scripted
// receiver through an in-memory path:
//
//   rampart ──▶ bottleneck 100 Mbit/s, drop-tail queue of one BDP ──▶ seeded random loss ──▶
//               10 ms ──▶ receiver ──▶ 10 ms (ACKs, lossless) ──▶ rampart        (RTT 20 ms)
//
// The receiver advertises two BDPs of window, keeps out-of-order data, ACKs every second in-order segment (at most 40 ms
// late), at once on out-of-order data and when a hole fills (RFC 5681 §4.2), with up to four
// SACK blocks, the most recent first (RFC 2018), when SACK was negotiated. Time advances from
// event to event (at most 1 ms apart, so rampart's timers run as in a worker loop).
//
//   BM_loss_goodput/cc/sack/loss   cc: 0 reno, 1 cubic; sack: 1 SACK (RFC 6675), 0 NewReno;
//                                  loss in 1/100 %: 0, 50, 100, 200, 500 (0 to 5 %)
// Counters: goodput_Mbit_s in simulated time (handshake to the last byte in order at the
// receiver), vs_lossless = that over the same configuration's 0 % run (simulated in the same
// process), and the recovery counters. The benchmark's own time is the CPU cost of simulating;
// the figures are deterministic (fixed seed), docs/tcp.md quotes them.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "block_pool.hh"
#include "client_frames.hh"
#include "cookie/key_schedule.hh"
#include "pipeline/pipeline.hh"
#include "tcp/lcore_tcp.hh"
#include "tcp/tcp_input.hh"

namespace {

using namespace rampart;
using namespace rampart::perf;
using net::seq32;
using net::tcp_flag::ack;
using net::tcp_flag::syn;

constexpr std::uint64_t t0_ns = 1'700'000'000'000'000'000ULL;
constexpr std::uint64_t ms = 1'000'000;
constexpr std::uint64_t one_way_ns = 10 * ms;
constexpr double rate_bit_per_s = 100e6;
constexpr std::uint32_t mss = 1460;
constexpr std::uint32_t frame_bytes = mss + 54;  // what the bottleneck serializes
constexpr std::uint64_t serialize_ns = static_cast<std::uint64_t>(frame_bytes * 8 / rate_bit_per_s * 1e9);
constexpr std::size_t queue_packets = static_cast<std::size_t>(2 * one_way_ns / serialize_ns);  // one BDP
constexpr std::uint64_t transfer_bytes = 16 << 20;
// The receiver's window: two BDPs (path + queue), so without random loss the queue never
// overflows and the 0 % run measures the link, not slow start's overshoot.
constexpr std::uint16_t window_field = static_cast<std::uint16_t>(2 * 2 * one_way_ns / serialize_ns * mss >> 7);
constexpr std::uint16_t client_port = 40000;
constexpr std::uint16_t server_port = 80;

// Sends transfer_bytes as fast as the stream takes them.
struct bulk_sender final : tcp::application {
  std::vector<std::byte> chunk = std::vector<std::byte>(64 * 1024, std::byte{0x5a});
  std::uint64_t queued = 0;
  void fill(tcp::stream& s) noexcept {
    while (queued < transfer_bytes) {
      const std::size_t n = s.send({chunk.data(), std::min<std::uint64_t>(chunk.size(), transfer_bytes - queued)});
      if (n == 0) {
        return;
      }
      queued += n;
    }
  }
  void on_open(tcp::stream& s) noexcept override { fill(s); }
  void on_data(tcp::stream&, tcp::data_view) noexcept override {}
  void on_writable(tcp::stream& s) noexcept override { fill(s); }
  void on_peer_closed(tcp::stream&) noexcept override {}
  void on_close(tcp::stream&, tcp::close_reason) noexcept override {}
};

struct range {
  std::uint32_t left;
  std::uint32_t right;
};

// The scripted receiver: out-of-order ranges, ACK policy, SACK blocks.
struct receiver {
  bool sack = false;
  std::uint32_t rcv_nxt = 0;
  std::vector<range> ooo;       // sorted, disjoint, above rcv_nxt
  std::uint32_t latest_left = 0;  // left edge of the range the latest segment joined
  std::uint32_t unacked = 0;
  std::uint64_t ack_due_ns = 0;   // delayed ACK deadline, 0: none

  // Returns whether an ACK is due now.
  bool on_segment(std::uint32_t seq, std::uint32_t length, std::uint64_t now_ns) {
    const std::uint32_t end = seq + length;
    if (static_cast<std::int32_t>(end - rcv_nxt) <= 0) {
      return true;  // a duplicate: ACK at once
    }
    if (static_cast<std::int32_t>(seq - rcv_nxt) > 0) {
      insert({seq, end});
      return true;  // out of order: a duplicate ACK with SACK at once
    }
    const bool had_hole = !ooo.empty();
    rcv_nxt = end;
    while (!ooo.empty() && static_cast<std::int32_t>(ooo.front().left - rcv_nxt) <= 0) {
      if (static_cast<std::int32_t>(ooo.front().right - rcv_nxt) > 0) {
        rcv_nxt = ooo.front().right;
      }
      ooo.erase(ooo.begin());
    }
    if (had_hole) {
      return true;  // a hole filled (or shrank): ACK at once
    }
    if (++unacked >= 2) {
      return true;
    }
    if (ack_due_ns == 0) {
      ack_due_ns = now_ns + 40 * ms;
    }
    return false;
  }

  void insert(range r) {
    auto it = ooo.begin();
    while (it != ooo.end() && static_cast<std::int32_t>(it->right - r.left) < 0) {
      ++it;
    }
    while (it != ooo.end() && static_cast<std::int32_t>(it->left - r.right) <= 0) {
      if (static_cast<std::int32_t>(it->left - r.left) < 0) {
        r.left = it->left;
      }
      if (static_cast<std::int32_t>(it->right - r.right) > 0) {
        r.right = it->right;
      }
      it = ooo.erase(it);
    }
    ooo.insert(it, r);
    latest_left = r.left;
  }

  // The ACK's options: SACK blocks, the range of the latest segment first, then the highest.
  net::tcp_options options() const {
    net::tcp_options o;
    if (!sack) {
      return o;
    }
    for (const range& r : ooo) {
      if (r.left == latest_left) {
        o.sack_blocks[o.sack_block_count++] = {seq32{r.left}, seq32{r.right}};
      }
    }
    for (auto it = ooo.rbegin(); it != ooo.rend() && o.sack_block_count < net::tcp_max_sack_blocks; ++it) {
      if (it->left != latest_left) {
        o.sack_blocks[o.sack_block_count++] = {seq32{it->left}, seq32{it->right}};
      }
    }
    return o;
  }
};

struct in_flight {
  std::uint64_t at_ns;
  std::uint32_t seq;
  std::uint32_t length;
};

struct ack_in_flight {
  std::uint64_t at_ns;
  std::uint32_t ack;
  net::tcp_options options;
};

struct outcome {
  double goodput_mbit_s = 0;
  std::uint64_t rto = 0;
  std::uint64_t fast_retransmits = 0;
  std::uint64_t recoveries = 0;
  std::uint64_t congestion_drops = 0;
  std::uint64_t random_drops = 0;
  bool stalled = false;
};

outcome simulate(config::congestion_control cc, bool sack, double loss) {
  std::vector<config::listener_config> listeners{{server_port, "bulk", {}, {}}};
  listeners[0].congestion = cc;
  tcp::tcp_settings settings;
  settings.connections = 16;
  settings.cookie_mode = config::cookie_mode::auto_mode;  // the backlog keeps SACK without timestamps
  settings.send_buffer = 4 << 20;
  settings.send_budget = 8192;
  settings.local_mac = server_mac;
  stats::lcore_stats stats;
  block_pool pool(16384);
  holding_sink sink(pool, 4096);
  bulk_sender app;
  std::array<std::byte, 32> master{};
  tcp::lcore_tcp tcp(settings, listeners, stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4}, t0_ns);
  tcp.update_keys(cookie::key_schedule::derived(master, 64).keys_at(t0_ns));
  tcp.attach_io(pool, sink);
  tcp.set_application(0, &app);
  pipeline::lcore_context context;
  context.identity = {server_mac, {server_ip, 24}};
  context.stats = &stats;
  context.tcp = {tcp::tcp_input_handler, &tcp};

  std::mt19937_64 random(20261130);
  std::bernoulli_distribution lost(loss);
  receiver rx;
  rx.sack = sack;
  std::deque<in_flight> forward;
  std::deque<ack_in_flight> reverse;
  std::deque<std::uint64_t> departures;  // of the packets in the bottleneck queue
  std::uint64_t busy_until = 0;
  outcome out;
  std::uint64_t now = t0_ns;
  const std::uint32_t client_isn = 1000;
  bool established = false;

  // One burst of client frames through the pipeline; what rampart sends enters the path.
  std::vector<packet::frame> frames;
  std::vector<packet::verdict> verdicts;
  const auto deliver = [&](const std::vector<client_segment>& segments) {
    frames.clear();
    for (const client_segment& s : segments) {
      const auto b = pool.allocate();
      const std::uint16_t length = write_client_frame(b->data, b->capacity, s);
      frames.push_back(packet::frame{b->data, length, b->capacity});
      frames.back().buffer = b->handle;
    }
    verdicts.assign(frames.size(), {});
    pipeline::process_burst(context, frames, verdicts, now);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (verdicts[i].what == packet::action::transmit && !established) {
        const server_segment s = read_server_frame({frames[i].data, frames[i].length});
        rx.rcv_nxt = s.tcp.sequence.raw() + 1;  // the SYN-ACK
      }
      pool.release(frames[i].buffer);
    }
  };
  const auto collect = [&] {
    for (const packet::buffer& f : sink.frames()) {
      const server_segment s = read_server_frame({f.data, f.length});
      if (!s.ok || s.payload.empty()) {
        continue;
      }
      while (!departures.empty() && departures.front() <= now) {
        departures.pop_front();
      }
      if (departures.size() >= queue_packets) {
        ++out.congestion_drops;  // drop-tail
        continue;
      }
      busy_until = std::max(busy_until, now) + serialize_ns;
      departures.push_back(busy_until);
      if (lost(random)) {
        ++out.random_drops;
        continue;
      }
      forward.push_back({busy_until + one_way_ns, s.tcp.sequence.raw(), static_cast<std::uint32_t>(s.payload.size())});
    }
    sink.clear();
  };
  const auto send_ack = [&] {
    reverse.push_back({now + one_way_ns, rx.rcv_nxt, rx.options()});
    rx.unacked = 0;
    rx.ack_due_ns = 0;
  };

  net::tcp_options syn_options;
  syn_options.mss = mss;
  syn_options.window_scale = 7;
  syn_options.sack_permitted = sack;
  deliver({{client_port, server_port, client_isn, 0, syn, 65535, syn_options, {}}});
  deliver({{client_port, server_port, client_isn + 1, rx.rcv_nxt, ack, window_field, {}, {}}});
  established = true;
  const std::uint32_t first_byte = rx.rcv_nxt;
  const std::uint64_t start = now;
  collect();

  while (rx.rcv_nxt - first_byte < transfer_bytes) {
    std::uint64_t next = now + ms;
    if (!forward.empty()) {
      next = std::min(next, forward.front().at_ns);
    }
    if (!reverse.empty()) {
      next = std::min(next, reverse.front().at_ns);
    }
    if (rx.ack_due_ns != 0) {
      next = std::min(next, rx.ack_due_ns);
    }
    now = std::max(next, now);
    while (!forward.empty() && forward.front().at_ns <= now) {
      const in_flight seg = forward.front();
      forward.pop_front();
      if (rx.on_segment(seg.seq, seg.length, now)) {
        send_ack();
      }
    }
    if (rx.ack_due_ns != 0 && rx.ack_due_ns <= now) {
      send_ack();
    }
    std::vector<client_segment> acks;
    while (!reverse.empty() && reverse.front().at_ns <= now && acks.size() < 32) {
      acks.push_back({client_port, server_port, client_isn + 1, reverse.front().ack, ack, window_field,
                      reverse.front().options, {}});
      reverse.pop_front();
    }
    if (!acks.empty()) {
      deliver(acks);
    }
    tcp.poll(now);
    collect();
    if (now - start > 3'600'000 * ms) {
      out.stalled = true;
      break;
    }
  }
  out.goodput_mbit_s = static_cast<double>(rx.rcv_nxt - first_byte) * 8 / (static_cast<double>(now - start) / 1e9) / 1e6;
  out.rto = stats.tcp_rto_expiries.read();
  out.fast_retransmits = stats.tcp_fast_retransmits.read();
  out.recoveries = stats.tcp_recovery_episodes.read();
  tcp.shutdown(now);
  sink.clear();
  return out;
}

void BM_loss_goodput(benchmark::State& state) {
  const auto cc = state.range(0) == 0 ? config::congestion_control::reno : config::congestion_control::cubic;
  const bool sack = state.range(1) != 0;
  const double loss = static_cast<double>(state.range(2)) / 10'000;
  const outcome lossless = simulate(cc, sack, 0);
  outcome run;
  for (auto _ : state) {
    run = simulate(cc, sack, loss);
  }
  if (run.stalled || lossless.stalled) {
    state.SkipWithError("the transfer stalled (no progress within an hour of simulated time)");
    return;
  }
  state.counters["goodput_Mbit_s"] = run.goodput_mbit_s;
  state.counters["vs_lossless"] = run.goodput_mbit_s / lossless.goodput_mbit_s;
  state.counters["rto"] = static_cast<double>(run.rto);
  state.counters["fast_rexmit"] = static_cast<double>(run.fast_retransmits);
  state.counters["recoveries"] = static_cast<double>(run.recoveries);
  state.counters["random_drops"] = static_cast<double>(run.random_drops);
  state.counters["queue_drops"] = static_cast<double>(run.congestion_drops);
}

BENCHMARK(BM_loss_goodput)
    ->ArgNames({"cubic", "sack", "loss_bp"})
    ->ArgsProduct({{0, 1}, {1, 0}, {0, 50, 100, 200, 500}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
