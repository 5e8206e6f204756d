// libFuzzer target: the proxy app (lib/app/proxy) on a real tcp::lcore_tcp, the fuzzer playing
// both its clients (10.77.0.1, through SYN-cookie handshakes on port 80) and its backends
// (10.77.0.3:8080 and, when chosen, :8081): segments on either side with sequence and
// acknowledgment numbers as offsets from the connection's state, closes and resets, clock steps
// with lcore_tcp::poll (health checks, connect timeouts and retries, the idle timeout), a pool
// limit and a refusing sink. Each peer's byte at sequence number s is pattern(its port, s): a
// client's salted by its port, a backend connection's by our local port. After every step:
//
//  (1) what a backend connection receives is, byte for byte, the PROXY header of exactly one
//      client (v1 or v2 as the HAProxy spec writes it for that client's address and port) and
//      then that client's stream from its first byte, never beyond what the client sent; the
//      same byte sent twice (a retransmission) is the same both times;
//  (2) what a client receives is its backend connection's stream from its first byte, never
//      beyond what that backend sent: no byte lost, duplicated or reordered across the splice
//      in either direction, though either may stop short (a close or reset cuts the pair);
//  (3) every segment rampart emits parses, both checksums verify, and it goes from our MAC and
//      address to a client's or the backend's (then to port 8080 or 8081 from a local port).
// At the end, after lcore_tcp::shutdown:
//  (4) the table is empty, heap_buffer_pool::in_use() == 0 and bad_releases() == 0 (the proxy
//      gave back every buffer it held for relaying).
// A violation prints `fuzz invariant violated at proxy_fuzzer.cc:LINE: why` and aborts.
//
// A backend connection whose header the fuzzer has not seen whole yet (a health check, or a
// connection still in its handshake) gets no data from the fuzzer, so whatever a client receives
// comes from a paired connection. Input layout (test/fuzz/README.md): bytes 0-1 set-up, then
// steps, each an opcode byte followed by its operands; a missing operand reads as 0.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/registry.hh"
#include "config/config.hh"
#include "engine/tcp_settings.hh"
#include "fuzz_check.hh"
#include "fuzz_wire.hh"
#include "lcore_rig.hh"
#include "tcp/connection.hh"  // private to lib/tcp: the fuzzer reads RCV.NXT and SND.NXT
#include "tcp/lcore_tcp.hh"

