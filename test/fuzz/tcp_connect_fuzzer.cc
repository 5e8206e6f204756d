// libFuzzer target: connections an app opens (app_host::connect, RFC 9293 §3.10.1 active OPEN),
// the fuzzer playing the server. A real tcp::lcore_tcp (heap buffers, capturing sink, a static
// next hop for the peer 10.77.0.1, answered at once or only when the input says: an ARP wait)
// runs an app that connects from an app timer to 10.77.0.1:8080 on up to four slots. The fuzzer
// answers with segments whose sequence and acknowledgment numbers are offsets from the
// connection's state (its SYN-ACK with chosen options and ACK numbers, RSTs, a SYN alone for a
// simultaneous open per RFC 9293 §3.5, data and FINs), clock steps with lcore_tcp::poll (SYN
// retransmission, connect timeout), and app actions on a slot through app_host::find from a
// timer (send, close, abort). After every step:
//
//  (1) every connection: SND.UNA <= SND.NXT <= SND.MAX (seq32 order); a synchronized one whose
//      stream is open has had on_connected, and RCV.NXT = IRS + 1 + bytes delivered (+1 once the
//      peer's FIN is in); a connection left the table only after its on_close;
//  (2) per connect that started something: on_connected at most once, then on_close exactly once
//      (the last call); a connect that failed gets no callback;
//  (3) the app got the peer's bytes in order, each once: the peer's byte at sequence number s is
//      pattern(8080, s), so the n-th byte delivered must be pattern(IRS + 1 + n), and none
//      beyond what the fuzzer sent;
//  (4) every segment rampart emits parses, both checksums verify, it goes from our MAC, address
//      and a port of the local range to the peer's MAC, address and port 8080; a SYN carries the
//      ISS of a connect from its port; its payload is what the app queued at that sequence
//      number, within the peer's MSS; a FIN only after the app closed, right after its last byte.
// At the end, after lcore_tcp::shutdown: every stream closed, the table empty,
//  (5) heap_buffer_pool::in_use() == 0 and bad_releases() == 0.
// A violation prints `fuzz invariant violated at tcp_connect_fuzzer.cc:LINE: why` and aborts.
//
// Input layout (test/fuzz/README.md): byte 0 set-up, then steps, each an opcode byte followed by
// its operands; a missing operand reads as 0.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "fuzz_check.hh"
#include "fuzz_wire.hh"
#include "lcore_rig.hh"
#include "tcp/app_host.hh"
#include "tcp/connection.hh"  // private to lib/tcp: the invariants read control blocks
#include "tcp/lcore_tcp.hh"
#include "tcp/stream.hh"

