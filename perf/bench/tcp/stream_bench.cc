// Established streams on one core, in memory: rampart's whole pure datapath (pipeline::
// process_burst → lcore_tcp → the real apps of lib/app, buffers from a free-list pool, frames
// leaving through a frame_sink) against a client in the same thread that builds real frames
// (both checksums) and reads everything rampart emits (both checksums verified, sequence
// numbers followed). Timers run once per burst (lcore_tcp::poll) as in the worker loop.
//
//   BM_short_connection/MODE   32 connections in lock-step per iteration, 8 packets each:
//                              SYN → SYN-ACK → ACK → GET → 200 response → client FIN →
//                              rampart FIN → final ACK; the table is empty again afterwards.
//                              /always: the SYN-ACK carries a cookie; /auto: a backlog entry
//   BM_proxied_short_connection  the same through the proxy app to one backend: 32 pairs in
//                              lock-step per iteration: the client's cookie handshake, ours to
//                              the backend, GET relayed, the backend's response + FIN relayed,
//                              the client's FIN relayed, the backend's last ACK. The clock moves
//                              100 µs per iteration, TIME-WAIT (the client side's) lasts 1 ms
//   BM_keepalive_requests/N    N open connections; per iteration 32 GETs (each ACKing the
//                              previous response, as a client sending at once does), 32 responses
//   BM_bulk_receive            one connection to discard; 32 segments of 1460 bytes per
//                              iteration, rampart ACKs every second one
//   BM_receive_order/0, /1     32 segments per iteration in order, or the first one last (31
//                              queued out of order, then the fill): the out-of-order path's cost
//   BM_bulk_send               one connection to http with a 64 MiB body; per iteration one turn
//                              of the client's ACKs (one per two 1460-byte segments received)
//   BM_idle_connection_memory  bytes per idle established connection (counters, see below)
//   BM_idle_memory_by_kind/KIND  RSS per connection held, 2^20 of one kind: cookie-opened
//                              ESTABLISHED, SYN backlog entries, TIME-WAIT (see below)
//   BM_idle_proxied_pair_memory  RSS per idle proxied pair (client + backend connection and the
//                              proxy's pair state) against RSS per idle connection, 131,072 each
//   BM_syn_flood/N             32 SYNs from distinct sources per iteration, answered with cookie
//                              SYN-ACKs in place, taken in a shuffled order from N frames: /32
//                              keeps them in L1, /65536 (16 MiB) lets each go cold before it comes
//                              round again, as frames a NIC or another core just wrote are
//   BM_syn_turn/N/GAP          the same SYNs at a low rate: N a turn (1, 8, 32), and between turns
//                              nothing (0), a 4 MiB cache sweep (1) or 200 µs of waiting (2)
//   BM_baseline_*              the client alone, same frames (see each)
//
// Each has a same-run baseline: the client's own work (building and checksumming its frames,
// verifying as many frames as rampart sends it) without rampart. The client runs on the same
// core here, so "rampart alone" = full − baseline; docs/performance.md reports both.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <malloc.h>
#include <memory>
#include <new>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/registry.hh"
#include "block_pool.hh"
#include "client_frames.hh"
#include "cookie/key_schedule.hh"
#include "engine/tcp_settings.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/ipv4.hh"
#include "net/tcp_header.hh"
#include "pipeline/pipeline.hh"
#include "tcp/connection.hh"
#include "tcp/lcore_tcp.hh"
#include "tcp/tcp_input.hh"

// ---- Heap accounting for BM_idle_connection_memory: every operator new of the binary counts. ----
namespace {
std::size_t allocated_bytes = 0;
}  // namespace

