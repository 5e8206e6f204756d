// ns per packet of the listener path, over bursts of 32 frames as a worker sees them:
//   BM_baseline_copy_checksum  copy each frame into its buffer and compute its TCP checksum:
//                              the floor any in-place reply costs (the frames must be restored
//                              between iterations anyway, so every benchmark pays this copy)
//   BM_syn_to_syn_ack/always   copy + tcp_input_burst: validate, hash, bulk lookup (miss), make
//                              the cookie, write the SYN-ACK with MSS/WS/SACK/TS in the frame
//   BM_syn_to_syn_ack/auto     the same SYNs below auto_threshold: instead of the cookie, insert
//                              a backlog entry (SYN-RECEIVED, every option, its timers armed)
//   BM_syn_to_syn_ack_rx_checksum_offloaded  /always with frame.l4_checksum_verified set, as
//                              when the NIC reported RTE_MBUF_F_RX_L4_CKSUM_GOOD
//   BM_cookie_ack_to_connection copy + tcp_input_burst on the handshake's final ACKs: check the
//                              cookie, acquire and insert a connection
// Ratios against the baseline, not absolute figures, are what carry over between machines.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "cookie/key_schedule.hh"
#include "engine/tcp_settings.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/ipv4.hh"
#include "net/tcp_header.hh"
#include "packet/tcp_batch.hh"
#include "tcp/settings.hh"
#include "tcp/tcp_input.hh"

namespace {

using namespace rampart;

constexpr std::size_t burst = 32;
constexpr std::uint64_t now_ns = 1'700'000'000'000'000'000ULL;
constexpr std::size_t room = 2048;

struct frame_spec {
  std::uint16_t source_port;
  std::uint32_t sequence;
  std::uint32_t acknowledgment;
  std::uint8_t flags;
  net::tcp_options options;
};

std::vector<std::byte> build(const frame_spec& spec) {
  const std::size_t tcp_length = net::tcp_min_header_length + net::tcp_options_length(spec.options);
  std::vector<std::byte> frame(room);
  const std::span<std::byte> out{frame};
  net::write_ethernet_header(out, {{{2, 0, 0, 0, 0, 2}}, {{2, 0, 0, 0, 0, 1}}, net::ether_type::ipv4});
  net::ipv4_header ip;
  ip.total_length = static_cast<std::uint16_t>(20 + tcp_length);
  ip.dont_fragment = true;
  ip.protocol = net::ip_protocol::tcp;
  ip.source = {0x0a4d0001};
  ip.destination = {0x0a4d0002};
  net::write_ipv4_header(out.subspan(14), ip, true);
  net::tcp_header tcp;
  tcp.source_port = spec.source_port;
  tcp.destination_port = 80;
  tcp.sequence = net::seq32{spec.sequence};
  tcp.acknowledgment = net::seq32{spec.acknowledgment};
  tcp.flags = spec.flags;
  tcp.window = 64240;
  const std::span<std::byte> l4 = out.subspan(34, tcp_length);
  net::write_tcp_header(l4, tcp, spec.options);
  net::store_be16(l4.data() + 16, net::ipv4_l4_checksum(ip.source, ip.destination, net::ip_protocol::tcp, l4));
  frame.resize(34 + tcp_length);
  return frame;
}

net::tcp_options syn_options() {
  net::tcp_options o;  // what Linux sends
  o.mss = 1460;
  o.window_scale = 7;
  o.sack_permitted = true;
  o.timestamps = net::tcp_timestamps{123456, 0};
  return o;
}

cookie::key_set keys(std::uint64_t at_ns = now_ns) {
  std::array<std::byte, 32> master{};
  master[0] = std::byte{1};
  return cookie::key_schedule::derived(master, 64).keys_at(at_ns);
}

// The config's defaults, as the engine turns them into tcp_settings, in the given cookie mode.
tcp::tcp_settings settings(std::uint32_t connections, tcp::cookie_mode cookies) {
  tcp::tcp_settings s = engine::tcp_settings_of(config::engine_config{}, {});
  s.connections = connections;
  s.cookies = cookies;
  return s;
}

const std::vector<tcp::listener_settings> listeners =
    engine::tcp_listeners_of(std::vector<config::listener_config>{{80, "http", {}}});

// A burst's worth of frames: pristine copies, working buffers, and the pipeline's hand-over.
struct burst_set {
  std::vector<std::vector<std::byte>> pristine;
  std::array<std::array<std::byte, room>, burst> buffers{};
  std::array<packet::frame, burst> frames{};
  std::array<packet::verdict, burst> verdicts{};
  packet::tcp_segment_batch batch;