namespace {

using namespace rampart;
using fuzz::bytes;
using net::seq32;

constexpr std::size_t slots = 4;
constexpr std::uint16_t listen_port = 7;  // the app's listener; the fuzzer never connects to it
constexpr std::uint16_t peer_port = 8080;
constexpr std::uint16_t first_local_port = 32768;
const fuzz::endpoint us{{{0x02, 0, 0, 0, 0, 0x02}}, net::ipv4_address{0x0a4d0002}, 0};
const net::mac_address peer_mac{{0x02, 0, 0, 0, 0, 0x01}};
const net::ipv4_address peer_ip{0x0a4d0001};
const fuzz::endpoint peer{peer_mac, peer_ip, peer_port};

// The app's actions on a slot (opcode 5), run from an app timer through app_host::find.
namespace act {
constexpr std::uint8_t send_small = 1U << 0;  // 1..256 bytes
constexpr std::uint8_t send_big = 1U << 1;    // twice the send buffer
constexpr std::uint8_t close = 1U << 2;
constexpr std::uint8_t abort = 1U << 3;
}  // namespace act

// The fuzzer's model of one connect (one at a time per slot).
struct slot {
  bool used = false;       // a connect started something
  bool open = false;       // connect returned, on_close not yet
  bool connected = false;  // on_connected seen
  bool closed_by_app = false;
  bool peer_fin = false;
  tcp::stream_id id;
  std::uint16_t local_port = 0;
  seq32 iss{0};
  std::uint32_t peer_isn = 0;    // the fuzzer's ISN before the connection is synchronized
  std::uint16_t peer_mss = 0;    // the largest MSS option of the fuzzer's SYNs (0: none yet)
  seq32 rcv_base{0};             // IRS + 1 (on_connected)
  std::uint64_t delivered = 0;   // bytes given to on_data
  bool have_sent = false;
  seq32 sent_end{0};             // highest sequence number + 1 the fuzzer sent data up to
  bytes app_sent;                // what the app queued, from ISS + 1
  std::uint32_t tsval = 1000;
  std::uint32_t their_tsval = 0;
  std::uint32_t generation_order = 0;  // which slot connected last from a local port
};

struct harness;

struct connect_app final : tcp::application {
  harness* h = nullptr;
  tcp::app_host* host = nullptr;
  void attach(tcp::app_host& hst) noexcept override { host = &hst; }
  void on_open(tcp::stream&) noexcept override { fuzz::fail(__FILE__, __LINE__, "on_open: nobody connects to us"); }
  void on_connected(tcp::stream& s) noexcept override;
  void on_data(tcp::stream& s, tcp::data_view data) noexcept override;
  void on_peer_closed(tcp::stream& s) noexcept override;
  void on_close(tcp::stream& s, tcp::close_reason reason) noexcept override;
  void send(tcp::stream& s, slot& c, std::size_t n);
};

// What the app timer does when it fires (opcode 3: connect, opcode 5: act on a slot).
struct timer_job {
  bool connect = false;
  std::size_t slot = 0;
  std::uint64_t timeout_ns = 0;
  std::uint8_t actions = 0;
  std::uint8_t size = 0;
};

struct harness : fuzz::lcore_rig {
  explicit harness(std::uint8_t setup) : setup_bits(setup) {
    static constexpr std::array<std::uint32_t, 4> send_buffers = {1024, 4096, 16384, 262144};
    settings = fuzz::settings_at(us, 6, first_local_port, last_local_port(setup));
    settings.send_buffer = send_buffers[(setup >> 2) & 3];
    listeners.push_back({listen_port, (setup & 0x10) == 0, 0, tcp::cc_algorithm::cubic});
    start();
    if ((setup & 0x20) != 0) {
      hops.add_pending(peer_ip);  // SYNs wait for ARP until opcode 6 answers
    } else {
      hops.add(peer_ip, peer_mac);
    }
    app.h = this;
    tcp->set_application(0, &app);
  }

  static std::uint16_t last_local_port(std::uint8_t setup) {
    static constexpr std::array<std::uint16_t, 4> port_counts = {1, 2, 4, 64};
    return static_cast<std::uint16_t>(first_local_port + port_counts[setup & 3] - 1);
  }
  flow::flow_key key_of(const slot& c) const { return {peer_ip.value, us.ip.value, peer_port, c.local_port}; }
  const tcp::connection* find(const slot& c) const { return tcp->find(key_of(c)); }

  // The slot that last connected from local port p.
  slot* slot_by_port(std::uint16_t p) {
    slot* found = nullptr;
    for (slot& c : slots_) {
      if (c.used && c.local_port == p && (found == nullptr || c.generation_order > found->generation_order)) {
        found = &c;
      }
    }
    return found;
  }

  void run(const std::vector<bytes>& inputs) { check_all(input(inputs)); }
  void poll() { check_all(poll_now()); }
  void check_all(const std::vector<bytes>& emitted) {
    for (const bytes& f : emitted) {
      check_emitted(f);
    }
  }

  // Runs `job` in an app callback: an app timer armed at the lcore's now, fired by poll.
  void in_callback(const timer_job& job) {
    pending = job;
    poll();  // the lcore's clock at now, so a timer armed at now is due
    app.host->arm(timer, now);
    poll();
    FUZZ_CHECK(!timer.armed(), "an app timer armed at now did not fire in poll");
  }
  static void fire(void* arg) noexcept { static_cast<harness*>(arg)->run_job(); }
  void run_job();

