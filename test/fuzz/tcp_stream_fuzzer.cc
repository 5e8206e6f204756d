// libFuzzer target: established TCP connections under a fuzzer-chosen sequence of steps. A real
// tcp::lcore_tcp with heap buffers (test/support/fake_io.hh) listens on port 7; the fuzzer first
// opens up to three connections through a real handshake (it answers the cookie SYN-ACK it gets
// back, or the backlog's in mode auto), then runs steps: segments whose sequence and
// acknowledgment numbers are offsets from the connection's current RCV.NXT and SND.NXT (so most
// land in the window), with fuzzer-chosen flags, window, timestamps (some stale, for PAWS) and
// payload length, SACK blocks (some below SND.UNA: D-SACK) and ACKs of SND.UNA (duplicate ACKs,
// driving fast retransmit and recovery); clock advances with lcore_tcp::poll (RTO, delayed ACK, persist, idle,
// TIME-WAIT); app actions (echo, hold and later release received buffers, sends beyond the send
// buffer, zero-copy sends, close, abort); pool limits and sink refusal. After every step:
//
//  (1) every connection in the table has SND.UNA <= SND.NXT <= SND.MAX (seq32 order), a
//      congestion window of at least one segment once synchronized, and a SACK scoreboard (when
//      it holds one) of at most max_ranges sorted, disjoint ranges within [SND.UNA, SND.MAX];
//      the lcore's scoreboards in use never exceed its connections, its send queues never hold
//      more buffers than the send budget;
//  (2) the app got the client's bytes in order, each once: the client's byte at sequence number s
//      is a fixed function of s (pattern()), so whatever segments the fuzzer cut, the n-th byte
//      delivered must be pattern(IRS + 1 + n), and no byte beyond the highest sequence number
//      the fuzzer sent; RCV.NXT = IRS + 1 + bytes delivered (+1 after the peer's FIN); a held
//      buffer still holds the same bytes when the app releases it;
//  (3) every segment rampart emits (sink or in-place reply) parses, both checksums verify, it goes
//      from our MAC/address/port 7 to the client, its payload equals what the app queued at that
//      sequence number, and a FIN comes only after the app closed, right after its last byte; its
//      SACK blocks (only when negotiated, at most 3 beside Timestamps, else 4) are non-empty,
//      within what the client sent, above the ACK number except a D-SACK first block (below it,
//      or inside the second block);
//  (4) the out-of-order queues hold at most tcp.reassembly_budget buffers together, each at most
//      reassembly_cap(), and their pieces add up to what the pool says is in use.
// At the end, after lcore_tcp::shutdown and the app releasing what it still held:
//  (5) heap_buffer_pool::in_use() == 0 and bad_releases() == 0 (no leak, no double release).
// A violation prints `fuzz invariant violated at tcp_stream_fuzzer.cc:LINE: why` and aborts.
//
// Input layout (test/fuzz/README.md): byte 0 set-up, byte 1 app defaults, then steps, each an
// opcode byte followed by its operands; a missing operand reads as 0.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "config/config.hh"
#include "cookie/key_schedule.hh"
#include "engine/tcp_settings.hh"
#include "fuzz_check.hh"
#include "fuzz_wire.hh"
#include "fake_io.hh"
#include "flow/flow_key.hh"
#include "net/seq32.hh"
#include "net/tcp_header.hh"
#include "stats/counters.hh"
#include "tcp/connection.hh"   // private to lib/tcp: the invariants read control blocks
#include "tcp/send_budget.hh"
#include "tcp/lcore_tcp.hh"
#include "tcp/stream.hh"