void* operator new(std::size_t n) {
  allocated_bytes += n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a) {
  allocated_bytes += n;
  const std::size_t align = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
// GCC cannot see that these deletes free what the news above took from malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using namespace rampart;
using namespace rampart::perf;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::syn;

constexpr std::uint64_t now_ns = 1'700'000'000'000'000'000ULL;
constexpr std::size_t burst = 32;
constexpr std::uint16_t http_port = 80;
constexpr std::uint16_t discard_port = 9;
constexpr std::uint16_t bulk_http_port = 8080;
constexpr std::uint32_t bulk_body_bytes = 64 << 20;
constexpr std::uint16_t segment_bytes = 1460;

// What curl sends.
constexpr std::string_view http_request =
    "GET / HTTP/1.1\r\nHost: 10.77.0.2\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// What a baseline does for each frame rampart would send: parse Ethernet + IPv4 + TCP and verify
// the TCP checksum (read_server_frame's work, on a frame addressed the other way).
bool verify_frame(const std::byte* data, std::uint16_t length) noexcept {
  const auto ip = net::ipv4_view::parse({data + net::ethernet_header_length,
                                         static_cast<std::size_t>(length - net::ethernet_header_length)});
  if (!ip.ok()) {
    return false;
  }
  const auto tcp = net::tcp_view::parse(ip->payload());
  return tcp.ok() &&
         net::ipv4_l4_checksum_verifies(ip->source(), ip->destination(), net::ip_protocol::tcp, ip->payload());
}

// bytes/s and the payload_Gbit_per_s counter of a bulk benchmark.
void report_payload(benchmark::State& state, std::uint64_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["payload_Gbit_per_s"] =
      benchmark::Counter(static_cast<double>(bytes) * 8 / 1e9, benchmark::Counter::kIsRate);
}

// The Linux SYN: MSS, SACK-permitted, timestamps, window scale 7.
net::tcp_options linux_syn_options(bool timestamps) {
  net::tcp_options o;
  o.mss = segment_bytes;
  o.window_scale = 7;
  o.sack_permitted = true;
  if (timestamps) {
    o.timestamps = net::tcp_timestamps{1000, 0};
  }
  return o;
}

cookie::key_schedule key_schedule() {
  std::array<std::byte, 32> master{};
  master[0] = std::byte{1};
  return cookie::key_schedule::derived(master, 64);
}

// ---- One rampart lcore and its in-memory client ----

// The client's side of one connection.
struct client_connection {
  std::uint16_t port = 0;
  std::uint16_t server_port = http_port;
  net::ipv4_address ip = client_ip;
  std::uint32_t snd_nxt = 0;    // our next sequence number
  std::uint32_t rcv_nxt = 0;    // the next byte we expect from rampart
  std::uint32_t ts_recent = 0;  // rampart's last TSval, echoed
  std::uint32_t window_edge = 0;  // rampart's ACK + window << 7: how far we may send
  bool timestamps = true;
  bool established = false;
  bool fin_received = false;
  std::uint32_t segments_unacked = 0;  // data segments since our last ACK
  std::uint64_t received = 0;          // payload bytes from rampart
  std::vector<std::uint32_t>* ack_points = nullptr;  // when set: an ACK is due at each entry

  net::tcp_options options() const {
    net::tcp_options o;
    if (timestamps) {
      o.timestamps = net::tcp_timestamps{2000, ts_recent};
    }
    return o;
  }
};

// The backends' next hop: the router the client sits behind (every address resolves to it).
class router_next_hop final : public tcp::next_hop_resolver {
 public:
  result resolve(net::ipv4_address, std::uint64_t) noexcept override { return {status::resolved, client_mac}; }
  // Never called: every address resolves.
  bool hold(net::ipv4_address, const packet::buffer&, const packet::tx_offload_request&,
            std::uint64_t) noexcept override {
    return false;
  }
};

class bench_node {
 public:
  // cookies: the config's default unless a benchmark measures one mode.
  explicit bench_node(std::uint32_t connections, std::optional<tcp::cookie_mode> cookies = std::nullopt,
                      std::map<std::string, std::string> bulk_args = {})
      : bench_node(settings(connections, cookies),
                   {{http_port, "http", {}, {}}, {discard_port, "discard", {}, {}},
                    {bulk_http_port, "http", {}, std::move(bulk_args)}}) {}

  // Any listeners; connections apps open reach their peers through the client's router.
  bench_node(const tcp::tcp_settings& s, std::vector<config::listener_config> listeners)
      : _listeners(std::move(listeners)),
        _pool(16384),
        _sink(_pool, 4096),
        _tcp(s, engine::tcp_listeners_of(_listeners), _stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4},
             now_ns) {
    _tcp.update_keys(_keys.keys_at(_now));
    _tcp.attach_io(_pool, _sink);
    _tcp.set_next_hop_resolver(&_router);
    for (std::size_t i = 0; i < _listeners.size(); ++i) {
      _apps.push_back(app::make_application(_listeners[i], {_stats, 0}));
      _tcp.set_application(static_cast<std::uint8_t>(i), _apps.back().get());
    }
    _context.identity = {server_mac, {server_ip, 24}};
    _context.stats = &_stats;
    _context.tcp = {tcp::tcp_input_handler, &_tcp};
  }

  // The config's defaults, as the engine turns them into tcp_settings, but for the send budget:
  // BM_keepalive_requests/4096's client acknowledges each response only with its next request,
  // so all 4096 connections hold one response buffer at once, the whole default budget.
  static tcp::tcp_settings settings(std::uint32_t connections,
                                    std::optional<tcp::cookie_mode> cookies = std::nullopt) {
    tcp::tcp_settings s = engine::tcp_settings_of(config::engine_config{}, {});
    s.connections = connections;
    s.cookies = cookies.value_or(s.cookies);
    s.send_budget = 8192;
    s.local_mac = server_mac;
    s.local_ip = server_ip;
    return s;
  }

  // Queues one client frame for the next burst; false when the burst is full.
  void add(const client_segment& s) noexcept {
    const auto b = _pool.allocate();
    if (!b || _count == _frames.size()) {
      _failed = true;
      return;
    }
    const std::uint16_t length = write_client_frame(b->data, b->capacity, s);
    _frames[_count] = packet::frame{b->data, length, b->capacity};
    _frames[_count].buffer = b->handle;
    ++_count;
  }
  std::size_t queued() const noexcept { return _count; }

  // One worker loop turn: the burst through the pipeline, then the timers. `read` gets every
  // frame rampart sent (in-place replies, then the sink's), after which the buffers are freed.
  template <class Reader>
  void run(Reader&& read) noexcept {
    pipeline::process_burst(_context, {_frames.data(), _count}, {_verdicts.data(), _count}, _now);
    _tcp.poll(_now);
    for (std::size_t i = 0; i < _count; ++i) {
      if (_verdicts[i].what == packet::action::transmit) {
        read(read_server_frame({_frames[i].data, _frames[i].length}));
      } else if (_verdicts[i].what == packet::action::drop) {
        _failed = true;
      }
      _pool.release(_frames[i].buffer);
    }
    _count = 0;
    for (const packet::buffer& f : _sink.frames()) {
      read(read_server_frame({f.data, f.length}));
    }
    _sink.clear();
  }

  // One turn on frames the caller owns (not from the pool), as the worker takes a received
  // burst: prefetch the headers, the pipeline, then the timers. Returns how many were answered
  // in place; anything else (a drop, a frame from the sink) marks the node failed.
  std::size_t run_owned(std::span<packet::frame> frames) noexcept {
    for (const packet::frame& f : frames) {
      packet::prefetch_headers(f.data);
    }
    pipeline::process_burst(_context, frames, {_verdicts.data(), frames.size()}, _now);
    _tcp.poll(_now);
    std::size_t answered = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      answered += _verdicts[i].what == packet::action::transmit ? 1 : 0;
    }
    if (answered != frames.size() || !_sink.frames().empty()) {
      _failed = true;
    }
    return answered;
  }

  // Moves the lcore's clock on (timers due by then fire at the next run); a new key epoch
  // brings its cookie keys, as the control thread would ship them.
  void advance(std::uint64_t ns) noexcept {
    const std::uint64_t epoch = _keys.epoch_at(_now);
    _now += ns;
    if (_keys.epoch_at(_now) != epoch) {
      _tcp.update_keys(_keys.keys_at(_now));
    }
  }

  bool failed() const noexcept { return _failed || _pool.bad_releases() != 0; }
  tcp::lcore_tcp& tcp() noexcept { return _tcp; }
  stats::lcore_stats& stats() noexcept { return _stats; }
  perf::block_pool& pool() noexcept { return _pool; }

 private:
  std::vector<config::listener_config> _listeners;
  cookie::key_schedule _keys = key_schedule();
  std::uint64_t _now = now_ns;
  stats::lcore_stats _stats;
  // Declared before the lcore_tcp, which returns its connections' buffers when destroyed.
  perf::block_pool _pool;
  perf::holding_sink _sink;
  std::vector<std::unique_ptr<tcp::application>> _apps;
  router_next_hop _router;
  tcp::lcore_tcp _tcp;
  pipeline::lcore_context _context;
  std::array<packet::frame, packet::tcp_segment_batch::capacity> _frames{};
  std::array<packet::verdict, packet::tcp_segment_batch::capacity> _verdicts{};
  std::size_t _count = 0;
  bool _failed = false;
};

// Follows what rampart sent on one connection; false when the segment is not what a correct
// peer may send here (bad checksum, unexpected sequence number).
bool follow(client_connection& c, const server_segment& s) noexcept {
  if (!s.ok) {
    return false;
  }
  if (s.tcp.has(syn)) {
    c.rcv_nxt = s.tcp.sequence.raw() + 1;
  } else if (s.tcp.sequence.raw() != c.rcv_nxt) {
    return false;
  } else {
    c.rcv_nxt += static_cast<std::uint32_t>(s.payload.size()) + (s.tcp.has(fin) ? 1U : 0U);
  }
  if (s.tcp.has(fin)) {
    c.fin_received = true;
  }
  if (!s.payload.empty()) {
    c.received += s.payload.size();
    if (++c.segments_unacked == 2 && c.ack_points != nullptr) {
      c.ack_points->push_back(c.rcv_nxt);
      c.segments_unacked = 0;
    }
  }
  if (s.options.timestamps) {
    c.ts_recent = s.options.timestamps->value;
  }
  c.window_edge = s.tcp.acknowledgment.raw() + (std::uint32_t{s.tcp.window} << 7);
  return true;
}

// Hands each frame rampart sent to the client connection it is addressed to (ports first..).
struct client_set {
  std::vector<client_connection> connections;
  std::uint16_t first_port = 0;
  bool failed = false;
  std::uint64_t frames = 0;  // read from rampart

  void operator()(const server_segment& s) noexcept {
    ++frames;
    const auto i = static_cast<std::size_t>(s.tcp.destination_port - first_port);
    if (!s.ok || i >= connections.size() || !follow(connections[i], s)) {
      failed = true;
    }
  }
};