  // Invariant (4).
  void check_emitted(std::span<const std::byte> frame) {
    const fuzz::emitted_segment e = fuzz::parse_emitted(frame, us.mac, us.ip);
    FUZZ_CHECK(e.eth_destination == peer_mac && e.destination == peer_ip, "emitted segment not to the peer");
    const net::tcp_header& th = e.header;
    FUZZ_CHECK(th.destination_port == peer_port, "emitted segment not to the peer's port");
    FUZZ_CHECK(th.source_port >= settings.local_port_first && th.source_port <= settings.local_port_last,
               "emitted segment from a port outside the local range");
    if (th.has(net::tcp_flag::rst)) {
      return;  // also the answer to a segment for a local port no connect took
    }
    slot* c = slot_by_port(th.source_port);
    if (c != nullptr && e.options.timestamps) {
      c->their_tsval = e.options.timestamps->value;
    }
    if (th.has(net::tcp_flag::syn)) {
      // A SYN that waited for ARP may leave after its connection ended and another took the port.
      const bool known = std::ranges::find(isses, std::pair{th.source_port, th.sequence}) != isses.end();
      FUZZ_CHECK(known, "our SYN does not carry the ISS of a connection from its port");
      return;
    }
    FUZZ_CHECK(c != nullptr, "emitted segment from a local port no connect took");
    const tcp::connection* conn = find(*c);
    if (!c->open && conn == nullptr) {
      return;  // an earlier incarnation's last segments (a RST answer, TIME-WAIT)
    }
    const std::uint32_t offset = static_cast<std::uint32_t>(th.sequence - (c->iss + 1));
    if (!e.payload.empty()) {
      FUZZ_CHECK(std::uint64_t{offset} + e.payload.size() <= c->app_sent.size(),
                 "emitted data beyond what the app queued");
      FUZZ_CHECK(std::equal(e.payload.begin(), e.payload.end(), c->app_sent.begin() + offset),
                 "emitted data differs from what the app queued at that sequence number");
      if (conn != nullptr) {
        // RFC 9293 §3.7.1: within the peer's MSS (536 without the option, RFC 9293 §3.7.1; less
        // the 12 bytes of TSopt, RFC 7323 §3.2), and within ours.
        const std::size_t peer = c->peer_mss == 0 ? 536 : std::max<std::uint16_t>(c->peer_mss, 536);
        const std::size_t mss = std::min<std::size_t>(peer, settings.mss);
        FUZZ_CHECK(e.payload.size() + (conn->timestamps ? 12 : 0) <= mss, "emitted segment beyond the peer's MSS");
      }
    }
    if (th.has(net::tcp_flag::fin)) {
      FUZZ_CHECK(c->closed_by_app, "FIN emitted before the app closed");
      FUZZ_CHECK(std::uint64_t{offset} + e.payload.size() == c->app_sent.size(),
                 "FIN not right after the app's last queued byte");
    }
  }

  // Invariants (1) and (2).
  void check_connections() {
    for (slot& c : slots_) {
      if (!c.used || slot_by_port(c.local_port) != &c) {
        continue;
      }
      const tcp::connection* conn = find(c);
      if (conn == nullptr) {
        FUZZ_CHECK(!c.open, "a connection left the table without on_close");
        continue;
      }
      fuzz::check_send_sequence(*conn);
      FUZZ_CHECK(conn->sendq.size() <= settings.send_buffer, "send queue beyond the send buffer");
      if (conn->state == tcp::tcp_state::syn_sent || conn->state == tcp::tcp_state::syn_received) {
        FUZZ_CHECK(c.open && !c.connected, "a connection not yet synchronized, its stream closed or connected");
        continue;
      }
      FUZZ_CHECK(c.open || conn->state == tcp::tcp_state::time_wait,
                 "a synchronized connection without an open stream");
      if (!c.open) {
        continue;
      }
      FUZZ_CHECK(c.connected, "a synchronized connection without on_connected");
      fuzz::check_receive_sequence(*conn, c.rcv_base, c.delivered);
    }
  }