namespace {

using namespace rampart;
using fuzz::bytes;
using fuzz::pattern;  // the client's byte at sequence number k, salted by its port
using fuzz::reader;
using net::seq32;

using fuzz::t0_ns;  // the unit tests' instant (fuzz_check.hh)
constexpr std::uint16_t port = 7;
constexpr std::size_t slots = 3;
constexpr std::size_t max_held = 64;
const net::mac_address our_mac{{0x02, 0, 0, 0, 0, 0x02}};
const net::mac_address client_mac{{0x02, 0, 0, 0, 0, 0x01}};
const net::ipv4_address our_ip{0x0a4d0002};
const net::ipv4_address client_ip{0x0a4d0001};

// The app's pending actions (opcode 2), carried out in the slot's next callback.
namespace act {
constexpr std::uint8_t send_small = 1U << 0;    // 1..256 bytes
constexpr std::uint8_t send_big = 1U << 1;      // twice the send buffer
constexpr std::uint8_t zero_copy = 1U << 2;     // allocate_buffer + send_buffer
constexpr std::uint8_t release = 1U << 3;       // give back every held buffer
constexpr std::uint8_t close = 1U << 4;
constexpr std::uint8_t abort = 1U << 5;
}  // namespace act

struct held_view {
  tcp::data_view view;
  seq32 sequence;  // of view.data[0]
};

// The fuzzer's model of one client connection (one incarnation at a time).
struct client {
  bool used = false;       // a handshake was attempted
  bool open = false;       // on_open seen, on_close not yet
  bool closed_by_app = false;
  bool peer_fin = false;   // on_peer_closed seen
  std::uint16_t port = 0;  // unique per incarnation: the pattern salt
  std::uint32_t isn = 0;    // of the fuzzer's handshake SYN
  seq32 rcv_base{0};        // IRS + 1 of the open incarnation (on_open)
  seq32 server_iss{0};
  bool timestamps = false;
  std::uint16_t syn_mss = 536;  // the largest MSS option of the port's SYNs (536: none)
  std::uint32_t tsval = 1000;
  std::uint32_t their_tsval = 0;
  std::uint64_t delivered = 0;  // bytes given to on_data
  bool have_sent = false;
  seq32 sent_end{0};            // highest sequence number + 1 the fuzzer ever sent data up to
  bytes app_sent;               // what the app queued, from ISS + 1
  std::vector<held_view> held;
  // App behaviour.
  bool echo = false;
  bool hold = false;
  bool close_on_fin = true;
  std::uint8_t pending = 0;
  std::uint8_t pending_size = 0;
};

struct harness;

struct fuzz_app final : tcp::application {
  harness* h = nullptr;
  client* slot_of(tcp::stream& s) const { return static_cast<client*>(s.context()); }
  void on_open(tcp::stream& s) noexcept override;
  void on_data(tcp::stream& s, tcp::data_view data) noexcept override;
  void on_writable(tcp::stream& s) noexcept override;
  void on_peer_closed(tcp::stream& s) noexcept override;
  void on_close(tcp::stream& s, tcp::close_reason reason) noexcept override;
  void act_on(tcp::stream& s, client& c);
  void send(tcp::stream& s, client& c, std::size_t n);
  void release_all(tcp::stream& s, client& c);
};

struct harness {
  explicit harness(std::uint8_t setup, std::uint8_t app_defaults)
      : settings(engine::tcp_settings_of(config::engine_config{}, {})),  // the config's defaults
        pool(1 << 20, fuzz::frame_capacity), sink(pool), defaults(app_defaults) {
    static constexpr std::array<std::uint32_t, 4> send_buffers = {1024, 4096, 16384, 262144};
    static constexpr std::array<std::uint32_t, 4> receive_windows = {2048, 8192, 65535, 262140};
    settings.mss = 1460;
    settings.window_scale = (setup & 0x10) != 0 ? 2 : 7;
    settings.connections = 4;
    settings.cookies = (setup & 0x20) != 0 ? tcp::cookie_mode::auto_mode : tcp::cookie_mode::always;
    settings.backlog_capacity = 4;
    settings.auto_threshold = 2;
    settings.send_buffer = send_buffers[setup & 3];
    settings.receive_window = receive_windows[(setup >> 2) & 3];
    settings.local_mac = our_mac;
    static constexpr std::array<std::uint32_t, 4> reassembly_budgets = {2048, 0, 3, 12};
    settings.reassembly_budget = reassembly_budgets[(app_defaults >> 4) & 3];
    settings.send_budget = (app_defaults & 0x40) != 0 ? 8 : 4096;  // tight: refusals and waiters
    listeners.push_back({port, (setup & 0x40) == 0, (setup & 0x80) != 0 ? 30'000'000'000ULL : 0ULL,
                         (app_defaults & 0x80) != 0 ? tcp::cc_algorithm::reno : tcp::cc_algorithm::cubic});
    tcp.emplace(settings, listeners, stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4}, t0_ns);
    tcp->attach_io(pool, sink);
    app.h = this;
    tcp->set_application(0, &app);
  }

  flow::flow_key key_of(const client& c) const { return {client_ip.value, our_ip.value, c.port, port}; }
  const tcp::connection* find(const client& c) const { return tcp->find(key_of(c)); }

  bytes build(const client& c, std::uint8_t flags, seq32 seq, seq32 ack, std::uint16_t window,
              const net::tcp_options& options, std::uint16_t length) const {
    return fuzz::build_segment({client_mac, client_ip, c.port}, {our_mac, our_ip, port}, flags, seq, ack, window,
                               options, length, c.port);
  }

