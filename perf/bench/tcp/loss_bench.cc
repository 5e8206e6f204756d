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
//   BM_tail_loss/probe/segments/loss
//                                  request/response: 2,000 responses of 4 or 16 segments, one
//                                  after the other, with tail loss probes (1, RFC 8985 §7) or
//                                  the RTO alone (0); counters mean_ms, p99_ms, vs_rto_only
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
#include "engine/tcp_settings.hh"
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
  std::uint32_t payload;  // request bytes riding on it (path_simulation::request)
};

struct outcome {
  double goodput_mbit_s = 0;
  std::uint64_t rto = 0;
  std::uint64_t fast_retransmits = 0;
  std::uint64_t recoveries = 0;
  std::uint64_t probes = 0;
  std::uint64_t congestion_drops = 0;
  std::uint64_t random_drops = 0;
  bool stalled = false;
};

struct path_options {
  tcp::cc_algorithm cc = tcp::cc_algorithm::reno;
  bool sack = true;
  double loss = 0;               // of rampart's data segments, after the bottleneck
  bool tail_loss_probe = true;   // tcp.tail_loss_probe
};

// rampart's real sender, the path and the scripted receiver above, advanced event by event.
class path_simulation {
 public:
  path_simulation(const path_options& o, tcp::application& app)
      : _listeners(listeners_for(o)),
        _settings(settings_for(o)),
        _pool(16384),
        _sink(_pool, 4096),
        _tcp(_settings, _listeners, _stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4}, t0_ns),
        _lost(o.loss) {
    std::array<std::byte, 32> master{};
    _tcp.update_keys(cookie::key_schedule::derived(master, 64).keys_at(t0_ns));
    _tcp.attach_io(_pool, _sink);
    _tcp.set_application(0, &app);
    _context.identity = {server_mac, {server_ip, 24}};
    _context.stats = &_stats;
    _context.tcp = {tcp::tcp_input_handler, &_tcp};
    rx.sack = o.sack;
    net::tcp_options syn_options;
    syn_options.mss = mss;
    syn_options.window_scale = 7;
    syn_options.sack_permitted = o.sack;
    deliver({{client_port, server_port, client_isn, 0, syn, 65535, syn_options, {}}});
    deliver({{client_port, server_port, client_isn + 1, rx.rcv_nxt, ack, window_field, {}, {}}});
    _established = true;
    collect();
  }
  ~path_simulation() {
    _tcp.shutdown(now);
    _sink.clear();
  }
  path_simulation(const path_simulation&) = delete;
  path_simulation& operator=(const path_simulation&) = delete;

  // The client sends `bytes` of request now (lossless, as every segment towards rampart).
  void request(std::uint32_t bytes) {
    _reverse.push_back({now + one_way_ns, rx.rcv_nxt, rx.options(), bytes});
    rx.unacked = 0;
    rx.ack_due_ns = 0;
  }

  // Advances to the next event (at most 1 ms: rampart's timers run as in a worker loop).
  void step() {
    std::uint64_t next = now + ms;
    if (!_forward.empty()) {
      next = std::min(next, _forward.front().at_ns);
    }
    if (!_reverse.empty()) {
      next = std::min(next, _reverse.front().at_ns);
    }
    if (rx.ack_due_ns != 0) {
      next = std::min(next, rx.ack_due_ns);
    }
    now = std::max(next, now);
    while (!_forward.empty() && _forward.front().at_ns <= now) {
      const in_flight seg = _forward.front();
      _forward.pop_front();
      if (rx.on_segment(seg.seq, seg.length, now)) {
        request(0);  // an ACK
      }
    }
    if (rx.ack_due_ns != 0 && rx.ack_due_ns <= now) {
      request(0);
    }
    std::vector<client_segment> segments;
    while (!_reverse.empty() && _reverse.front().at_ns <= now && segments.size() < 32) {
      const ack_in_flight& a = _reverse.front();
      segments.push_back({client_port, server_port, client_isn + 1 + _client_sent, a.ack, ack, window_field, a.options,
                          std::span{_request_bytes}.first(a.payload)});
      _client_sent += a.payload;
      _reverse.pop_front();
    }
    if (!segments.empty()) {
      deliver(segments);
    }
    _tcp.poll(now);
    collect();
  }

  outcome counters() const {
    outcome out;
    out.rto = _stats.tcp_rto_expiries.read();
    out.fast_retransmits = _stats.tcp_fast_retransmits.read();
    out.recoveries = _stats.tcp_recovery_episodes.read();
    out.probes = _stats.tcp_loss_probes.read();
    out.congestion_drops = _congestion_drops;
    out.random_drops = _random_drops;
    return out;
  }

  receiver rx;
  std::uint64_t now = t0_ns;

 private:
  static constexpr std::uint32_t client_isn = 1000;

  static std::vector<tcp::listener_settings> listeners_for(const path_options& o) {
    std::vector<tcp::listener_settings> listeners =
        engine::tcp_listeners_of(std::vector<config::listener_config>{{server_port, "sim", {}, {}}});
    listeners[0].congestion = o.cc;
    return listeners;
  }
  static tcp::tcp_settings settings_for(const path_options& o) {
    tcp::tcp_settings settings = engine::tcp_settings_of(config::engine_config{}, {});  // the config's defaults
    settings.connections = 16;
    settings.cookies = tcp::cookie_mode::auto_mode;  // the backlog keeps SACK without timestamps
    settings.send_buffer = 4 << 20;
    settings.send_budget = 8192;
    settings.tail_loss_probe = o.tail_loss_probe;
    settings.local_mac = server_mac;
    return settings;
  }

  // One burst of client frames through the pipeline; what rampart sends enters the path.
  void deliver(const std::vector<client_segment>& segments) {
    _frames.clear();
    for (const client_segment& s : segments) {
      const auto b = _pool.allocate();
      const std::uint16_t length = write_client_frame(b->data, b->capacity, s);
      _frames.push_back(packet::frame{b->data, length, b->capacity});
      _frames.back().buffer = b->handle;
    }
    _verdicts.assign(_frames.size(), {});
    pipeline::process_burst(_context, _frames, _verdicts, now);
    for (std::size_t i = 0; i < _frames.size(); ++i) {
      if (_verdicts[i].what == packet::action::transmit && !_established) {
        const server_segment s = read_server_frame({_frames[i].data, _frames[i].length});
        rx.rcv_nxt = s.tcp.sequence.raw() + 1;  // the SYN-ACK
      }
      _pool.release(_frames[i].buffer);
    }
  }

  void collect() {
    for (const packet::buffer& f : _sink.frames()) {
      const server_segment s = read_server_frame({f.data, f.length});
      if (!s.ok || s.payload.empty()) {
        continue;
      }
      while (!_departures.empty() && _departures.front() <= now) {
        _departures.pop_front();
      }
      if (_departures.size() >= queue_packets) {
        ++_congestion_drops;  // drop-tail
        continue;
      }
      _busy_until = std::max(_busy_until, now) + serialize_ns;
      _departures.push_back(_busy_until);
      if (_lost(_random)) {
        ++_random_drops;
        continue;
      }
      _forward.push_back({_busy_until + one_way_ns, s.tcp.sequence.raw(), static_cast<std::uint32_t>(s.payload.size())});
    }
    _sink.clear();
  }

  std::vector<tcp::listener_settings> _listeners;
  tcp::tcp_settings _settings;
  stats::lcore_stats _stats;
  block_pool _pool;
  holding_sink _sink;
  tcp::lcore_tcp _tcp;
  pipeline::lcore_context _context;
  std::mt19937_64 _random{20261130};
  std::bernoulli_distribution _lost;
  std::deque<in_flight> _forward;
  std::deque<ack_in_flight> _reverse;
  std::deque<std::uint64_t> _departures;  // of the packets in the bottleneck queue
  std::uint64_t _busy_until = 0;
  std::uint64_t _congestion_drops = 0;
  std::uint64_t _random_drops = 0;
  std::uint32_t _client_sent = 0;
  std::vector<std::byte> _request_bytes = std::vector<std::byte>(512, std::byte{'q'});
  bool _established = false;
  std::vector<packet::frame> _frames;
  std::vector<packet::verdict> _verdicts;
};