namespace {

using namespace rampart;
using fuzz::bytes;
using net::seq32;

constexpr std::size_t client_slots = 3;
constexpr std::uint32_t stream_limit = 1U << 24;  // no input sends 16 MiB on one connection
constexpr std::uint16_t listen_port = 80;
constexpr std::uint16_t first_local_port = 32768;
const fuzz::endpoint us{{{0x02, 0, 0, 0, 0, 0x02}}, net::ipv4_address{0x0a4d0002}, listen_port};
const net::mac_address client_mac{{0x02, 0, 0, 0, 0, 0x01}};
const net::ipv4_address client_ip{0x0a4d0001};
const net::mac_address backend_mac{{0x02, 0, 0, 0, 0, 0x03}};
const net::ipv4_address backend_ip{0x0a4d0003};

// The PROXY protocol header (HAProxy's proxy-protocol.txt) the backend must get first for a
// client at 10.77.0.1:port that reached us at 10.77.0.2:80: written here from the spec, not by
// lib/app/proxy's writer.
bytes expected_header(bool v2, std::uint16_t client_port) {
  if (!v2) {
    // §2.1: "PROXY TCP4 " source, destination, source port, destination port, CRLF.
    const std::string line = "PROXY TCP4 10.77.0.1 10.77.0.2 " + std::to_string(client_port) + " 80\r\n";
    bytes out(line.size());
    std::transform(line.begin(), line.end(), out.begin(), [](char ch) { return static_cast<std::byte>(ch); });
    return out;
  }
  // §2.2: the 12-byte signature, version 2 + PROXY command, TCP over IPv4, 12 bytes of
  // addresses (source, destination) and ports (source, destination), network byte order.
  const std::array<std::uint8_t, 28> header = {
      0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,  // signature
      0x21, 0x11, 0x00, 0x0c,                                                  // v2 PROXY, TCP4, 12
      10, 77, 0, 1, 10, 77, 0, 2,                                              // addresses
      static_cast<std::uint8_t>(client_port >> 8), static_cast<std::uint8_t>(client_port), 0, 80};
  bytes out(header.size());
  std::transform(header.begin(), header.end(), out.begin(), [](std::uint8_t b) { return static_cast<std::byte>(b); });
  return out;
}

// What one side of the splice has received from rampart, by offset from the sender's ISS + 1:
// bytes may come again (retransmissions) and out of order; each must be the same every time.
struct received_stream {
  bytes data;
  std::vector<bool> have;
  void put(std::uint32_t offset, std::byte b) {
    // Further than any input reaches means below the sender's ISS + 1.
    FUZZ_CHECK(offset < stream_limit, "data sent at a sequence number before the stream's first byte");
    if (offset >= data.size()) {
      data.resize(offset + 1);
      have.resize(offset + 1);
    }
    FUZZ_CHECK(!have[offset] || data[offset] == b, "a byte sent again differs from the first time");
    data[offset] = b;
    have[offset] = true;
  }
  bool has_prefix(std::size_t n) const {
    return have.size() >= n &&
           std::all_of(have.begin(), have.begin() + static_cast<std::ptrdiff_t>(n), [](bool b) { return b; });
  }
};

struct backend_conn;

// One client connection (one incarnation per slot at a time; a fresh port each).
struct client {
  std::uint16_t port = 0;
  std::uint32_t isn = 0;
  std::optional<seq32> irs;  // as the table has it (a SYN's sequence number need not be isn)
  seq32 server_iss{0};
  std::uint32_t tsval = 1000;
  std::uint32_t their_tsval = 0;
  bool have_sent = false;
  seq32 sent_end{0};
  received_stream received;
  const backend_conn* backend = nullptr;  // the connection that got its PROXY header
};

// One backend connection the proxy opened (a relay or a health check), by our local port.
struct backend_conn {
  std::uint16_t local_port = 0;
  std::uint16_t backend_port = 0;
  seq32 iss{0};
  std::optional<seq32> irs;          // learnt from the table once synchronized
  std::uint32_t peer_isn = 0;        // the fuzzer's ISN before the connection is synchronized
  std::uint32_t tsval = 5000;
  std::uint32_t their_tsval = 0;
  bool have_sent = false;
  seq32 sent_end{0};
  received_stream received;
  const client* paired = nullptr;  // whose PROXY header it received
  seq32 client_first{0};           // the sequence number of that client's first byte
};

// Holds the proxy so that it outlives the lcore's shutdown, which closes its streams.
struct proxy_holder {
  std::unique_ptr<tcp::application> proxy;
};

struct harness : proxy_holder, fuzz::lcore_rig {
  harness(std::uint8_t setup, std::uint8_t more) : v2((setup & 4) != 0) {
    static constexpr std::array<std::uint32_t, 4> send_buffers = {1024, 4096, 16384, 262144};
    settings = fuzz::settings_at(us, 12, first_local_port, last_local_port(more));
    settings.send_buffer = send_buffers[(more >> 4) & 3];
    settings.receive_window = (more & 0x40) != 0 ? 4096 : 65535 * 4;

    config::listener_config l;
    l.port = listen_port;
    l.app = "proxy";
    static constexpr std::array<const char*, 4> balances = {"round_robin", "least_connections", "source_hash",
                                                            "round_robin"};
    static constexpr std::array<const char*, 4> retries = {"0", "1", "3", "0"};
    l.args = {{"backends", (setup & 8) != 0 ? "10.77.0.3:8080*2, 10.77.0.3:8081" : "10.77.0.3:8080"},
              {"balance", balances[setup & 3]},
              {"proxy_protocol", v2 ? "v2" : "v1"},
              {"retries", retries[(setup >> 4) & 3]},
              {"max_connections", (setup & 0x40) != 0 ? "1" : "0"},
              {"idle_timeout_seconds", (setup & 0x80) != 0 ? "1" : "0"},
              {"connect_timeout_ms", (more & 4) != 0 ? "100" : "2000"},
              {"health_fall", (more & 8) != 0 ? "1" : "3"},
              {"health_rise", (more & 8) != 0 ? "1" : "2"},
              {"health_interval_ms", "1000"}};
    const std::vector<config::listener_config> configs{l};
    listeners = engine::tcp_listeners_of(configs);
    proxy = app::make_application(l, {stats, 0});
    start();
    hops.add(backend_ip, backend_mac);
    tcp->set_application(0, proxy.get());
  }