  // A frame the pool has no buffer for runs from local memory: the app holds only views with a
  // buffer (on_data), and the connections' paths without one get fuzzed too.
  void run(const std::vector<bytes>& inputs) {
    take(fuzz::run_burst(*tcp, pool, sink, inputs, now, fuzz::without_buffer::local_copy));
  }
  void poll() { take(fuzz::poll_lcore(*tcp, sink, now)); }

  // Checks the segments rampart emitted; keeps them in `replies` for the handshake.
  void take(std::vector<bytes> emitted) {
    for (bytes& f : emitted) {
      check_emitted(f);
      replies.push_back(std::move(f));
    }
  }

  client* slot_by_port(std::uint16_t p) {
    for (client& c : clients) {
      if (c.used && c.port == p) {
        return &c;
      }
    }
    return nullptr;
  }

  // Invariant (3).
  void check_emitted(std::span<const std::byte> frame) {
    const fuzz::emitted_segment e = fuzz::parse_emitted(frame, our_mac, our_ip);
    FUZZ_CHECK(e.eth_destination == client_mac && e.destination == client_ip, "emitted segment not to the client");
    const net::tcp_header& th = e.header;
    FUZZ_CHECK(th.source_port == port, "emitted TCP segment not from the listened port");
    client* c = slot_by_port(th.destination_port);
    FUZZ_CHECK(c != nullptr, "emitted TCP segment to a port the fuzzer never used");
    if (e.options.timestamps) {
      c->their_tsval = e.options.timestamps->value;
    }
    if (th.has(net::tcp_flag::syn) && !c->open) {
      // A new incarnation (handshake, backlog, TIME-WAIT reuse). When the stream is open, on_open
      // set the ISS: this SYN-ACK answered a SYN earlier in the burst whose ACK opened another.
      c->server_iss = th.sequence;
    }
    if (th.has(net::tcp_flag::syn) || th.has(net::tcp_flag::rst)) {
      return;  // without data or SACK blocks (parse_emitted)
    }
    check_sack_blocks(*c, th, e.options);
    const std::uint32_t offset = static_cast<std::uint32_t>(th.sequence - (c->server_iss + 1));
    const std::span<const std::byte> payload = e.payload;
    if (const tcp::connection* conn = find(*c); conn != nullptr && !payload.empty()) {
      // RFC 9293 §3.7.1: no segment beyond the peer's MSS (less the 12 bytes of TSopt, RFC 7323
      // §3.2); a peer below 536 gets 536, as the cookie path does (syn_cookie.hh, RFC 1122 §3.3.3).
      const std::size_t option_bytes = conn->timestamps ? 12 : 0;
      const std::size_t mss = std::min<std::size_t>(std::max<std::uint16_t>(c->syn_mss, 536), settings.mss);
      FUZZ_CHECK(payload.size() + option_bytes <= mss, "emitted segment beyond the peer's MSS");
    }
    if (!payload.empty()) {
      FUZZ_CHECK(std::uint64_t{offset} + payload.size() <= c->app_sent.size(),
                 "emitted data beyond what the app queued");
      FUZZ_CHECK(std::equal(payload.begin(), payload.end(), c->app_sent.begin() + offset),
                 "emitted data differs from what the app queued at that sequence number");
    }
    if (th.has(net::tcp_flag::fin)) {
      FUZZ_CHECK(c->closed_by_app, "FIN emitted before the app closed");
      FUZZ_CHECK(std::uint64_t{offset} + payload.size() == c->app_sent.size(),
                 "FIN not right after the app's last queued byte");
    }
  }

  // Invariant (3), SACK blocks (RFC 2018 §4, RFC 2883 §4).
  void check_sack_blocks(const client& c, const net::tcp_header& th, const net::tcp_options& options) {
    const auto sacks = options.sacks();
    if (sacks.empty()) {
      return;
    }
    const tcp::connection* conn = find(c);
    FUZZ_CHECK(conn == nullptr || conn->sack_permitted, "SACK blocks on a connection that did not negotiate SACK");
    FUZZ_CHECK(sacks.size() <= (options.timestamps ? 3U : 4U), "more SACK blocks than fit beside the other options");
    for (std::size_t i = 0; i < sacks.size(); ++i) {
      const net::sack_block& b = sacks[i];
      FUZZ_CHECK(b.left < b.right, "an empty or inverted SACK block");
      FUZZ_CHECK(c.have_sent && b.right <= c.sent_end, "a SACK block beyond what the client sent");
      const bool dsack = i == 0 && (b.right <= th.acknowledgment ||
                                    (sacks.size() > 1 && b.left >= sacks[1].left && b.right <= sacks[1].right));
      FUZZ_CHECK(dsack || b.left > th.acknowledgment, "a SACK block at or below the cumulative ACK");
    }
  }