// The three-way handshake of every connection of `clients`, in bursts of 32 (SYNs, then ACKs);
// `read` gets every frame rampart sends meanwhile.
template <class Reader>
void open_all(bench_node& node, client_set& clients, std::uint32_t isn, Reader& read) {
  for (std::size_t first = 0; first < clients.connections.size(); first += burst) {
    const std::size_t last = std::min(first + burst, clients.connections.size());
    for (std::size_t i = first; i < last; ++i) {
      client_connection& c = clients.connections[i];
      c.snd_nxt = isn;
      net::tcp_options o = linux_syn_options(c.timestamps);
      node.add({c.port, c.server_port, c.snd_nxt, 0, syn, 64240, o, {}, c.ip});
      c.snd_nxt += 1;
    }
    node.run(read);
    for (std::size_t i = first; i < last; ++i) {
      client_connection& c = clients.connections[i];
      node.add({c.port, c.server_port, c.snd_nxt, c.rcv_nxt, ack, 502, c.options(), {}, c.ip});
      c.established = true;
    }
    node.run(read);
  }
}

void open_all(bench_node& node, client_set& clients, std::uint32_t isn) { open_all(node, clients, isn, clients); }

// ---- 1. Short connections ----

void BM_short_connection(benchmark::State& state, tcp::cookie_mode cookies) {
  bench_node node(65536, cookies);
  client_set clients;
  clients.first_port = 10000;
  clients.connections.resize(burst);
  std::uint32_t isn = 7;
  std::uint64_t completed = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < burst; ++i) {
      clients.connections[i] = {};
      clients.connections[i].port = static_cast<std::uint16_t>(clients.first_port + i);
    }
    isn += 100'003;
    open_all(node, clients, isn);
    for (client_connection& c : clients.connections) {  // the request
      node.add({c.port, http_port, c.snd_nxt, c.rcv_nxt, psh | ack, 502, c.options(), bytes_of(http_request)});
      c.snd_nxt += static_cast<std::uint32_t>(http_request.size());
    }
    node.run(clients);
    for (client_connection& c : clients.connections) {  // our FIN, ACKing the response
      node.add({c.port, http_port, c.snd_nxt, c.rcv_nxt, fin | ack, 502, c.options(), {}});
      c.snd_nxt += 1;
    }
    node.run(clients);
    for (client_connection& c : clients.connections) {  // the final ACK of rampart's FIN
      if (c.received == 0 || !c.fin_received) {
        clients.failed = true;
      }
      node.add({c.port, http_port, c.snd_nxt, c.rcv_nxt, ack, 502, c.options(), {}});
    }
    node.run(clients);
    completed += burst;
    if (node.tcp().connection_count() != 0 || clients.failed || node.failed()) {
      state.SkipWithError("a connection did not complete its exchange (or was not erased)");
      break;
    }
  }
  const std::uint64_t handshakes = cookies == tcp::cookie_mode::always ? node.stats().tcp_syncookies_validated.read()
                                                                     : node.stats().tcp_syn_backlog_used.read();
  if (node.stats().tcp_closed_normal.read() != completed || node.stats().http_requests.read() != completed ||
      handshakes != completed) {
    state.SkipWithError("counters disagree with the connections run (or a handshake took the other mode's path)");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(completed));
  state.counters["rampart_frames_per_connection"] =
      static_cast<double>(clients.frames) / static_cast<double>(std::max<std::uint64_t>(completed, 1));
  state.counters["ns_per_connection"] = benchmark::Counter(
      static_cast<double>(completed), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_short_connection, always, tcp::cookie_mode::always);
BENCHMARK_CAPTURE(BM_short_connection, auto, tcp::cookie_mode::auto_mode);