  static std::uint16_t last_local_port(std::uint8_t more) {
    static constexpr std::array<std::uint16_t, 4> port_counts = {2, 4, 16, 64};
    return static_cast<std::uint16_t>(first_local_port + port_counts[more & 3] - 1);
  }
  fuzz::endpoint client_end(const client& c) const { return {client_mac, client_ip, c.port}; }
  flow::flow_key key_of(const client& c) const { return {client_ip.value, us.ip.value, c.port, listen_port}; }
  flow::flow_key key_of(const backend_conn& b) const {
    return {backend_ip.value, us.ip.value, b.backend_port, b.local_port};
  }

  client* client_by_port(std::uint16_t p) {
    for (const auto& c : all_clients) {
      if (c->port == p) {
        return c.get();
      }
    }
    return nullptr;
  }

  void run(const std::vector<bytes>& inputs) { check_all(input(inputs)); }
  void poll() { check_all(poll_now()); }
  void check_all(const std::vector<bytes>& emitted) {
    learn_irs();
    for (const bytes& f : emitted) {
      check_emitted(f);
    }
  }

  // The IRS of every client connection and synchronized backend connection, before the segments
  // relayed from them are checked.
  void learn_irs() {
    for (const auto& c : all_clients) {
      const tcp::connection* conn = tcp->find(key_of(*c));
      if (conn != nullptr && conn->state != tcp::tcp_state::syn_received) {
        c->irs = conn->irs;
      }
    }
    for (auto& [ports, b] : backends) {
      const tcp::connection* conn = tcp->find(key_of(*b));
      if (!b->irs && conn != nullptr && conn->iss == b->iss && conn->state != tcp::tcp_state::syn_sent) {
        b->irs = conn->irs;
      }
    }
  }

  // Sequence numbers a connection with this ISS sends from (no input reaches 16 MiB of stream).
  static bool sent_by(seq32 iss, seq32 sequence) {
    return static_cast<std::uint32_t>(sequence - iss) <= stream_limit;
  }

  // The model of the backend connection a segment we sent belongs to. A SYN starts a new one
  // unless it is the last one's SYN again (a synchronized connection sends none; the ISS may
  // repeat, as RFC 6528's clock stands still here). Any other segment belongs to the connection
  // of its ports whose ISS is the nearest at or below its sequence number: a model (the latest of
  // equal ones; an older connection's last segments may leave after a newer one took the port),
  // or the connection in the table under those ports whose SYN the fuzzer never saw (the sink
  // refused it): a new model then. Nearest, not merely within stream_limit: RFC 6528's clock
  // moves a port's next ISS up by 250,000 a second, so after seconds a newer connection's whole
  // space lies within stream_limit above an older one's ISS. Models stay, as a client may still
  // get an older connection's data.
  backend_conn* current_backend(const net::tcp_header& th) {
    const std::pair ports{th.source_port, th.destination_port};
    if (th.has(net::tcp_flag::syn) && !th.has(net::tcp_flag::ack)) {
      const auto it = backends.find(ports);
      if (it != backends.end() && it->second->iss == th.sequence && !it->second->irs) {
        return it->second;
      }
      return new_backend(ports, th.sequence);
    }
    const auto distance = [&](seq32 iss) { return static_cast<std::uint32_t>(th.sequence - iss); };
    backend_conn* nearest = nullptr;
    for (const auto& b : all_backends) {
      if (b->local_port == ports.first && b->backend_port == ports.second && sent_by(b->iss, th.sequence) &&
          (nearest == nullptr || distance(b->iss) <= distance(nearest->iss))) {
        nearest = b.get();
      }
    }
    const tcp::connection* conn =
        tcp->find(flow::flow_key{backend_ip.value, us.ip.value, th.destination_port, th.source_port});
    if (conn != nullptr && sent_by(conn->iss, th.sequence) &&
        (nearest == nullptr || distance(conn->iss) < distance(nearest->iss))) {
      return new_backend(ports, conn->iss);
    }
    return nearest;
  }
  backend_conn* new_backend(std::pair<std::uint16_t, std::uint16_t> ports, seq32 iss) {
    auto b = std::make_unique<backend_conn>();
    b->local_port = ports.first;
    b->backend_port = ports.second;
    b->iss = iss;
    b->peer_isn = 0x20000000U + ports.first * 0x01000193U;
    backends[ports] = b.get();
    all_backends.push_back(std::move(b));
    return all_backends.back().get();
  }