  // After a clock step with buffers and sink room: a connection with unsent data, an open peer
  // window and nothing in flight must have a retry due within two timer ticks (the wheel rounds a
  // deadline up to its 1.05 ms tick): else it stalls, or waits for an unrelated timer.
  void check_progress() {
    for (client& c : clients) {
      const tcp::connection* conn = c.used ? find(c) : nullptr;
      if (conn == nullptr ||
          (conn->state != tcp::tcp_state::established && conn->state != tcp::tcp_state::close_wait)) {
        continue;
      }
      const bool unsent = static_cast<std::uint32_t>(conn->snd_nxt - conn->snd_una) < conn->sendq.size();
      const bool retry_soon = conn->output_timer_at != 0 && conn->output_timer_at <= now + 2'100'000;
      FUZZ_CHECK(!(unsent && conn->snd_nxt == conn->snd_una && conn->snd_wnd > 0 &&
                   conn->send_timer_kind != tcp::send_timer::persist && !retry_soon),
                 "unsent data, an open window, nothing in flight and no retry due: the connection stalls");
    }
  }

  // Invariants (1) and (2) over every connection.
  void check_connections() {
    for (client& c : clients) {
      if (!c.used) {
        continue;
      }
      const tcp::connection* conn = find(c);
      if (conn == nullptr) {
        FUZZ_CHECK(!c.open, "a connection left the table without on_close");
        continue;
      }
      fuzz::check_send_sequence(*conn);
      if (const tcp::sack_scoreboard* board = tcp->scoreboard_of(*conn)) {
        FUZZ_CHECK(board->size() <= tcp::sack_scoreboard::max_ranges, "scoreboard beyond its bound");
        for (std::size_t k = 0; k < board->size(); ++k) {
          FUZZ_CHECK(board->at(k).left < board->at(k).right, "empty or inverted scoreboard range");
          FUZZ_CHECK(k == 0 || board->at(k - 1).right < board->at(k).left, "scoreboard ranges unsorted or touching");
          FUZZ_CHECK(board->at(k).right <= conn->snd_max, "scoreboard range beyond SND.MAX");
        }
      }
      if (conn->state == tcp::tcp_state::syn_received) {
        continue;
      }
      FUZZ_CHECK(conn->cc.cwnd >= 1, "a synchronized connection without a congestion window");
      FUZZ_CHECK(c.open || conn->state == tcp::tcp_state::time_wait, "a synchronized connection without an open stream");
      fuzz::check_receive_sequence(*conn, c.rcv_base, c.delivered);
      FUZZ_CHECK(conn->sendq.size() <= settings.send_buffer, "send queue beyond the send buffer");
    }
    // Invariant (4): the reassembly budgets.
    std::uint32_t pieces = 0;
    for (const client& c : clients) {
      if (const tcp::connection* conn = c.used ? find(c) : nullptr) {
        FUZZ_CHECK(conn->ooo.pieces <= tcp->reassembly_cap(), "an out-of-order queue beyond its connection's share");
        FUZZ_CHECK(conn->ooo.empty() == (conn->ooo.pieces == 0), "an out-of-order queue miscounts its pieces");
        pieces += conn->ooo.pieces;
      }
    }
    FUZZ_CHECK(tcp->reassembly_in_use() <= settings.reassembly_budget, "out-of-order data beyond tcp.reassembly_budget");
    FUZZ_CHECK(pieces == tcp->reassembly_in_use(), "out-of-order pieces not accounted to a live connection");
    // Invariant (5): scoreboards and the send budget.
    FUZZ_CHECK(tcp->scoreboards_in_use() <= tcp->connection_count(), "scoreboards held by no connection");
    FUZZ_CHECK(tcp->send_buffers().held() <= settings.send_budget, "send queues beyond the send budget");
    // A segment a connection cuts itself must fit the buffer it builds it in.
    stats::snapshot snap;
    snap.accumulate(stats);
    FUZZ_CHECK(snap.drops[static_cast<std::size_t>(stats::drop_reason::tcp_reply_too_large)] == 0,
               "a connection built a segment larger than a buffer (tcp_reply_too_large)");
  }

  // A handshake for slot i with a fresh port: SYN, the SYN-ACK (in place or from the sink), ACK.
  // MSS values of the SYN (options bit 0): common ones, and the degenerate ones a peer may send.
  static constexpr std::array<std::uint16_t, 8> mss_choices = {536, 0, 1, 12, 13, 64, 88, 9000};