outcome simulate(tcp::cc_algorithm cc, bool sack, double loss) {
  bulk_sender app;
  path_simulation sim({cc, sack, loss, true}, app);
  const std::uint32_t first_byte = sim.rx.rcv_nxt;
  const std::uint64_t start = sim.now;
  bool stalled = false;
  while (sim.rx.rcv_nxt - first_byte < transfer_bytes && !stalled) {
    sim.step();
    stalled = sim.now - start > 3'600'000 * ms;
  }
  outcome out = sim.counters();
  out.stalled = stalled;
  out.goodput_mbit_s =
      static_cast<double>(sim.rx.rcv_nxt - first_byte) * 8 / (static_cast<double>(sim.now - start) / 1e9) / 1e6;
  return out;
}

// Answers every request with response_bytes.
struct responder final : tcp::application {
  std::vector<std::byte> body = std::vector<std::byte>(64 * 1024, std::byte{0x5a});
  std::uint32_t response_bytes = 0;
  void on_open(tcp::stream&) noexcept override {}
  void on_data(tcp::stream& s, tcp::data_view) noexcept override { s.send({body.data(), response_bytes}); }
  void on_writable(tcp::stream&) noexcept override {}
  void on_peer_closed(tcp::stream&) noexcept override {}
  void on_close(tcp::stream&, tcp::close_reason) noexcept override {}
};