  // Invariant (3), then (1) or (2) for the segment's payload.
  void check_emitted(std::span<const std::byte> frame) {
    const fuzz::emitted_segment e = fuzz::parse_emitted(frame, us.mac, us.ip);
    const net::tcp_header& th = e.header;
    if (e.destination == client_ip) {
      FUZZ_CHECK(e.eth_destination == client_mac, "segment to the client not to its MAC");
      FUZZ_CHECK(th.source_port == listen_port, "segment to the client not from port 80");
      client* c = client_by_port(th.destination_port);
      FUZZ_CHECK(c != nullptr, "segment to a client port the fuzzer never used");
      if (e.options.timestamps) {
        c->their_tsval = e.options.timestamps->value;
      }
      if (th.has(net::tcp_flag::syn) && !th.has(net::tcp_flag::rst)) {
        c->server_iss = th.sequence;
      }
      check_to_client(*c, th, e.payload);
      return;
    }
    FUZZ_CHECK(e.destination == backend_ip && e.eth_destination == backend_mac,
               "segment to neither a client nor the backend");
    FUZZ_CHECK(th.destination_port == 8080 || th.destination_port == 8081, "segment to a port no backend has");
    FUZZ_CHECK(th.source_port >= settings.local_port_first && th.source_port <= settings.local_port_last,
               "segment to the backend from a port outside the local range");
    if (th.has(net::tcp_flag::rst)) {
      return;
    }
    backend_conn* model = current_backend(th);
    if (model == nullptr) {
      return;  // a connection that came and went unseen (its SYN refused by the sink)
    }
    backend_conn& b = *model;
    if (e.options.timestamps) {
      b.their_tsval = e.options.timestamps->value;
    }
    if (th.has(net::tcp_flag::syn)) {
      return;
    }
    check_to_backend(b, th, e.payload);
  }

  // Invariant (1).
  void check_to_backend(backend_conn& b, const net::tcp_header& th,
                        std::span<const std::byte> payload) {
    const auto offset = static_cast<std::uint32_t>(th.sequence - (b.iss + 1));
    for (std::size_t i = 0; i < payload.size(); ++i) {
      b.received.put(offset + static_cast<std::uint32_t>(i), payload[i]);
    }
    std::size_t from = offset;
    std::size_t to = offset + payload.size();
    const std::size_t header_length = expected_header(v2, 40000).size();  // the same for every port
    if (b.paired == nullptr && b.received.has_prefix(header_length)) {
      for (const auto& c : all_clients) {
        const bytes header = expected_header(v2, c->port);
        if (std::equal(header.begin(), header.end(), b.received.data.begin())) {
          b.paired = c.get();
          b.client_first = c->irs.value_or(seq32{c->isn}) + 1;
          c->backend = &b;
        }
      }
      FUZZ_CHECK(b.paired != nullptr, "a backend connection's first bytes are not the PROXY header of any client");
      from = 0;
      to = b.received.data.size();
    }
    if (b.paired == nullptr) {
      return;
    }
    const client& c = *b.paired;
    const bytes header = expected_header(v2, c.port);
    for (std::size_t k = from; k < to; ++k) {
      if (!b.received.have[k]) {
        continue;
      }
      if (k < header.size()) {
        FUZZ_CHECK(b.received.data[k] == header[k], "the PROXY header differs from the spec's for its client");
        continue;
      }
      const seq32 s = b.client_first + static_cast<std::uint32_t>(k - header.size());
      FUZZ_CHECK(c.have_sent && s < c.sent_end, "the backend got a byte the client never sent");
      FUZZ_CHECK(b.received.data[k] == fuzz::pattern(c.port, s.raw()),
                 "the backend got a client byte out of order, twice or altered");
    }
  }