  explicit burst_set(std::vector<std::vector<std::byte>> frames_in) : pristine(std::move(frames_in)) {}

  // Restores the i-th burst of pristine frames into the buffers.
  void load(std::size_t first, bool nic_verified = false) noexcept {
    batch.count = 0;
    for (std::size_t i = 0; i < burst; ++i) {
      const std::vector<std::byte>& p = pristine[first + i];
      std::memcpy(buffers[i].data(), p.data(), p.size());
      frames[i] = {buffers[i].data(), static_cast<std::uint16_t>(p.size()), room};
      frames[i].l4_checksum_verified = nic_verified;
      packet::tcp_segment& s = batch.push({});
      s.frame_index = static_cast<std::uint32_t>(i);
      s.l3_offset = 14;
      s.l4_offset = 34;
      s.l4_length = static_cast<std::uint16_t>(p.size() - 34);
      s.ip.source = {0x0a4d0001};
      s.ip.destination = {0x0a4d0002};
      s.ip.total_length = static_cast<std::uint16_t>(p.size() - 14);
      s.ip.protocol = net::ip_protocol::tcp;
    }
  }
};

std::vector<std::vector<std::byte>> syns(std::size_t n) {
  std::vector<std::vector<std::byte>> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(build({static_cast<std::uint16_t>(1024 + i), static_cast<std::uint32_t>(i * 7919), 0,
                         net::tcp_flag::syn, syn_options()}));
  }
  return out;
}