  void open(std::size_t i, std::uint8_t options_bits, std::uint8_t mss_choice) {
    client& c = clients[i];
    if (c.used && find(c) != nullptr) {
      return;
    }
    c = client{};
    c.used = true;
    c.port = static_cast<std::uint16_t>(40000 + i * 1000 + incarnations++);
    c.isn = 0x10000000U * static_cast<std::uint32_t>(i + 1) + options_bits * 0x01000193U;
    c.echo = (defaults & 1) != 0;
    c.hold = (defaults & 2) != 0;
    c.close_on_fin = (defaults & 4) == 0;
    net::tcp_options syn_options;
    syn_options.mss = (options_bits & 1) != 0 ? mss_choices[mss_choice % mss_choices.size()] : std::uint16_t{1460};
    c.syn_mss = *syn_options.mss;
    if ((options_bits & 2) != 0) {
      syn_options.window_scale = static_cast<std::uint8_t>((options_bits >> 4) & 0xf);
    }
    syn_options.sack_permitted = (options_bits & 4) != 0;
    if ((options_bits & 8) != 0) {
      syn_options.timestamps = net::tcp_timestamps{c.tsval, 0};
    }
    replies.clear();
    run({build(c, net::tcp_flag::syn, seq32{c.isn}, seq32{0}, 65535, syn_options, 0)});
    std::optional<net::tcp_header> syn_ack;
    std::optional<net::tcp_options> syn_ack_options;
    for (const bytes& f : replies) {
      const fuzz::emitted_segment e = fuzz::parse_emitted(f, our_mac, our_ip);
      if (e.header.flags == (net::tcp_flag::syn | net::tcp_flag::ack) && e.header.destination_port == c.port) {
        syn_ack = e.header;
        syn_ack_options = e.options;
      }
    }
    replies.clear();
    if (!syn_ack) {
      return;  // no buffer, sink refused, table full...
    }
    net::tcp_options ack_options;
    if (syn_ack_options->timestamps) {
      c.timestamps = true;
      c.tsval += 1;
      ack_options.timestamps = net::tcp_timestamps{c.tsval, syn_ack_options->timestamps->value};
    }
    run({build(c, net::tcp_flag::ack, seq32{c.isn} + 1, c.server_iss + 1, 65535, ack_options, 0)});
    replies.clear();
  }

  // A segment described by the input, against slot i's current state.
  bytes segment(reader& r) {
    client& c = clients[r.u8() % slots];
    std::uint8_t flags = r.u8();
    const std::uint8_t extras = flags;  // bit 6: SACK blocks follow; bit 7: ACK relative to SND.UNA
    const auto seq_offset = static_cast<std::int16_t>(r.u16());
    const auto ack_offset = static_cast<std::int16_t>(r.u16());
    const std::uint16_t window = r.u16();
    const std::uint8_t opts = r.u8();
    const std::uint16_t length = static_cast<std::uint16_t>(r.u16() % 1601);
    const tcp::connection* conn = find(c);
    const seq32 rcv_nxt = conn != nullptr ? conn->rcv_nxt : c.rcv_base + static_cast<std::uint32_t>(c.delivered);
    const seq32 snd_nxt = conn != nullptr ? conn->snd_nxt : c.server_iss + 1;
    // Offsets mostly small: the low bits of the flags byte scale them up now and then.
    const seq32 seq = rcv_nxt + static_cast<std::uint32_t>(std::int32_t{seq_offset} * ((opts & 0x40) != 0 ? 64 : 1));
    const seq32 ack_base = (extras & 0x80) != 0 && conn != nullptr ? conn->snd_una : snd_nxt;
    const seq32 ack = ack_base + static_cast<std::uint32_t>(std::int32_t{ack_offset} * ((opts & 0x80) != 0 ? 64 : 1));
    flags &= 0x3f;
    net::tcp_options options;
    if ((extras & 0x40) != 0) {
      // 1-4 blocks [SND.UNA + offset, + length), offsets signed (below SND.UNA: a D-SACK).
      const seq32 una = conn != nullptr ? conn->snd_una : snd_nxt;
      options.sack_block_count = static_cast<std::uint8_t>(1 + r.u8() % 4);
      for (std::uint8_t k = 0; k < options.sack_block_count; ++k) {
        const auto left = una + static_cast<std::uint32_t>(std::int32_t{static_cast<std::int16_t>(r.u16())});
        options.sack_blocks[k] = {left, left + (1 + r.u16() % 8192U)};
      }
    }
    if (c.timestamps && (opts & 1) == 0) {
      c.tsval += 1 + (opts >> 4 & 3);
      std::uint32_t value = c.tsval;
      if ((opts & 2) != 0) {
        value -= 1 + (opts >> 2 & 3) * 1000;  // stale: PAWS
      }
      options.timestamps = net::tcp_timestamps{value, (opts & 0x20) != 0 ? 0 : c.their_tsval};
    } else if (!c.timestamps && (opts & 0x30) == 0x30) {
      options.timestamps = net::tcp_timestamps{c.tsval, 0};  // not negotiated
    }
    if (options.timestamps && options.sack_block_count > net::tcp_max_sack_blocks_with_timestamps) {
      options.sack_block_count = net::tcp_max_sack_blocks_with_timestamps;  // what fits beside TS
    }
    if ((flags & net::tcp_flag::syn) != 0) {
      // Without an MSS option (536). A connection may come from any SYN of this port (a cookie
      // stays valid for a while), so the bound is the largest of them.
      c.syn_mss = std::max<std::uint16_t>(c.syn_mss, 536);
    }
    if (!c.used) {
      c.used = true;  // a segment of a flow nobody opened: the listener path answers it
      c.port = static_cast<std::uint16_t>(40000 + (&c - clients.data()) * 1000 + incarnations++);
    }
    const seq32 data_end = fuzz::first_data_sequence(flags, seq) + length;
    if (length > 0 && (!c.have_sent || c.sent_end < data_end)) {
      c.have_sent = true;
      c.sent_end = data_end;
    }
    return build(c, flags, seq, ack, window, options, length);
  }