  // Invariant (2).
  void check_to_client(client& c, const net::tcp_header& th, std::span<const std::byte> payload) {
    if (payload.empty()) {
      return;
    }
    const auto offset = static_cast<std::uint32_t>(th.sequence - (c.server_iss + 1));
    for (std::size_t i = 0; i < payload.size(); ++i) {
      c.received.put(offset + static_cast<std::uint32_t>(i), payload[i]);
    }
    FUZZ_CHECK(c.backend != nullptr, "a client got data and no backend connection carries its PROXY header");
    const backend_conn& b = *c.backend;
    if (!b.irs) {
      return;  // synchronized and gone within one burst: its IRS is unknown here
    }
    for (std::size_t k = offset; k < offset + payload.size(); ++k) {
      const seq32 s = *b.irs + 1 + static_cast<std::uint32_t>(k);
      FUZZ_CHECK(b.have_sent && s < b.sent_end, "the client got a byte the backend never sent");
      FUZZ_CHECK(c.received.data[k] == fuzz::pattern(b.local_port, s.raw()),
                 "the client got a backend byte out of order, twice or altered");
    }
  }

  // A new client incarnation on slot i, with a fresh port.
  client& new_client(std::size_t i) {
    auto c = std::make_unique<client>();
    c->port = static_cast<std::uint16_t>(40000 + i * 1000 + incarnations++ % 1000);
    slots[i] = c.get();
    all_clients.push_back(std::move(c));
    return *slots[i];
  }

  // A client's handshake on a slot with a fresh port: SYN, the cookie SYN-ACK, ACK (which opens
  // the proxy's connection to a backend).
  void open(std::size_t i, std::uint8_t options_bits) {
    client& c = new_client(i);
    c.isn = 0x10000000U * static_cast<std::uint32_t>(i + 1) + options_bits * 0x01000193U;
    net::tcp_options syn_options;
    syn_options.mss = (options_bits & 1) != 0 ? std::uint16_t{536} : std::uint16_t{1460};
    if ((options_bits & 2) != 0) {
      syn_options.window_scale = static_cast<std::uint8_t>((options_bits >> 4) & 0xf);
    }
    syn_options.sack_permitted = (options_bits & 4) != 0;
    if ((options_bits & 8) != 0) {
      syn_options.timestamps = net::tcp_timestamps{c.tsval, 0};
    }
    run({fuzz::build_segment(client_end(c), us, net::tcp_flag::syn, seq32{c.isn}, seq32{0}, 65535, syn_options, 0,
                             c.port)});
    net::tcp_options ack_options;
    if ((options_bits & 8) != 0) {
      c.tsval += 1;
      ack_options.timestamps = net::tcp_timestamps{c.tsval, c.their_tsval};
    }
    run({fuzz::build_segment(client_end(c), us, net::tcp_flag::ack, seq32{c.isn} + 1, c.server_iss + 1, 65535,
                             ack_options, 0, c.port)});
  }