void BM_baseline_copy_checksum(benchmark::State& state) {
  burst_set set{syns(burst)};
  for (auto _ : state) {
    set.load(0);
    for (std::size_t i = 0; i < burst; ++i) {
      const std::span<const std::byte> l4{set.frames[i].data + 34, set.batch.view()[i].l4_length};
      benchmark::DoNotOptimize(
          net::ipv4_l4_checksum({0x0a4d0001}, {0x0a4d0002}, net::ip_protocol::tcp, l4));
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}
BENCHMARK(BM_baseline_copy_checksum);

// Rounds of auto_threshold SYNs from distinct clients (768 with the defaults: 24 bursts), so
// that in mode auto each one is a new backlog entry and none falls back to a cookie. Between
// rounds, untimed, the clock moves past the backlog timeout and the entries expire, as those of
// clients that never send their ACK do; both modes pay the same pause.
void syn_to_syn_ack(benchmark::State& state, tcp::cookie_mode mode, bool nic_verified) {
  const tcp::tcp_settings s = settings(65536, mode);
  const std::size_t round = s.auto_threshold / burst * burst;
  stats::lcore_stats stats;
  tcp::lcore_tcp tcp{s, listeners, stats, flow::hash_seed{1, 2}};
  std::uint64_t now = now_ns;
  tcp.update_keys(keys(now));
  burst_set set{syns(round)};
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == round) {
      state.PauseTiming();
      now += s.backlog_timeout_ns;
      tcp.poll(now);
      tcp.update_keys(keys(now));
      next = 0;
      state.ResumeTiming();
    }
    set.load(next, nic_verified);
    tcp::tcp_input_burst(tcp, set.frames, set.verdicts, set.batch.view(), now);
    next += burst;
    benchmark::ClobberMemory();
  }
  const std::uint64_t answered = mode == tcp::cookie_mode::always ? stats.tcp_syncookies_sent.read()
                                                                  : stats.tcp_syn_backlog_used.read();
  if (answered != state.iterations() * burst) {
    state.SkipWithError("not every SYN got the SYN-ACK of its mode (a cookie, or a backlog entry)");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}
void BM_syn_to_syn_ack(benchmark::State& state, tcp::cookie_mode mode) { syn_to_syn_ack(state, mode, false); }
BENCHMARK_CAPTURE(BM_syn_to_syn_ack, always, tcp::cookie_mode::always);
BENCHMARK_CAPTURE(BM_syn_to_syn_ack, auto, tcp::cookie_mode::auto_mode);

void BM_syn_to_syn_ack_rx_checksum_offloaded(benchmark::State& state) {
  syn_to_syn_ack(state, tcp::cookie_mode::always, true);
}
BENCHMARK(BM_syn_to_syn_ack_rx_checksum_offloaded);

void BM_cookie_ack_to_connection(benchmark::State& state) {
  // 60000 distinct handshakes: answer their SYNs once (untimed) to learn the cookies, then time
  // the final ACKs; when all are used, start again with a fresh table (untimed).
  constexpr std::size_t flows = 60000;  // 1875 bursts; client ports 1024..61023
  stats::lcore_stats stats;
  std::vector<std::vector<std::byte>> acks;
  {
    tcp::lcore_tcp tcp{settings(16, tcp::cookie_mode::always), listeners, stats, flow::hash_seed{1, 2}};
    tcp.update_keys(keys());
    for (std::size_t first = 0; first < flows; first += burst) {
      std::vector<std::vector<std::byte>> s;
      for (std::size_t i = first; i < first + burst; ++i) {
        s.push_back(build({static_cast<std::uint16_t>(1024 + i), static_cast<std::uint32_t>(i * 7919), 0,
                           net::tcp_flag::syn, syn_options()}));
      }
      burst_set set{std::move(s)};
      set.load(0);
      tcp::tcp_input_burst(tcp, set.frames, set.verdicts, set.batch.view(), now_ns);
      for (std::size_t i = 0; i < burst; ++i) {
        const auto tcp_view = net::tcp_view::parse({set.frames[i].data + 34, static_cast<std::size_t>(set.frames[i].length - 34)});
        net::tcp_options o;
        o.timestamps = net::tcp_timestamps{123457, tcp_view->options().timestamps->value};
        acks.push_back(build({static_cast<std::uint16_t>(1024 + first + i),
                              static_cast<std::uint32_t>((first + i) * 7919 + 1),
                              tcp_view->header().sequence.raw() + 1, net::tcp_flag::ack, o}));
      }
    }
  }
  burst_set set{std::move(acks)};
  const tcp::tcp_settings cookie_settings = settings(65536, tcp::cookie_mode::always);
  auto tcp = std::make_unique<tcp::lcore_tcp>(cookie_settings, listeners, stats, flow::hash_seed{1, 2});
  tcp->update_keys(keys());
  std::size_t next = 0;
  const std::uint64_t opened_before = stats.tcp_connections_opened.read();
  std::uint64_t refused = 0;
  for (auto _ : state) {
    if (next + burst > flows) {
      state.PauseTiming();
      refused += stats.tcp_table_full_refusals.read();
      tcp = std::make_unique<tcp::lcore_tcp>(cookie_settings, listeners, stats, flow::hash_seed{1, 2});
      tcp->update_keys(keys());
      next = 0;
      state.ResumeTiming();
    }
    set.load(next);
    tcp::tcp_input_burst(*tcp, set.frames, set.verdicts, set.batch.view(), now_ns);
    next += burst;
    benchmark::ClobberMemory();
  }
  if (stats.tcp_connections_opened.read() - opened_before != state.iterations() * burst || refused != 0) {
    state.SkipWithError("not every ACK opened a connection");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}
BENCHMARK(BM_cookie_ack_to_connection);

}  // namespace

BENCHMARK_MAIN();