struct response_times {
  std::vector<double> ms;  // request sent -> last byte of its response in order, simulated
  outcome counters;
};

// `count` requests one after the other on one connection, each answered by response_bytes.
response_times simulate_responses(bool tail_loss_probe, double loss, std::uint32_t response_bytes, int count) {
  responder app;
  app.response_bytes = response_bytes;
  path_simulation sim({tcp::cc_algorithm::cubic, true, loss, tail_loss_probe}, app);
  response_times out;
  for (int i = 0; i < count && !out.counters.stalled; ++i) {
    const std::uint32_t end = sim.rx.rcv_nxt + response_bytes;
    const std::uint64_t sent = sim.now;
    sim.request(100);
    while (static_cast<std::int32_t>(end - sim.rx.rcv_nxt) > 0 && !out.counters.stalled) {
      sim.step();
      out.counters.stalled = sim.now - sent > 600'000 * ms;
    }
    out.ms.push_back(static_cast<double>(sim.now - sent) / 1e6);
  }
  const bool stalled = out.counters.stalled;
  out.counters = sim.counters();
  out.counters.stalled = stalled;
  return out;
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (const double x : v) {
    sum += x;
  }
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void BM_loss_goodput(benchmark::State& state) {
  const auto cc = state.range(0) == 0 ? tcp::cc_algorithm::reno : tcp::cc_algorithm::cubic;
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

// Tail loss probes against the RTO alone: 2,000 responses of `segments` full segments, one per
// request, on one SACK connection (CUBIC), through the same path and loss. vs_rto_only: mean
// response time over the same run with tcp.tail_loss_probe false (simulated in this process).
void BM_tail_loss(benchmark::State& state) {
  const bool probe = state.range(0) != 0;
  const auto segments = static_cast<std::uint32_t>(state.range(1));
  const double loss = static_cast<double>(state.range(2)) / 10'000;
  constexpr int responses = 2000;
  const response_times rto_only = simulate_responses(false, loss, segments * mss, responses);
  response_times run;
  for (auto _ : state) {
    run = probe ? simulate_responses(true, loss, segments * mss, responses) : rto_only;
  }
  if (run.counters.stalled || rto_only.counters.stalled) {
    state.SkipWithError("a response stalled (none within 10 minutes of simulated time)");
    return;
  }
  state.counters["mean_ms"] = mean(run.ms);
  state.counters["p99_ms"] = percentile(run.ms, 0.99);
  state.counters["vs_rto_only"] = mean(run.ms) / mean(rto_only.ms);
  state.counters["p99_vs_rto_only"] = percentile(run.ms, 0.99) / percentile(rto_only.ms, 0.99);
  state.counters["rto"] = static_cast<double>(run.counters.rto);
  state.counters["probes"] = static_cast<double>(run.counters.probes);
  state.counters["fast_rexmit"] = static_cast<double>(run.counters.fast_retransmits);
}

BENCHMARK(BM_tail_loss)
    ->ArgNames({"probe", "segments", "loss_bp"})
    ->ArgsProduct({{0, 1}, {4, 16}, {100, 200, 500}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