// The peers' side of a short connection without rampart, 32 times per iteration: build and
// checksum `specs`, then read back (parse, verify both checksums) `reads` frames, as many as
// rampart sends them. The frames read are the ones built after the first (the SYN), in turn.
void peers_without_rampart(benchmark::State& state, std::span<const client_segment> specs, std::size_t reads) {
  perf::block_pool pool(64);
  std::uint64_t n = 0;
  std::array<packet::buffer, 8> frames;
  std::array<std::uint16_t, 8> lengths{};
  for (auto _ : state) {
    for (std::size_t i = 0; i < burst; ++i) {
      for (std::size_t k = 0; k < specs.size(); ++k) {
        frames[k] = *pool.allocate();
        lengths[k] = write_client_frame(frames[k].data, frames[k].capacity, specs[k]);
      }
      // Reads "as if from rampart": the frames are addressed to the server, so parse them as the
      // client would parse its own direction (same work: two parses, two checksums).
      for (std::size_t k = 0; k < reads; ++k) {
        const std::size_t f = 1 + k % (specs.size() - 1);
        benchmark::DoNotOptimize(verify_frame(frames[f].data, lengths[f]));
      }
      for (std::size_t k = 0; k < specs.size(); ++k) {
        pool.release(frames[k].handle);
      }
      ++n;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["ns_per_connection"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// BM_short_connection's client: its 5 frames, and 3 read for the 3 rampart sends.
void BM_baseline_short_connection_client(benchmark::State& state) {
  client_connection c;
  c.ts_recent = 12345;
  constexpr std::uint16_t port = 10000;
  const std::array<client_segment, 5> specs{{
      {port, http_port, 1, 0, syn, 64240, linux_syn_options(true), {}},
      {port, http_port, 2, 3, ack, 502, c.options(), {}},
      {port, http_port, 2, 3, psh | ack, 502, c.options(), bytes_of(http_request)},
      {port, http_port, 80, 3, fin | ack, 502, c.options(), {}},
      {port, http_port, 81, 4, ack, 502, c.options(), {}},
  }};
  peers_without_rampart(state, specs, 3);
}
BENCHMARK(BM_baseline_short_connection_client);

// ---- 1b. Proxied short connections ----

// The proxy listener relays to backends 10.77.0.3:8080, :8081, ... (one address, so the pairs'
// tuples differ by the backend's port and rampart's local port).
constexpr std::uint16_t proxy_port = 8000;
constexpr std::uint16_t first_backend_port = 8080;
constexpr net::ipv4_address backend_ip{0x0a4d0003};  // 10.77.0.3

// What nginx answers to curl's GET of a 2-byte file, closing after it (HTTP/1.1
// "Connection: close").
constexpr std::string_view backend_response =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
    "Connection: close\r\n\r\nhi";

// A proxy listener to `backends` backends, round robin, TCP health checks hourly (the first
// round runs at the first poll: pass_health_checks answers it), no PROXY header.
config::listener_config proxy_listener(std::uint16_t backends) {
  std::string list = "10.77.0.3:" + std::to_string(first_backend_port);
  for (std::uint16_t b = 1; b < backends; ++b) {
    list.append(",10.77.0.3:").append(std::to_string(first_backend_port + b));
  }
  return {proxy_port, "proxy", {}, {{"backends", list}, {"health_interval_ms", "3600000"}}};
}

// The backends' side: one peer connection per (backend, rampart's local port), found from the
// ports of each frame rampart sends them. In each, `port` is the backend's port and
// `server_port` rampart's local port (the frames' roles are the client's and the server's).
struct backend_set {
  explicit backend_set(std::uint16_t backends) : connections(std::size_t{backends} << 16) {}

  std::vector<client_connection> connections;  // backend b, local port p: [b << 16 | p]
  std::vector<std::uint32_t> syns;  // connections whose SYN came since the last answer_syns
  bool failed = false;
  std::uint64_t frames = 0;

  void operator()(const server_segment& s) noexcept {
    ++frames;
    const std::size_t b = static_cast<std::size_t>(s.tcp.destination_port - first_backend_port);
    if (!s.ok || b >= (connections.size() >> 16)) {
      failed = true;
      return;
    }
    const std::uint32_t i = static_cast<std::uint32_t>(b << 16 | s.tcp.source_port);
    client_connection& c = connections[i];
    if (s.tcp.has(net::tcp_flag::rst)) {
      return;  // the end of a health check (a pair reset never completes, which its benchmark sees)
    }
    if (s.tcp.has(syn)) {
      c = {};
      c.port = s.tcp.destination_port;
      c.server_port = s.tcp.source_port;
      c.ip = backend_ip;
      syns.push_back(i);
    }
    if (!follow(c, s)) {
      failed = true;
    }
  }

  // Each SYN since the last call gets its SYN-ACK (Linux's options, ISN 5000).
  void answer_syns(bench_node& node) noexcept {
    for (const std::uint32_t i : syns) {
      client_connection& c = connections[i];
      net::tcp_options o = linux_syn_options(true);
      o.timestamps->echo_reply = c.ts_recent;
      c.snd_nxt = 5000;
      node.add({c.port, c.server_port, c.snd_nxt, c.rcv_nxt, syn | ack, 64240, o, {}, c.ip});
      c.snd_nxt += 1;
      c.established = true;
    }
  }
};

// Everything rampart sends, to the client or the backend it is addressed to.
struct proxy_peers {
  explicit proxy_peers(std::uint16_t backends) : backends(backends) {}
  client_set clients;
  backend_set backends;

  void operator()(const server_segment& s) noexcept {
    if (s.ok && s.tcp.source_port == proxy_port) {
      clients(s);
    } else {
      backends(s);
    }
  }
  bool failed() const noexcept { return clients.failed || backends.failed; }
};

// The first round of health checks (one connect per backend): answered, so every backend is up.
void pass_health_checks(bench_node& node, proxy_peers& peers) {
  node.run(peers);
  peers.backends.answer_syns(node);
  peers.backends.syns.clear();
  node.run(peers);  // our ACK, then the check's RST
}

// A TIME-WAIT short enough for the closed pairs' client side to leave the table while the
// benchmark runs: the clock moves on by clock_step per iteration.
constexpr std::uint64_t bench_time_wait_ns = 1'000'000;
constexpr std::uint64_t clock_step_ns = 100'000;

void BM_proxied_short_connection(benchmark::State& state) {
  tcp::tcp_settings settings = bench_node::settings(65536, tcp::cookie_mode::always);
  settings.time_wait_ns = bench_time_wait_ns;
  bench_node node(settings, {proxy_listener(1)});
  proxy_peers peers(1);
  pass_health_checks(node, peers);
  // The checks' connections, reset once they pass.
  const std::uint64_t check_connects = node.stats().tcp_connects_established.read();
  const std::uint64_t check_aborts = node.stats().tcp_closed_aborted.read();
  client_set& clients = peers.clients;
  backend_set& backends = peers.backends;
  clients.connections.resize(burst);
  std::uint32_t isn = 7;
  std::uint64_t completed = 0;
  std::uint32_t round = 0;
  for (auto _ : state) {
    // Client ports go round 32,000 of them, so a tuple comes back long after its TIME-WAIT.
    clients.first_port = static_cast<std::uint16_t>(10000 + (round++ % 1000) * burst);
    for (std::size_t i = 0; i < burst; ++i) {
      clients.connections[i] = {};
      clients.connections[i].port = static_cast<std::uint16_t>(clients.first_port + i);
      clients.connections[i].server_port = proxy_port;
    }
    isn += 100'003;
    open_all(node, clients, isn, peers);  // the cookie handshakes; their ACKs open the backends'
    backends.answer_syns(node);
    node.run(peers);  // our ACKs of the backends' SYN-ACKs
    for (client_connection& c : clients.connections) {  // the request, relayed to the backend
      node.add({c.port, proxy_port, c.snd_nxt, c.rcv_nxt, psh | ack, 502, c.options(), bytes_of(http_request)});
      c.snd_nxt += static_cast<std::uint32_t>(http_request.size());
    }
    node.run(peers);
    for (const std::uint32_t i : backends.syns) {  // the response and the backend's FIN
      client_connection& b = backends.connections[i];
      node.add({b.port, b.server_port, b.snd_nxt, b.rcv_nxt, psh | fin | ack, 502, b.options(),
                bytes_of(backend_response), backend_ip});
      b.snd_nxt += static_cast<std::uint32_t>(backend_response.size()) + 1;
    }
    node.run(peers);  // our ACK to the backend; the response and our FIN to the client
    for (client_connection& c : clients.connections) {  // the client's FIN, ACKing all
      node.add({c.port, proxy_port, c.snd_nxt, c.rcv_nxt, fin | ack, 502, c.options(), {}});
      c.snd_nxt += 1;
    }
    node.run(peers);  // our ACK to the client (TIME-WAIT), our FIN to the backend
    for (const std::uint32_t i : backends.syns) {  // the backend ACKs our FIN
      client_connection& b = backends.connections[i];
      if (b.received != http_request.size() || !b.fin_received) {
        backends.failed = true;
      }
      node.add({b.port, b.server_port, b.snd_nxt, b.rcv_nxt, ack, 502, b.options(), {}, backend_ip});
    }
    for (const client_connection& c : clients.connections) {
      if (c.received != backend_response.size() || !c.fin_received) {
        clients.failed = true;
      }
    }
    node.run(peers);
    node.advance(clock_step_ns);
    completed += backends.syns.size();
    if (backends.syns.size() != burst || peers.failed() || node.failed()) {
      state.SkipWithError("a proxied connection did not complete its exchange");
      break;
    }
    backends.syns.clear();
  }
  if (node.stats().tcp_syncookies_validated.read() != completed ||
      node.stats().tcp_connects_established.read() != completed + check_connects ||
      node.stats().tcp_closed_aborted.read() != check_aborts || node.stats().proxy_relay_cut.read() != 0) {
    state.SkipWithError("counters disagree with the connections run");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(completed));
  state.counters["rampart_frames_per_connection"] =
      static_cast<double>(clients.frames + backends.frames) / static_cast<double>(std::max<std::uint64_t>(completed, 1));
  state.counters["ns_per_connection"] = benchmark::Counter(
      static_cast<double>(completed), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_proxied_short_connection);

// BM_proxied_short_connection's client and backend: their 4 + 3 frames, and 9 read for the 9
// rampart sends them.
void BM_baseline_proxied_peers(benchmark::State& state) {
  client_connection c;
  c.ts_recent = 12345;
  constexpr std::uint16_t port = 10000;
  constexpr std::uint16_t local_port = 40000;
  const std::array<client_segment, 7> specs{{
      {port, proxy_port, 1, 0, syn, 64240, linux_syn_options(true), {}},
      {port, proxy_port, 2, 3, ack, 502, c.options(), {}},
      {port, proxy_port, 2, 3, psh | ack, 502, c.options(), bytes_of(http_request)},
      {first_backend_port, local_port, 5000, 9, syn | ack, 64240, linux_syn_options(true), {}, backend_ip},
      {first_backend_port, local_port, 5001, 82, psh | fin | ack, 502, c.options(), bytes_of(backend_response),
       backend_ip},
      {port, proxy_port, 80, 120, fin | ack, 502, c.options(), {}},
      {first_backend_port, local_port, 5120, 83, ack, 502, c.options(), {}, backend_ip},
  }};
  peers_without_rampart(state, specs, 9);
}
BENCHMARK(BM_baseline_proxied_peers);

// ---- 2. Keep-alive requests ----

void BM_keepalive_requests(benchmark::State& state) {
  const auto open = static_cast<std::size_t>(state.range(0));
  bench_node node(65536);
  client_set clients;
  clients.first_port = 10000;
  clients.connections.resize(open);
  for (std::size_t i = 0; i < open; ++i) {
    clients.connections[i].port = static_cast<std::uint16_t>(clients.first_port + i);
  }
  open_all(node, clients, 7);
  std::size_t next = 0;
  std::uint64_t requests = 0;
  for (auto _ : state) {
    for (std::size_t k = 0; k < burst; ++k) {
      client_connection& c = clients.connections[next];
      next = next + 1 == open ? 0 : next + 1;
      node.add({c.port, http_port, c.snd_nxt, c.rcv_nxt, psh | ack, 502, c.options(), bytes_of(http_request)});
      c.snd_nxt += static_cast<std::uint32_t>(http_request.size());
    }
    node.run(clients);
    requests += burst;
    if (clients.failed || node.failed()) {
      state.SkipWithError("a request went wrong");
      break;
    }
  }
  if (node.stats().http_requests.read() != requests || node.tcp().connection_count() != open) {
    state.SkipWithError("not every request was answered");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(requests));
}
BENCHMARK(BM_keepalive_requests)->Arg(32)->Arg(4096);

// The client's side of one request without rampart: build and checksum the request frame, read
// one frame back (parse, verify).
void BM_baseline_request_client(benchmark::State& state) {
  perf::block_pool pool(64);
  std::array<packet::buffer, burst> frames;
  std::array<std::uint16_t, burst> lengths{};
  client_connection c;
  c.ts_recent = 12345;
  for (auto _ : state) {
    for (std::size_t i = 0; i < burst; ++i) {
      frames[i] = *pool.allocate();
      lengths[i] = write_client_frame(frames[i].data, frames[i].capacity,
                                      {static_cast<std::uint16_t>(10000 + i), http_port, 2, 3, psh | ack, 502,
                                       c.options(), bytes_of(http_request)});
    }
    for (std::size_t i = 0; i < burst; ++i) {
      benchmark::DoNotOptimize(verify_frame(frames[i].data, lengths[i]));
      pool.release(frames[i].handle);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}
BENCHMARK(BM_baseline_request_client);

// ---- 3. Bulk transfer ----

std::array<std::byte, segment_bytes> payload_block() {
  std::array<std::byte, segment_bytes> p;
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i] = static_cast<std::byte>('a' + i % 26);
  }
  return p;
}

// One connection without timestamps, so that segments carry 1460 bytes of payload.
client_connection& open_bulk_connection(bench_node& node, client_set& clients, std::uint16_t server_port) {
  clients.first_port = 20000;
  clients.connections.resize(1);
  client_connection& c = clients.connections[0];
  c.port = clients.first_port;
  c.server_port = server_port;
  c.timestamps = false;
  open_all(node, clients, 7);
  return c;
}

// False, with the benchmark marked failed, when a burst more would overrun rampart's window.
bool window_takes_burst(benchmark::State& state, const client_connection& c) {
  if (static_cast<std::int32_t>(c.window_edge - (c.snd_nxt + burst * segment_bytes)) < 0) {
    state.SkipWithError("rampart's window closed");
    return false;
  }
  return true;
}

void BM_bulk_receive(benchmark::State& state) {
  bench_node node(1024);
  client_set clients;
  client_connection& c = open_bulk_connection(node, clients, discard_port);
  const auto payload = payload_block();
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    if (!window_takes_burst(state, c)) {
      break;
    }
    for (std::size_t k = 0; k < burst; ++k) {
      node.add({c.port, discard_port, c.snd_nxt, c.rcv_nxt, ack, 502, {}, payload});
      c.snd_nxt += segment_bytes;
    }
    node.run(clients);
    bytes += burst * segment_bytes;
    if (clients.failed || node.failed()) {
      state.SkipWithError("bulk receive went wrong");
      break;
    }
  }
  if (node.stats().discard_bytes.read() != bytes) {
    state.SkipWithError("discard did not get every byte");
  }
  report_payload(state, bytes);
}
BENCHMARK(BM_bulk_receive);

// The out-of-order path against the in-order one, same connection (Timestamps and SACK, as
// Linux), same segments, same turns: per iteration 32 segments of 1460 bytes in two bursts.
// In order (/0): segments 0-30, then 31. Out of order (/1): segments 1-31 (each queued, each
// answered at once by a duplicate ACK with a SACK block), then 0, which fills the hole and
// delivers all 32 (one ACK). ns_per_segment of /1 over that of /0 is the out-of-order cost ratio.
void BM_receive_order(benchmark::State& state) {
  const bool reordered = state.range(0) != 0;
  bench_node node(1024);
  client_set clients;
  clients.first_port = 21000;
  clients.connections.resize(1);
  client_connection& c = clients.connections[0];
  c.port = clients.first_port;
  c.server_port = discard_port;
  open_all(node, clients, 7);
  const auto payload = payload_block();
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    if (!window_takes_burst(state, c)) {
      break;
    }
    const std::size_t held = reordered ? 0 : burst - 1;  // the segment of the second burst
    for (std::size_t k = 0; k < burst; ++k) {
      if (k != held) {
        node.add({c.port, discard_port, c.snd_nxt + static_cast<std::uint32_t>(k * segment_bytes), c.rcv_nxt, ack,
                  502, c.options(), payload});
      }
    }
    node.run(clients);
    node.add({c.port, discard_port, c.snd_nxt + static_cast<std::uint32_t>(held * segment_bytes), c.rcv_nxt, ack, 502,
              c.options(), payload});
    node.run(clients);
    c.snd_nxt += burst * segment_bytes;
    bytes += burst * segment_bytes;
    if (clients.failed || node.failed() || node.tcp().reassembly_in_use() != 0) {
      state.SkipWithError("receive went wrong");
      break;
    }
  }
  if (node.stats().discard_bytes.read() != bytes ||
      (reordered && node.stats().tcp_ooo_queued.read() != bytes / segment_bytes / burst * (burst - 1))) {
    state.SkipWithError("discard did not get every byte, or not through the queue");
  }
  report_payload(state, bytes);
  state.counters["ns_per_segment"] = benchmark::Counter(static_cast<double>(bytes / segment_bytes),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["sack_blocks_per_segment"] =
      static_cast<double>(node.stats().tcp_sack_blocks_sent.read()) / static_cast<double>(std::max<std::uint64_t>(bytes / segment_bytes, 1));
}
BENCHMARK(BM_receive_order)->Arg(0)->Arg(1);

void BM_bulk_send(benchmark::State& state) {
  bench_node node(1024, std::nullopt, {{"body_bytes", std::to_string(bulk_body_bytes)}});
  client_set clients;
  client_connection& c = open_bulk_connection(node, clients, bulk_http_port);
  std::vector<std::uint32_t> ack_points;  // where an ACK is due: the end of every second segment
  ack_points.reserve(1 << 16);
  c.ack_points = &ack_points;
  std::size_t next_point = 0;
  // The response's length: the head as the http app builds it, then the body.
  const std::uint64_t response_length =
      std::string_view("HTTP/1.1 200 OK\r\nServer: rampart\r\nContent-Type: text/plain\r\nContent-Length: \r\n\r\n").size() +
      std::to_string(bulk_body_bytes).size() + bulk_body_bytes;
  std::uint64_t response_start = 0;
  bool asking = true;
  std::uint64_t bytes = 0;
  std::uint64_t responses = 0;
  for (auto _ : state) {
    const std::uint64_t before = c.received;
    if (asking) {
      node.add({c.port, bulk_http_port, c.snd_nxt, c.rcv_nxt, psh | ack, 65535, {}, bytes_of(http_request)});
      c.snd_nxt += static_cast<std::uint32_t>(http_request.size());
      ack_points.clear();
      next_point = 0;
      c.segments_unacked = 0;
      response_start = c.received;
      asking = false;
    } else {
      // One ACK per two segments received (a Linux receiver in quick-ACK mode), each for its own
      // point, in bursts of at most 32; an odd last segment gets its ACK when nothing else is due.
      const std::size_t acks = std::min(ack_points.size() - next_point, burst);
      for (std::size_t k = 0; k < acks; ++k) {
        node.add({c.port, bulk_http_port, c.snd_nxt, ack_points[next_point++], ack, 65535, {}, {}});
      }
      if (next_point == ack_points.size()) {
        ack_points.clear();
        next_point = 0;
      }
      if (acks == 0 && c.segments_unacked > 0) {
        node.add({c.port, bulk_http_port, c.snd_nxt, c.rcv_nxt, ack, 65535, {}, {}});
        c.segments_unacked = 0;
      } else if (acks == 0) {
        state.SkipWithError("nothing to acknowledge: the transfer stalled");
        break;
      }
    }
    node.run(clients);
    bytes += c.received - before;
    if (c.received - response_start == response_length) {
      ++responses;
      asking = true;
    }
    if (clients.failed || node.failed() || c.received - response_start > response_length) {
      state.SkipWithError("bulk send went wrong");
      break;
    }
  }
  if (node.stats().http_requests.read() != responses + (asking ? 0 : 1)) {
    state.SkipWithError("requests and responses disagree");
  }
  report_payload(state, bytes);
  state.counters["responses_of_64MiB"] = static_cast<double>(responses);
}
BENCHMARK(BM_bulk_send);

// The client's side of a bulk burst without rampart, in two parts. build: 32 frames of 1460
// bytes (payload copied, both checksums), what the sending client of BM_bulk_receive does.
// verify: parse 32 such frames and verify their TCP checksum, what the receiving client of
// BM_bulk_send does (its ACKs, one frame per two segments, are not included).
void BM_baseline_bulk_build(benchmark::State& state) {
  perf::block_pool pool(64);
  const auto payload = payload_block();
  std::uint32_t seq = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < burst; ++i) {
      const packet::buffer b = *pool.allocate();
      benchmark::DoNotOptimize(write_client_frame(b.data, b.capacity, {20000, discard_port, seq, 3, ack, 502, {}, payload}));
      seq += segment_bytes;
      pool.release(b.handle);
    }
    benchmark::ClobberMemory();
  }
  report_payload(state, state.iterations() * burst * segment_bytes);
}
BENCHMARK(BM_baseline_bulk_build);

void BM_baseline_bulk_verify(benchmark::State& state) {
  perf::block_pool pool(64);
  const auto payload = payload_block();
  std::array<packet::buffer, burst> frames;
  std::array<std::uint16_t, burst> lengths{};
  for (std::size_t i = 0; i < burst; ++i) {
    frames[i] = *pool.allocate();
    lengths[i] = write_client_frame(frames[i].data, frames[i].capacity,
                                    {20000, discard_port, static_cast<std::uint32_t>(i * segment_bytes), 3, ack,
                                     502, {}, payload});
  }
  for (auto _ : state) {
    for (std::size_t i = 0; i < burst; ++i) {
      benchmark::DoNotOptimize(verify_frame(frames[i].data, lengths[i]));
    }
  }
  report_payload(state, state.iterations() * burst * segment_bytes);
}
BENCHMARK(BM_baseline_bulk_verify);

// ---- 4. A SYN flood from cold memory ----

// N SYNs from distinct addresses and ports in 256-byte slots, and a copy of each to put a slot
// back after rampart wrote its SYN-ACK over it. Bursts take the slots in a fixed shuffled order,
// as buffers come out of a mempool (in address order, the CPU's stride prefetcher would fetch
// them ahead); with 65,536 slots (16 MiB, eight times this machine's L2) a frame has left the
// core's caches when its turn comes again.
class syn_ring {
 public:
  static constexpr std::size_t slot_bytes = 256;

  explicit syn_ring(std::size_t frames) : _count(frames), _slots(frames * slot_bytes), _order(frames) {
    std::iota(_order.begin(), _order.end(), 0U);
    std::shuffle(_order.begin(), _order.end(), std::mt19937(7));
    for (std::size_t i = 0; i < frames; ++i) {
      client_segment s{static_cast<std::uint16_t>(1024 + i % 60000), http_port,
                       static_cast<std::uint32_t>(i * 2654435761U), 0, syn, 64240, linux_syn_options(true), {},
                       net::ipv4_address{0x0a630000U + static_cast<std::uint32_t>(i)}};  // 10.99.0.0/16 upwards
      _length = write_client_frame(slot(i), slot_bytes, s);
    }
    _originals.assign(_slots.begin(), _slots.end());
  }

  // The next burst's frames: `frames` of them (up to a full burst; the ring's size a multiple).
  std::span<packet::frame> next(std::size_t frames = burst) noexcept {
    _first = _next;
    _taken = frames;
    for (std::size_t i = 0; i < frames; ++i) {
      _frames[i] = packet::frame{slot(_order[_first + i]), _length, static_cast<std::uint16_t>(slot_bytes)};
    }
    _next = (_next + frames) % _count;
    return {_frames.data(), frames};
  }

  // Puts the last burst's SYNs back in place of the replies written over them.
  void restore() noexcept {
    for (std::size_t i = _first; i < _first + _taken; ++i) {
      std::memcpy(slot(_order[i]), _originals.data() + _order[i] * slot_bytes, _length);
    }
  }

 private:
  std::byte* slot(std::size_t i) noexcept { return _slots.data() + i * slot_bytes; }

  std::size_t _count;
  std::vector<std::byte> _slots;
  std::vector<std::byte> _originals;
  std::vector<std::uint32_t> _order;  // the slots in the order bursts take them
  std::uint16_t _length = 0;
  std::array<packet::frame, burst> _frames{};
  std::size_t _first = 0;
  std::size_t _taken = 0;
  std::size_t _next = 0;
};

void BM_syn_flood(benchmark::State& state) {
  bench_node node(65536, tcp::cookie_mode::always);  // the cookie path, as past auto_threshold
  syn_ring ring(static_cast<std::size_t>(state.range(0)));
  std::uint64_t answered = 0;
  for (auto _ : state) {
    answered += node.run_owned(ring.next());
    ring.restore();
  }
  if (node.failed() || node.tcp().connection_count() != 0 || node.tcp().half_open_count() != 0) {
    state.SkipWithError("a SYN was not answered with a SYN-ACK in place, or opened a connection");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(answered));
}
BENCHMARK(BM_syn_flood)->Arg(32)->Arg(65536);

// The SYN flood at a low rate, where each turn brings few SYNs: /N/GAP takes N a turn from a
// 4096-frame ring, with between turns (outside the timed part) GAP 0: nothing; 1: a sweep of
// 4 MiB through the caches, as other work on the core does; 2: 200 µs of waiting on the clock,
// what a worker's empty polls do between the turns of a 20k SYN/s flood. Only the turns are
// timed (manual time), so ns per SYN here compares with BM_syn_flood's.
void BM_syn_turn(benchmark::State& state) {
  const auto frames = static_cast<std::size_t>(state.range(0));
  const auto gap = state.range(1);
  bench_node node(65536, tcp::cookie_mode::always);
  syn_ring ring(4096);
  std::vector<std::byte> sweep(gap == 1 ? 4 << 20 : 0);
  std::uint64_t answered = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < sweep.size(); i += 64) {
      sweep[i] = static_cast<std::byte>(static_cast<unsigned>(sweep[i]) + 1);
    }
    if (gap == 2) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
      while (std::chrono::steady_clock::now() < until) {
      }
    }
    benchmark::ClobberMemory();
    const auto start = std::chrono::steady_clock::now();
    answered += node.run_owned(ring.next(frames));
    const auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    ring.restore();
  }
  if (node.failed() || node.tcp().connection_count() != 0 || node.tcp().half_open_count() != 0) {
    state.SkipWithError("a SYN was not answered with a SYN-ACK in place, or opened a connection");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(answered));
}
BENCHMARK(BM_syn_turn)->ArgsProduct({{1, 8, 32}, {0, 1}})->UseManualTime();
// Bounded: each iteration waits 200 µs that the timer does not count.
BENCHMARK(BM_syn_turn)->ArgsProduct({{1, 8, 32}, {2}})->Iterations(5000)->UseManualTime();