  // Reordering: 2-6 consecutive pieces of the client's stream from RCV.NXT + start, each
  // 1-1021 bytes overlapping the previous one by 0-63, sent in a fuzzer-chosen order (one burst,
  // or one burst each), a FIN after the last piece when asked.
  std::vector<bytes> reordered(reader& r, bool with_fin) {
    client& c = clients[r.u8() % slots];
    const std::size_t k = 2 + r.u8() % 5;
    const std::uint32_t start = r.u8();
    std::uint8_t mix = r.u8();
    const tcp::connection* conn = find(c);
    const seq32 rcv_nxt = conn != nullptr ? conn->rcv_nxt : c.rcv_base + static_cast<std::uint32_t>(c.delivered);
    const seq32 snd_nxt = conn != nullptr ? conn->snd_nxt : c.server_iss + 1;
    if (!c.used) {
      c.used = true;
      c.port = static_cast<std::uint16_t>(40000 + (&c - clients.data()) * 1000 + incarnations++);
    }
    std::vector<bytes> pieces;
    seq32 at = rcv_nxt + start;
    for (std::size_t i = 0; i < k; ++i) {
      const auto length = static_cast<std::uint16_t>(1 + r.u8() * 4);
      const std::uint16_t overlap = std::min<std::uint16_t>(r.u8() % 64, static_cast<std::uint16_t>(length - 1));
      net::tcp_options options;
      if (c.timestamps) {
        c.tsval += 1;
        options.timestamps = net::tcp_timestamps{c.tsval, c.their_tsval};
      }
      const bool last = i + 1 == k;
      const std::uint8_t flags = net::tcp_flag::ack | (last && with_fin ? net::tcp_flag::fin : 0);
      pieces.push_back(build(c, flags, at, snd_nxt, 65535, options, length));
      if (!c.have_sent || c.sent_end < at + length) {
        c.have_sent = true;
        c.sent_end = at + length;
      }
      at = at + length - overlap;
    }
    for (std::size_t i = pieces.size() - 1; i > 0; --i) {  // Fisher-Yates from a tiny LCG
      mix = static_cast<std::uint8_t>(mix * 37 + 11);
      std::swap(pieces[i], pieces[mix % (i + 1)]);
    }
    return pieces;
  }

  tcp::tcp_settings settings;
  std::vector<tcp::listener_settings> listeners;
  stats::lcore_stats stats;
  test::heap_buffer_pool pool;
  test::capture_sink sink;
  std::optional<tcp::lcore_tcp> tcp;
  fuzz_app app;
  std::array<client, slots> clients{};
  std::vector<bytes> replies;
  std::uint8_t defaults;
  std::uint32_t incarnations = 0;
  bool pool_unlimited = true;
  bool refusing = false;
  std::uint64_t now = t0_ns;
};

void fuzz_app::send(tcp::stream& s, client& c, std::size_t n) {
  bytes data(n);
  for (std::size_t i = 0; i < n; ++i) {
    data[i] = static_cast<std::byte>((c.app_sent.size() + i) * 37 + c.port);
  }
  const std::size_t space = s.send_space();
  const std::size_t taken = s.send(data);
  FUZZ_CHECK(taken <= n && taken <= space, "send took more than asked or than send_space");
  c.app_sent.insert(c.app_sent.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(taken));
}