  // Segment fields from the input: flags (bits 0-5; bit 6: ACK offset from SND.UNA), seq offset
  // (2, signed, from RCV.NXT), ack offset (2, signed, from SND.NXT), window (2), option bits (0:
  // Timestamps, 1: TSecr 0, 2: MSS 536 on a SYN, 3: SACK-permitted on a SYN), payload length
  // (2, mod 1601).
  struct segment_fields {
    std::uint8_t flags;
    std::int16_t seq_offset;
    std::int16_t ack_offset;
    std::uint16_t window;
    std::uint8_t opts;
    std::uint16_t length;
  };
  static segment_fields read_fields(fuzz::reader& r) {
    segment_fields f{};
    f.flags = r.u8();
    f.seq_offset = static_cast<std::int16_t>(r.u16());
    f.ack_offset = static_cast<std::int16_t>(r.u16());
    f.window = r.u16();
    f.opts = r.u8();
    f.length = static_cast<std::uint16_t>(r.u16() % 1601);
    return f;
  }
  static net::tcp_options options_of(const segment_fields& f, std::uint32_t& tsval, std::uint32_t their_tsval) {
    net::tcp_options options;
    if ((f.opts & 1) != 0) {
      tsval += 1;
      options.timestamps = net::tcp_timestamps{tsval, (f.opts & 2) != 0 ? 0 : their_tsval};
    }
    if ((f.flags & net::tcp_flag::syn) != 0) {
      options.mss = (f.opts & 4) != 0 ? std::uint16_t{536} : std::uint16_t{1460};
      options.sack_permitted = (f.opts & 8) != 0;
    }
    return options;
  }
  static void note_sent(bool& have_sent, seq32& sent_end, std::uint8_t flags, seq32 seq, std::uint16_t length) {
    const seq32 end = fuzz::first_data_sequence(flags, seq) + length;
    if (length > 0 && (!have_sent || sent_end < end)) {
      have_sent = true;
      sent_end = end;
    }
  }

  // A client's segment against slot i's current state.
  bytes client_segment(fuzz::reader& r) {
    const std::size_t i = r.u8() % client_slots;
    const segment_fields f = read_fields(r);
    if (slots[i] == nullptr) {
      new_client(i).isn = 0x10000000U;  // a flow nobody opened: the listener answers it
    }
    client& c = *slots[i];
    const tcp::connection* conn = tcp->find(key_of(c));
    const seq32 rcv_nxt = conn != nullptr ? conn->rcv_nxt : seq32{c.isn} + 1;
    const seq32 ack_base = conn == nullptr ? c.server_iss + 1 : (f.flags & 0x40) != 0 ? conn->snd_una : conn->snd_nxt;
    const seq32 seq = rcv_nxt + static_cast<std::uint32_t>(std::int32_t{f.seq_offset});
    const seq32 ack = ack_base + static_cast<std::uint32_t>(std::int32_t{f.ack_offset});
    note_sent(c.have_sent, c.sent_end, f.flags, seq, f.length);
    return fuzz::build_segment(client_end(c), us, f.flags & 0x3f, seq, ack, f.window,
                               options_of(f, c.tsval, c.their_tsval), f.length, c.port);
  }

  // A backend's segment on one of the backend connections the proxy opened (the operand picks
  // it in local port order); nothing when there is none. Only a connection whose PROXY header
  // the fuzzer has seen (paired with a client) sends data.
  std::optional<bytes> backend_segment(fuzz::reader& r) {
    const std::uint8_t pick = r.u8();
    segment_fields f = read_fields(r);
    if (backends.empty()) {
      return std::nullopt;
    }
    auto it = backends.begin();
    std::advance(it, pick % backends.size());
    backend_conn& b = *it->second;
    const tcp::connection* conn = tcp->find(key_of(b));
    // The port's connection may be a newer one whose SYN the sink refused (the same ISS, too,
    // while the clock stands still): it gets no data either.
    const bool newer = conn != nullptr && (conn->iss != b.iss || (b.irs && conn->state == tcp::tcp_state::syn_sent));
    if (b.paired == nullptr || newer) {
      f.length = 0;
    }
    const bool synchronized = conn != nullptr && conn->state != tcp::tcp_state::syn_sent;
    const seq32 seq_base = synchronized ? conn->rcv_nxt : seq32{b.peer_isn};
    const seq32 ack_base = conn == nullptr ? b.iss + 1 : (f.flags & 0x40) != 0 ? conn->snd_una : conn->snd_nxt;
    const seq32 seq = seq_base + static_cast<std::uint32_t>(std::int32_t{f.seq_offset});
    const seq32 ack = ack_base + static_cast<std::uint32_t>(std::int32_t{f.ack_offset});
    note_sent(b.have_sent, b.sent_end, f.flags, seq, f.length);
    return fuzz::build_segment({backend_mac, backend_ip, b.backend_port}, {us.mac, us.ip, b.local_port}, f.flags & 0x3f,
                               seq, ack, f.window, options_of(f, b.tsval, b.their_tsval), f.length, b.local_port);
  }