  // MSS values of the fuzzer's SYNs: common ones, and degenerate ones a peer may send.
  static constexpr std::array<std::uint16_t, 8> mss_choices = {1460, 536, 0, 1, 12, 64, 1400, 9000};

  // A segment from the peer described by the input: slot, flags (bits 0-5; bit 6: ACK offset
  // from SND.UNA), seq offset (2, signed, from RCV.NXT once synchronized, else from the peer's
  // ISN), ack offset (2, signed, from SND.NXT), window (2), options (bit 0 MSS = bits 5-7 of the
  // table, 1 window scale 7, 2 SACK-permitted, 3 Timestamps, 4 TSecr 0), payload length (2, mod
  // 1601).
  bytes segment(fuzz::reader& r) {
    // The slot's local port (the first one when it never connected), and the model of the slot
    // that connected from that port last: segments reach the port's current connection.
    slot& chosen = slots_[r.u8() % slots];
    const std::uint16_t local_port = chosen.used ? chosen.local_port : first_local_port;
    slot* owner = slot_by_port(local_port);
    slot& c = owner != nullptr ? *owner : chosen;
    const std::uint8_t flags_byte = r.u8();
    const auto seq_offset = static_cast<std::int16_t>(r.u16());
    const auto ack_offset = static_cast<std::int16_t>(r.u16());
    const std::uint16_t window = r.u16();
    const std::uint8_t opts = r.u8();
    const auto length = static_cast<std::uint16_t>(r.u16() % 1601);
    const std::uint8_t flags = flags_byte & 0x3f;
    const tcp::connection* conn = c.used ? find(c) : nullptr;
    const bool synchronized = conn != nullptr && conn->state != tcp::tcp_state::syn_sent;
    const seq32 seq_base = synchronized ? conn->rcv_nxt : seq32{c.peer_isn};
    const seq32 ack_base = conn == nullptr ? c.iss + 1 : (flags_byte & 0x40) != 0 ? conn->snd_una : conn->snd_nxt;
    const seq32 seq = seq_base + static_cast<std::uint32_t>(std::int32_t{seq_offset});
    const seq32 ack = ack_base + static_cast<std::uint32_t>(std::int32_t{ack_offset});
    net::tcp_options options;
    if ((flags & net::tcp_flag::syn) != 0) {
      if ((opts & 1) != 0) {
        options.mss = mss_choices[opts >> 5];
        c.peer_mss = std::max<std::uint16_t>(c.peer_mss, *options.mss);
      } else {
        c.peer_mss = std::max<std::uint16_t>(c.peer_mss, 536);  // none: 536 (RFC 9293 §3.7.1)
      }
      if ((opts & 2) != 0) {
        options.window_scale = 7;
      }
      options.sack_permitted = (opts & 4) != 0;
    }
    if ((opts & 8) != 0) {
      c.tsval += 1;
      options.timestamps = net::tcp_timestamps{c.tsval, (opts & 0x10) != 0 ? 0 : c.their_tsval};
    }
    const seq32 data_end = fuzz::first_data_sequence(flags, seq) + length;
    if (length > 0 && (!c.have_sent || c.sent_end < data_end)) {
      c.have_sent = true;
      c.sent_end = data_end;
    }
    return fuzz::build_segment(peer, {us.mac, us.ip, local_port}, flags, seq, ack, window, options, length, peer_port);
  }