// BM_syn_flood's frame handling alone: take the burst, put its frames back.
void BM_baseline_syn_flood_restore(benchmark::State& state) {
  syn_ring ring(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring.next().data());
    ring.restore();
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}
BENCHMARK(BM_baseline_syn_flood_restore)->Arg(32)->Arg(65536);

// ---- 5. Memory per idle connection ----

// CPU time of this thread, ns (the machine may be shared: wall time would count others' work).
double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// Resident bytes of the process, after handing free heap pages back to the kernel: glibc keeps
// freed blocks below its mmap threshold (which rises to 32 MiB after a large free) resident and
// reuses them, so without the trim a table built where an earlier benchmark's was freed would
// not show as growth (seen: 256 bytes per connection instead of 301 after an earlier run).
std::uint64_t rss_bytes() {
  malloc_trim(0);
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  unsigned long resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%lu %lu", &pages, &resident) != 2) {
      resident = 0;
    }
    std::fclose(f);
  }
  return std::uint64_t{resident} * 4096;
}

// The object size of the kernel's TCP socket slab ("TCP" in /proc/slabinfo, readable by root):
// what each Linux TCP socket costs before any buffer; 0 when unreadable.
double linux_tcp_socket_bytes() {
  std::FILE* f = std::fopen("/proc/slabinfo", "r");
  if (f == nullptr) {
    return 0;
  }
  char line[512];
  double size = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    char name[64];
    unsigned long active = 0;
    unsigned long total = 0;
    unsigned long object_size = 0;
    if (std::sscanf(line, "%63s %lu %lu %lu", name, &active, &total, &object_size) == 4 &&
        std::string_view(name) == "TCP") {
      size = static_cast<double>(object_size);
    }
  }
  std::fclose(f);
  return size;
}