void fuzz_app::release_all(tcp::stream& s, client& c) {
  for (const held_view& v : c.held) {
    for (std::uint32_t i = 0; i < v.view.length; ++i) {
      FUZZ_CHECK(v.view.data[i] == pattern(c.port, v.sequence.raw() + i),
                 "a held receive buffer changed before release");
    }
    s.release_buffer(v.view);
  }
  c.held.clear();
}

void fuzz_app::act_on(tcp::stream& s, client& c) {
  const std::uint8_t todo = std::exchange(c.pending, 0);
  if ((todo & act::release) != 0) {
    release_all(s, c);
  }
  if ((todo & act::send_small) != 0) {
    send(s, c, 1 + c.pending_size);
  }
  if ((todo & act::send_big) != 0) {
    send(s, c, std::min<std::size_t>(2 * h->settings.send_buffer, 1 << 16));
  }
  if ((todo & act::zero_copy) != 0) {
    if (auto b = s.allocate_buffer()) {
      b->length = std::min<std::uint16_t>(b->capacity, static_cast<std::uint16_t>(1 + c.pending_size * 4));
      for (std::uint16_t i = 0; i < b->length; ++i) {
        b->data[i] = static_cast<std::byte>((c.app_sent.size() + i) * 37 + c.port);
      }
      if (s.send_buffer(*b)) {
        c.app_sent.insert(c.app_sent.end(), b->data, b->data + b->length);
      } else {
        h->pool.release(b->handle);  // still the app's
      }
    }
  }
  if ((todo & act::close) != 0) {
    s.close();
    c.closed_by_app = true;
  }
  if ((todo & act::abort) != 0) {
    s.abort();
  }
}

void fuzz_app::on_open(tcp::stream& s) noexcept {
  client* c = h->slot_by_port(s.key().remote_port);
  FUZZ_CHECK(c != nullptr && !c->open, "on_open for an unknown or already open stream");
  // A new incarnation: the model starts over from the connection's IRS and ISS.
  const tcp::connection* conn = h->find(*c);
  FUZZ_CHECK(conn != nullptr, "on_open for a connection not in the table");
  c->open = true;
  c->rcv_base = conn->irs + 1;
  c->server_iss = conn->iss;
  c->delivered = 0;
  c->app_sent.clear();
  c->closed_by_app = false;
  c->peer_fin = false;
  s.set_context(c);
  if ((h->defaults & 8) != 0) {
    send(s, *c, 100);  // a greeting
  }
}

void fuzz_app::on_data(tcp::stream& s, tcp::data_view data) noexcept {
  client& c = *slot_of(s);
  FUZZ_CHECK(c.open, "on_data on a closed stream");
  FUZZ_CHECK(data.length > 0, "on_data with nothing");
  const seq32 first = c.rcv_base + static_cast<std::uint32_t>(c.delivered);
  FUZZ_CHECK(c.have_sent && first + data.length <= c.sent_end, "delivered bytes the fuzzer never sent");
  for (std::uint32_t i = 0; i < data.length; ++i) {
    FUZZ_CHECK(data.data[i] == pattern(c.port, first.raw() + i),
               "bytes delivered out of order or twice (differ from the client's stream at that offset)");
  }
  c.delivered += data.length;
  if (c.hold && data.buffer != nullptr && c.held.size() < max_held) {
    s.retain_buffer(data);
    c.held.push_back({data, first});
  }
  if (c.echo && !c.closed_by_app) {
    const std::size_t space = s.send_space();
    const std::size_t taken = s.send(data.bytes());
    FUZZ_CHECK(taken <= space, "send took more than send_space");
    c.app_sent.insert(c.app_sent.end(), data.data, data.data + taken);
  }
  act_on(s, c);
}

void fuzz_app::on_writable(tcp::stream& s) noexcept {
  client& c = *slot_of(s);
  FUZZ_CHECK(c.open, "on_writable on a closed stream");
  act_on(s, c);
}

void fuzz_app::on_peer_closed(tcp::stream& s) noexcept {
  client& c = *slot_of(s);
  FUZZ_CHECK(c.open && !c.peer_fin, "on_peer_closed twice or on a closed stream");
  c.peer_fin = true;
  if (c.close_on_fin) {
    c.pending |= act::close;
  }
  act_on(s, c);
}