  connect_app app;
  tcp::app_timer timer{&harness::fire, this};
  timer_job pending;
  std::array<slot, slots> slots_{};
  std::vector<std::pair<std::uint16_t, seq32>> isses;  // of every connect: local port, ISS
  std::uint8_t setup_bits;
  std::uint32_t generations = 0;
};

void harness::run_job() {
  slot& c = slots_[pending.slot];
  if (pending.connect) {
    if (c.open) {
      return;  // one connect at a time per slot
    }
    const tcp::connect_result result = app.host->connect({peer_ip, peer_port, &c, pending.timeout_ns});
    if (!result) {
      return;  // no local port or a full table: no callback may follow (invariant 2)
    }
    tcp::stream* s = app.host->find(result.id);
    FUZZ_CHECK(s != nullptr && s->context() == &c, "connect's stream not found by its id, or without its context");
    const std::uint32_t isn_seed = c.peer_isn;
    c = slot{};
    c.used = true;
    c.open = true;
    c.id = result.id;
    c.local_port = s->key().local_port;
    c.generation_order = ++generations;
    c.peer_isn = isn_seed * 0x01000193U + 0x10000000U * static_cast<std::uint32_t>(pending.slot + 1);
    const tcp::connection* conn = find(c);
    FUZZ_CHECK(conn != nullptr && conn->state == tcp::tcp_state::syn_sent, "connect left no connection in SYN-SENT");
    c.iss = conn->iss;
    isses.emplace_back(c.local_port, c.iss);
    if ((setup_bits & 0x40) != 0) {
      app.send(*s, c, 100);  // queued before ESTABLISHED (RFC 9293 §3.10.2)
    }
    return;
  }
  if (!c.open) {
    return;
  }
  tcp::stream* s = app.host->find(c.id);
  FUZZ_CHECK(s != nullptr && s->context() == &c, "an open stream not found by its id");
  if ((pending.actions & act::send_small) != 0) {
    app.send(*s, c, 1 + pending.size);
  }
  if ((pending.actions & act::send_big) != 0) {
    app.send(*s, c, std::min<std::size_t>(2 * settings.send_buffer, 1 << 16));
  }
  if ((pending.actions & act::close) != 0) {
    s->close();
    c.closed_by_app = true;
  }
  if ((pending.actions & act::abort) != 0) {
    s->abort();
  }
}

void connect_app::send(tcp::stream& s, slot& c, std::size_t n) {
  bytes data(n);
  for (std::size_t i = 0; i < n; ++i) {
    data[i] = static_cast<std::byte>((c.app_sent.size() + i) * 37 + c.local_port);
  }
  const std::size_t space = s.send_space();
  const std::size_t taken = s.send(data);
  FUZZ_CHECK(taken <= n && taken <= space, "send took more than asked or than send_space");
  FUZZ_CHECK(!c.closed_by_app || taken == 0, "send took bytes after close");
  c.app_sent.insert(c.app_sent.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(taken));
}

void connect_app::on_connected(tcp::stream& s) noexcept {
  slot& c = *static_cast<slot*>(s.context());
  FUZZ_CHECK(c.open && !c.connected, "on_connected twice or after on_close");
  FUZZ_CHECK(s.outbound() && s.id() == c.id, "on_connected for a stream that is not the connect's");
  const tcp::connection* conn = h->find(c);
  FUZZ_CHECK(conn != nullptr && conn->state != tcp::tcp_state::syn_sent && conn->state != tcp::tcp_state::syn_received,
             "on_connected before the connection is synchronized");
  FUZZ_CHECK(conn->iss == c.iss, "the connection's ISS changed during the handshake");
  c.connected = true;
  c.rcv_base = conn->irs + 1;
}

void connect_app::on_data(tcp::stream& s, tcp::data_view data) noexcept {
  slot& c = *static_cast<slot*>(s.context());
  FUZZ_CHECK(c.open && c.connected, "on_data before on_connected or after on_close");
  FUZZ_CHECK(data.length > 0, "on_data with nothing");
  const seq32 first = c.rcv_base + static_cast<std::uint32_t>(c.delivered);
  FUZZ_CHECK(c.have_sent && first + data.length <= c.sent_end, "delivered bytes the peer never sent");
  for (std::uint32_t i = 0; i < data.length; ++i) {
    FUZZ_CHECK(data.data[i] == fuzz::pattern(peer_port, first.raw() + i),
               "bytes delivered out of order or twice (differ from the peer's stream at that offset)");
  }
  c.delivered += data.length;
  if ((h->setup_bits & 0x80) != 0 && !c.closed_by_app) {
    send(s, c, data.length);  // answer as much as we got
  }
}

void connect_app::on_peer_closed(tcp::stream& s) noexcept {
  slot& c = *static_cast<slot*>(s.context());
  FUZZ_CHECK(c.open && c.connected && !c.peer_fin, "on_peer_closed twice, before on_connected or after on_close");
  c.peer_fin = true;
  s.close();
  c.closed_by_app = true;
}

void connect_app::on_close(tcp::stream& s, tcp::close_reason reason) noexcept {
  slot& c = *static_cast<slot*>(s.context());
  FUZZ_CHECK(c.open, "on_close twice, or for a connect that failed");
  const bool never_connected = reason == tcp::close_reason::refused || reason == tcp::close_reason::unreachable;
  FUZZ_CHECK(!never_connected || !c.connected, "on_close(refused | unreachable) after on_connected");
  c.open = false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader r{{data, size}};
  harness h(r.u8());
  const bool verbose = std::getenv("RAMPART_FUZZ_VERBOSE") != nullptr;
  std::uint32_t steps = 0;
  while (!r.done() && steps++ < 256) {
    const std::uint8_t op = r.u8();
    switch ((op & 0x0f) % 8) {  // the high bits are the operation's own
      case 0:
      case 1:
        h.run({h.segment(r)});
        break;
      case 2: {  // a burst of 2-4 segments
        std::vector<bytes> burst;
        const std::size_t n = 2 + (op >> 4) % 3;
        for (std::size_t i = 0; i < n; ++i) {
          burst.push_back(h.segment(r));
        }
        h.run(burst);
        break;
      }
      case 3: {  // connect on a slot: the timeout the lcore's default, 10 ms, 1 s or 20 s
        static constexpr std::array<std::uint64_t, 4> timeouts = {0, 10'000'000ULL, 1'000'000'000ULL,
                                                                  20'000'000'000ULL};
        const std::uint8_t which = r.u8();
        h.slots_[which % slots].peer_isn = r.u8();
        h.in_callback({.connect = true, .slot = which % slots, .timeout_ns = timeouts[(op >> 4) & 3]});
        break;
      }
      case 4: {  // clock: 1-256 ms, 10 ms units, 1 s units or 10 s units
        static constexpr std::array<std::uint64_t, 4> units = {1'000'000ULL, 10'000'000ULL, 1'000'000'000ULL,
                                                               10'000'000'000ULL};
        h.now += (1 + std::uint64_t{r.u8()}) * units[(op >> 4) & 3];
        h.poll();
        break;
      }
      case 5: {  // app actions on a slot, from a timer (app_host::find)
        const std::uint8_t which = r.u8();
        const std::uint8_t actions = r.u8();
        h.in_callback({.slot = which % slots, .actions = actions, .size = r.u8()});
        break;
      }
      case 6:  // the peer's next hop answers ARP: the SYNs waiting for it leave
        h.hops.answer(peer_ip, peer_mac, h.sink);
        h.check_all(h.sink.take());
        break;
      default:
        h.poll();
        break;
    }
    h.check_connections();
    if (verbose) {
      std::fprintf(stderr, "step %u op %u: table %u, pool %zu;", steps, (op & 0x0f) % 8, h.tcp->connection_count(),
                   h.pool.in_use());
      for (const slot& c : h.slots_) {
        const tcp::connection* conn = c.used ? h.find(c) : nullptr;
        std::fprintf(stderr, " [%u %s in %llu out %zu]", c.local_port,
                     conn != nullptr ? tcp::to_string(conn->state) : "-",
                     static_cast<unsigned long long>(c.delivered), c.app_sent.size());
      }
      std::fprintf(stderr, "\n");
    }
  }
  h.tcp->shutdown(h.now);
  h.check_all(h.sink.take());
  for (const slot& c : h.slots_) {
    FUZZ_CHECK(!c.open, "a stream still open after shutdown (on_close missing)");
  }
  FUZZ_CHECK(h.tcp->connection_count() == 0, "connections left after shutdown");
  for (const auto& held : h.hops.held) {
    h.pool.release(held.frame.handle);  // SYNs still waiting for ARP: the resolver's to free
  }
  FUZZ_CHECK(h.pool.bad_releases() == 0, "a buffer released twice (or never allocated)");
  FUZZ_CHECK(h.pool.in_use() == 0, "buffers leaked: in use after shutdown");
  return 0;
}