// Heap bytes lcore_tcp's constructor allocates for a table and pool of `connections`.
std::size_t constructed_bytes(std::uint32_t connections) {
  const std::vector<config::listener_config> config_listeners{{discard_port, "discard", {}, {}}};
  const std::vector<tcp::listener_settings> listeners = engine::tcp_listeners_of(config_listeners);
  stats::lcore_stats stats;
  const std::size_t before = allocated_bytes;
  tcp::lcore_tcp t(bench_node::settings(connections), listeners, stats, flow::hash_seed{1, 2},
                   cookie::siphash_key{3, 4}, now_ns);
  benchmark::DoNotOptimize(&t);
  return allocated_bytes - before;
}

// Makes `clients` the burst of 32 fresh connections to `port` that starts at client number
// `first` (client addresses 10.77.0.10 on, 50000 ports each).
void aim_burst(client_set& clients, std::uint32_t first, std::uint16_t port) {
  clients.connections.resize(burst);
  const auto ip = net::ipv4_address{client_ip.value + 9 + first / 50000};
  clients.first_port = static_cast<std::uint16_t>(10000 + first % 50000);
  for (std::size_t i = 0; i < burst; ++i) {
    clients.connections[i] = {};
    clients.connections[i].port = static_cast<std::uint16_t>(clients.first_port + i);
    clients.connections[i].server_port = port;
    clients.connections[i].ip = ip;
  }
}