void fuzz_app::on_close(tcp::stream& s, tcp::close_reason) noexcept {
  client& c = *slot_of(s);
  FUZZ_CHECK(c.open, "on_close twice");
  release_all(s, c);
  c.open = false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader r{{data, size}};
  harness h(r.u8(), r.u8());
  const bool verbose = std::getenv("RAMPART_FUZZ_VERBOSE") != nullptr;
  h.open(0, r.u8(), 0);
  h.check_connections();
  std::uint32_t steps = 0;
  while (!r.done() && steps++ < 256) {
    const std::uint8_t op = r.u8();
    switch ((op & 0x0f) % 10) {  // the high bits are the operation's own
      case 0:
      case 1:
      case 2:
        h.run({h.segment(r)});
        break;
      case 3: {  // a burst of 2-4 segments, or (high bit) reordered pieces of the stream
        if ((op & 0x80) != 0) {
          std::vector<bytes> pieces = h.reordered(r, (op & 0x20) != 0);
          if ((op & 0x10) != 0) {
            h.run(pieces);
          } else {
            for (const bytes& piece : pieces) {
              h.run({piece});
              h.replies.clear();
              h.check_connections();
            }
          }
          break;
        }
        std::vector<bytes> burst;
        const std::size_t n = 2 + (op >> 4) % 3;
        for (std::size_t i = 0; i < n; ++i) {
          burst.push_back(h.segment(r));
        }
        h.run(burst);
        break;
      }
      case 4: {  // clock: 1-256 ms, 10 ms units, 1 s units or 10 s units
        static constexpr std::array<std::uint64_t, 4> units = {1'000'000ULL, 10'000'000ULL, 1'000'000'000ULL,
                                                               10'000'000'000ULL};
        h.now += (1 + std::uint64_t{r.u8()}) * units[(op >> 4) & 3];
        h.poll();
        if (h.pool_unlimited && !h.refusing) {
          h.check_progress();
        }
        break;
      }
      case 5: {  // app: queue actions for the slot's next callback, or flip a behaviour
        client& c = h.clients[r.u8() % slots];
        const std::uint8_t what = r.u8();
        c.pending_size = r.u8();
        if ((op & 0x80) != 0) {
          c.echo = (what & 1) != 0;
          c.hold = (what & 2) != 0;
          c.close_on_fin = (what & 4) == 0;
        } else {
          c.pending |= what;
        }
        break;
      }
      case 6: {  // pool: unlimited, or only a few more buffers than in use now
        const std::uint8_t extra = r.u8();
        h.pool_unlimited = extra >= 128;
        h.pool.set_limit(h.pool_unlimited ? std::size_t{1} << 20 : h.pool.in_use() + extra % 8);
        break;
      }
      case 7:
        h.refusing = (op & 0x10) != 0;
        h.sink.refuse(h.refusing);
        break;
      case 8: {
        const std::uint8_t slot = r.u8();
        const std::uint8_t options = r.u8();
        h.open(slot % slots, options, r.u8());
        break;
      }
      default:
        h.poll();
        break;
    }
    h.replies.clear();
    h.check_connections();
    if (verbose) {
      std::fprintf(stderr, "step %u op %u: table %u, pool %zu;", steps, (op & 0x0f) % 10, h.tcp->connection_count(),
                   h.pool.in_use());
      for (const client& c : h.clients) {
        const tcp::connection* conn = c.used ? h.find(c) : nullptr;
        std::fprintf(stderr, " [%s in %llu out %zu]", conn != nullptr ? tcp::to_string(conn->state) : "-",
                     static_cast<unsigned long long>(c.delivered), c.app_sent.size());
      }
      std::fprintf(stderr, "\n");
    }
  }
  h.pool.set_limit(std::size_t{1} << 20);
  h.sink.refuse(false);
  h.tcp->shutdown(h.now);
  h.take(h.sink.take());
  for (const client& c : h.clients) {
    FUZZ_CHECK(!c.open, "a stream still open after shutdown");
    FUZZ_CHECK(c.held.empty(), "the app still holds buffers after on_close");
  }
  FUZZ_CHECK(h.tcp->connection_count() == 0, "connections left after shutdown");
  FUZZ_CHECK(h.pool.bad_releases() == 0, "a buffer released twice (or never allocated)");
  FUZZ_CHECK(h.pool.in_use() == 0, "buffers leaked: in use after shutdown with nothing held");
  FUZZ_CHECK(h.tcp->send_buffers().held() == 0, "the send budget counts buffers no queue holds");
  FUZZ_CHECK(h.tcp->scoreboards_in_use() == 0, "scoreboards leaked after shutdown");
  return 0;
}