  bool v2;
  std::vector<std::unique_ptr<client>> all_clients;  // every incarnation: the proxy may still relay
  std::array<client*, client_slots> slots{};         // the latest of each slot
  std::vector<std::unique_ptr<backend_conn>> all_backends;  // every one the proxy opened
  // The latest by our local port and the backend's port (one local port may reach both).
  std::map<std::pair<std::uint16_t, std::uint16_t>, backend_conn*> backends;
  std::uint32_t incarnations = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader r{{data, size}};
  const std::uint8_t setup = r.u8();
  harness h(setup, r.u8());
  const bool verbose = std::getenv("RAMPART_FUZZ_VERBOSE") != nullptr;
  std::uint32_t steps = 0;
  while (!r.done() && steps++ < 256) {
    const std::uint8_t op = r.u8();
    switch ((op & 0x0f) % 8) {  // the high bits are the operation's own
      case 0:
        h.run({h.client_segment(r)});
        break;
      case 1:
        if (auto s = h.backend_segment(r)) {
          h.run({*s});
        }
        break;
      case 2: {  // a burst of 2-4 segments: count and sides (bit 2 + i set: a backend's) in one byte
        std::vector<bytes> burst;
        const std::uint8_t shape = r.u8();
        const std::size_t n = 2 + shape % 3;
        for (std::size_t i = 0; i < n; ++i) {
          if ((shape >> (2 + i) & 1) != 0) {
            if (auto s = h.backend_segment(r)) {
              burst.push_back(std::move(*s));
            }
          } else {
            burst.push_back(h.client_segment(r));
          }
        }
        h.run(burst);
        break;
      }
      case 3: {
        const std::uint8_t slot = r.u8();
        h.open(slot % client_slots, r.u8());
        break;
      }
      case 4: {  // clock: 1-256 ms, 10 ms units, 100 ms units or 1 s units
        static constexpr std::array<std::uint64_t, 4> units = {1'000'000ULL, 10'000'000ULL, 100'000'000ULL,
                                                               1'000'000'000ULL};
        h.now += (1 + std::uint64_t{r.u8()}) * units[(op >> 4) & 3];
        h.poll();
        break;
      }
      case 5: {  // pool: unlimited, or only a few more buffers than in use now
        const std::uint8_t extra = r.u8();
        h.pool.set_limit(extra >= 128 ? std::size_t{1} << 20 : h.pool.in_use() + extra % 8);
        break;
      }
      case 6:
        h.sink.refuse((op & 0x10) != 0);
        break;
      default:
        h.poll();
        break;
    }
    if (verbose) {
      std::fprintf(stderr, "step %u op %u: table %u, pool %zu; clients (port: bytes received)", steps, (op & 0x0f) % 8,
                   h.tcp->connection_count(), h.pool.in_use());
      for (const auto& c : h.all_clients) {
        std::fprintf(stderr, " %u: %zu", c->port, c->received.data.size());
      }
      std::fprintf(stderr, "; backend connections (local port, client port: bytes received)");
      for (const auto& b : h.all_backends) {
        std::fprintf(stderr, " %u, %u: %zu", b->local_port, b->paired != nullptr ? b->paired->port : 0,
                     b->received.data.size());
      }
      std::fprintf(stderr, "\n");
    }
  }
  h.pool.set_limit(std::size_t{1} << 20);
  h.sink.refuse(false);
  h.tcp->shutdown(h.now);
  h.check_all(h.sink.take());
  FUZZ_CHECK(h.tcp->connection_count() == 0, "connections left after shutdown");
  FUZZ_CHECK(h.hops.held.empty(), "frames waiting for a next hop that is resolved");
  FUZZ_CHECK(h.pool.bad_releases() == 0, "a buffer released twice (or never allocated)");
  FUZZ_CHECK(h.pool.in_use() == 0, "buffers leaked: in use after shutdown");
  return 0;
}