// Opens `n` idle connections to `port` in bursts of 32 handshakes (aim_burst); `read` gets what
// rampart sends, and after_burst() runs after each.
template <class Reader, class AfterBurst>
void open_many(bench_node& node, std::uint32_t n, std::uint16_t port, client_set& clients, Reader& read,
               AfterBurst after_burst) {
  for (std::uint32_t first = 0; first < n; first += burst) {
    aim_burst(clients, first, port);
    open_all(node, clients, 7, read);
    after_burst();
  }
}

// Per connection opened by open_many on a fresh lcore of n connections: CPU time, heap bytes,
// and RSS growth counted from before the lcore_tcp exists (its table is zeroed at start-up).
struct open_cost {
  double cpu_ns = 0;
  double heap_bytes = 0;
  double rss_bytes = 0;
};

open_cost open_idle(std::uint32_t n, std::uint16_t port, bool& failed) {
  const std::uint64_t rss_before = rss_bytes();
  bench_node node(n);
  const std::size_t heap_before = allocated_bytes;
  const double start = thread_cpu_ns();
  client_set clients;
  open_many(node, n, port, clients, clients, [] {});
  failed = failed || clients.failed || node.failed();
  open_cost cost;
  cost.cpu_ns = (thread_cpu_ns() - start) / n;
  cost.heap_bytes = static_cast<double>(allocated_bytes - heap_before) / n;
  cost.rss_bytes = static_cast<double>(rss_bytes() - rss_before) / n;
  failed = failed || node.tcp().connection_count() != n;
  return cost;
}

void BM_idle_connection_memory(benchmark::State& state) {
  constexpr std::uint32_t n = 1 << 20;
  double per_capacity = 0;
  double heap_per_open = 0;
  double http_state_per_open = 0;
  double discard_open_ns = 0;
  double http_open_ns = 0;
  bool failed = false;
  for (auto _ : state) {
    // The table and pool are allocated up front for tcp.connections_per_lcore: their cost per
    // connection of capacity is the difference between two capacities.
    per_capacity = static_cast<double>(constructed_bytes(2 * n) - constructed_bytes(n)) / n;
    // n idle connections to discard (no app state): what opening them adds to the heap (their
    // RSS, by kind of connection: BM_idle_memory_by_kind).
    const open_cost discard = open_idle(n, discard_port, failed);
    heap_per_open = discard.heap_bytes;
    discard_open_ns = discard.cpu_ns;
    // 65536 idle connections to http: its per-connection state (parser, response ring).
    const open_cost http = open_idle(1 << 16, http_port, failed);
    http_state_per_open = http.heap_bytes;
    http_open_ns = http.cpu_ns;
  }
  if (failed) {
    state.SkipWithError("not every connection opened");
  }
  const double table_share = 128.0 / flow::flow_table::slots_per_bucket / 0.8;
  state.counters["sizeof_connection"] = static_cast<double>(sizeof(tcp::connection));
  state.counters["table_share_at_max_load"] = table_share;
  state.counters["model_bytes"] = static_cast<double>(sizeof(tcp::connection)) + table_share;
  state.counters["constructor_bytes_per_capacity"] = per_capacity;
  state.counters["heap_bytes_per_open_discard"] = heap_per_open;
  state.counters["heap_bytes_per_open_http"] = http_state_per_open;
  state.counters["open_ns_discard_1M"] = discard_open_ns;
  state.counters["open_ns_http_64k"] = http_open_ns;
  state.counters["linux_tcp_slab_object_bytes"] = linux_tcp_socket_bytes();
}
BENCHMARK(BM_idle_connection_memory)->Iterations(1)->Unit(benchmark::kMillisecond);

// The three kinds of connection a table holds idle, 2^20 of each on a fresh lcore whose
// capacity (tcp.connections_per_lcore) is exactly 2^20:
//   cookie     ESTABLISHED from a cookie ACK (syn_cookies.mode always), to discard
//   backlog    SYN-RECEIVED backlog entries (mode auto, auto_threshold and backlog_per_lcore
//              raised to 2^20): SYNs answered, their ACKs never sent
//   time_wait  TIME-WAIT: one GET with "Connection: close" to http, which closes first; the
//              client's FIN and ACK complete the close (RFC 9293 §3.6) and the clock stands
//              still, so each stays in TIME-WAIT
// The lcore's table and connection pool are allocated when it is built, for its capacity:
// rss_bytes_preallocated is what that start-up made resident (÷ 2^20), rss_bytes the growth
// from before the lcore existed until all 2^20 are held: the memory the engine takes for a
// million connections of that kind, everything it reserves for them included.
enum class idle_kind { cookie, backlog, time_wait };

constexpr std::string_view http_close_request = "GET / HTTP/1.1\r\nHost: 10.77.0.2\r\nConnection: close\r\n\r\n";

// The SYN of each connection of `clients`; `read` gets the SYN-ACKs.
void send_syns(bench_node& node, client_set& clients, std::uint32_t isn) {
  for (client_connection& c : clients.connections) {
    c.snd_nxt = isn + 1;
    node.add({c.port, c.server_port, isn, 0, syn, 64240, linux_syn_options(c.timestamps), {}, c.ip});
  }
  node.run(clients);
}

// The GET of each open connection of `clients`; then, once http's response and FIN are in, the
// client's FIN acknowledging them, which rampart acknowledges from TIME-WAIT.
void close_from_server(bench_node& node, client_set& clients) {
  for (client_connection& c : clients.connections) {
    node.add({c.port, c.server_port, c.snd_nxt, c.rcv_nxt, psh | ack, 502, c.options(), bytes_of(http_close_request),
              c.ip});
    c.snd_nxt += static_cast<std::uint32_t>(http_close_request.size());
  }
  node.run(clients);
  for (client_connection& c : clients.connections) {
    if (!c.fin_received) {
      clients.failed = true;
    }
    node.add({c.port, c.server_port, c.snd_nxt, c.rcv_nxt, fin | ack, 502, c.options(), {}, c.ip});
    c.snd_nxt += 1;
  }
  node.run(clients);
}

void BM_idle_memory_by_kind(benchmark::State& state, idle_kind kind) {
  constexpr std::uint32_t n = 1 << 20;
  const bool backlog = kind == idle_kind::backlog;
  tcp::tcp_settings settings = bench_node::settings(n, backlog ? tcp::cookie_mode::auto_mode : tcp::cookie_mode::always);
  if (backlog) {
    settings.backlog_capacity = n;
    settings.auto_threshold = n;
  }
  const std::vector<config::listener_config> listeners{{http_port, "http", {}, {}}, {discard_port, "discard", {}, {}}};
  double preallocated = 0;
  double held = 0;
  bool failed = false;
  for (auto _ : state) {
    const std::uint64_t rss_before = rss_bytes();
    bench_node node(settings, listeners);
    preallocated = static_cast<double>(rss_bytes() - rss_before) / n;
    client_set clients;
    for (std::uint32_t first = 0; first < n; first += burst) {
      switch (kind) {
        case idle_kind::cookie:
          aim_burst(clients, first, discard_port);
          open_all(node, clients, 7);
          break;
        case idle_kind::backlog:
          aim_burst(clients, first, discard_port);
          send_syns(node, clients, 7);
          break;
        case idle_kind::time_wait:
          aim_burst(clients, first, http_port);
          open_all(node, clients, 7);
          close_from_server(node, clients);
          break;
      }
    }
    held = static_cast<double>(rss_bytes() - rss_before) / n;
    const stats::lcore_stats& st = node.stats();
    const std::uint64_t of_kind = kind == idle_kind::cookie    ? st.tcp_syncookies_validated.read()
                                  : kind == idle_kind::backlog ? st.tcp_syn_backlog_used.read()
                                                               : st.tcp_time_wait_active.read();
    failed = clients.failed || node.failed() || node.tcp().connection_count() != n || of_kind != n;
  }
  if (failed) {
    state.SkipWithError("the table does not hold 2^20 connections of this kind");
  }
  state.counters["connections"] = n;
  state.counters["sizeof_connection"] = static_cast<double>(sizeof(tcp::connection));
  state.counters["rss_bytes_preallocated"] = preallocated;
  state.counters["rss_bytes"] = held;
}
BENCHMARK_CAPTURE(BM_idle_memory_by_kind, cookie, idle_kind::cookie)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_idle_memory_by_kind, backlog, idle_kind::backlog)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_idle_memory_by_kind, time_wait, idle_kind::time_wait)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Per pair opened through the proxy on a fresh lcore: `pairs` clients to the proxy listener, each
// relayed to one of `backends` (which answer its SYN), all left idle. The lcore has room for
// exactly 2 x pairs connections, so the RSS counted from before it exists holds both
// connections' share of the table, as open_idle's does for one.
open_cost open_idle_pairs(std::uint32_t pairs, std::uint16_t backends, bool& failed) {
  proxy_peers peers(backends);  // the peers' own state, before the count starts
  const std::uint64_t rss_before = rss_bytes();
  bench_node node(bench_node::settings(2 * pairs), {proxy_listener(backends)});
  pass_health_checks(node, peers);
  const std::size_t heap_before = allocated_bytes;
  const double start = thread_cpu_ns();
  open_many(node, pairs, proxy_port, peers.clients, peers, [&] {
    peers.backends.answer_syns(node);
    node.run(peers);  // our ACKs of the backends' SYN-ACKs
    peers.backends.syns.clear();
  });
  open_cost cost;
  cost.cpu_ns = (thread_cpu_ns() - start) / pairs;
  cost.heap_bytes = static_cast<double>(allocated_bytes - heap_before) / pairs;
  cost.rss_bytes = static_cast<double>(rss_bytes() - rss_before) / pairs;
  failed = failed || peers.failed() || node.failed() || node.tcp().connection_count() != 2 * pairs ||
           node.stats().tcp_connects_established.read() != pairs + backends;
  return cost;
}

void BM_idle_proxied_pair_memory(benchmark::State& state) {
  constexpr std::uint32_t n = 1 << 17;
  constexpr std::uint16_t backends = 5;  // 28,232 local ports each (tcp.local_ports' default)
  open_cost plain;
  open_cost proxied;
  bool failed = false;
  for (auto _ : state) {
    plain = open_idle(n, discard_port, failed);  // n idle connections, no app state
    proxied = open_idle_pairs(n, backends, failed);
  }
  if (failed) {
    state.SkipWithError("not every pair opened");
  }
  state.counters["rss_bytes_per_idle_connection"] = plain.rss_bytes;
  state.counters["rss_bytes_per_idle_pair"] = proxied.rss_bytes;
  state.counters["heap_bytes_per_pair_opened"] = proxied.heap_bytes;  // the proxy's pair state
  state.counters["pair_over_2_connections_plus_pair_state"] =
      proxied.rss_bytes / (2 * plain.rss_bytes + proxied.heap_bytes);
  state.counters["open_ns_per_pair"] = proxied.cpu_ns;
}
BENCHMARK(BM_idle_proxied_pair_memory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
