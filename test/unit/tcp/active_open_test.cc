// Active open (app_host::connect): RFC 9293 §3.10.1 OPEN and §3.10.7.3 SYN-SENT, the
// simultaneous open of §3.5, SYN retransmission (RFC 6298) and the connect timeout, local ports,
// and the app interface around it (stream ids, cross-stream calls, app timers). Whole segments
// both ways; the peer is the scripted client's address (10.77.0.1) on port 8080.
#include <catch2/catch.hpp>

#include <functional>

#include "tcp/lcore_state.hh"
#include "expect_segment.hh"
#include "fixture.hh"
#include "static_next_hops.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;
using tcp::close_reason;
using tcp::tcp_state;

namespace {

const net::ipv4_address peer_ip{0x0a4d0001};
constexpr std::uint16_t peer_port = 8080;
constexpr std::uint16_t first_local_port = 32768;

// test_settings() with one local port, 32768: every connection's port is known. (Which port of
// a range an lcore takes is flow::local_port_pool's business, tested there.)
tcp::tcp_settings active_settings() {
  tcp::tcp_settings s = test_settings();
  s.local_port_first = s.local_port_last = first_local_port;
  return s;
}

struct active_fixture : app_fixture {
  explicit active_fixture(const tcp::tcp_settings& s = active_settings()) : app_fixture(s) {
    hops.add(peer_ip, client_mac);
    hops.pool = &buffers;
    tcp.set_next_hop_resolver(&hops);
  }
  ~active_fixture() {
    for (const auto& h : hops.held) {
      buffers.release(h.frame.handle);
    }
  }

  // Runs `action` inside an app callback (an app timer of listener 0's app firing now), where
  // an app calls connect and find.
  void from_callback(const std::function<void()>& action) {
    tcp::app_timer timer{[](void* arg) noexcept { (*static_cast<const std::function<void()>*>(arg))(); },
                         const_cast<std::function<void()>*>(&action)};
    script.advance_and_poll(0);  // the lcore's clock at now: a timer armed at now is due
    app.host->arm(timer, script.now());
    script.advance_and_poll(0);
    REQUIRE_FALSE(timer.armed());
  }
  tcp::connect_result connect(std::uint16_t port = peer_port, std::uint64_t timeout_ns = 0, void* context = nullptr) {
    tcp::connect_result r;
    from_callback([&] { r = app.host->connect({peer_ip, port, context, timeout_ns}); });
    return r;
  }
  const tcp::connection* connection(std::uint16_t local_port = first_local_port) const {
    return tcp.find(flow::flow_key{peer_ip.value, 0x0a4d0002, peer_port, local_port});
  }

  static_next_hops hops;
};

std::uint32_t now_ms(const active_fixture& f) { return static_cast<std::uint32_t>(f.script.now() / 1'000'000); }

// A segment from the peer to our local port.
tcp_segment_spec from_peer(std::uint8_t flags, std::uint32_t seq, std::uint32_t acknowledgment,
                           std::uint16_t local_port = first_local_port) {
  tcp_segment_spec s;
  s.source_port = peer_port;
  s.destination_port = local_port;
  s.flags = flags;
  s.sequence = seq;
  s.acknowledgment = acknowledgment;
  s.window = 29200;
  return s;
}

// The peer's SYN-ACK offering MSS 1400, window scale 8, SACK and timestamps (TSval 7000).
tcp_segment_spec syn_ack_from_peer(std::uint32_t iss, std::uint32_t echo, std::uint32_t peer_isn = 9000) {
  tcp_segment_spec s = from_peer(syn | ack, peer_isn, iss + 1);
  s.options.mss = 1400;
  s.options.window_scale = 8;
  s.options.sack_permitted = true;
  s.options.timestamps = net::tcp_timestamps{7000, echo};
  return s;
}

// Our SYN: ISS unknown to the test, every option offered, TSecr 0, window unscaled.
expected_segment our_syn(std::uint32_t tsval, std::uint16_t local_port = first_local_port) {
  return {.source_port = local_port,
          .destination_port = peer_port,
          .sequence = any,
          .acknowledgment = 0,
          .flags = syn,
          .window = 65535,
          .options = {option::mss(1460), option::sack_permitted(), option::timestamps(tsval, 0),
                      option::window_scale(7)}};
}

// Connects and completes the handshake with syn_ack_from_peer; returns our ISS.
std::uint32_t establish(active_fixture& f) {
  REQUIRE(f.connect());
  const decoded_frame our = f.script.expect_sent(1)[0];
  const std::uint32_t iss = our.tcp.sequence.raw();
  tcp_segment_spec syn_ack = syn_ack_from_peer(iss, now_ms(f));
  syn_ack.destination_port = our.tcp.source_port;
  f.script.send(syn_ack);
  f.script.expect_consumed();
  f.script.expect_sent(1);  // the ACK
  REQUIRE(f.connection(our.tcp.source_port)->state == tcp_state::established);
  return iss;
}

}  // namespace

TEST_CASE("active open: the SYN offers every option, the SYN-ACK establishes, our ACK answers it",
          "[unit][tcp][active]") {
  active_fixture f;
  const tcp::connect_result r = f.connect();
  REQUIRE(r);
  const decoded_frame sent = f.script.expect_sent(1)[0];
  expect_segment(sent, our_syn(now_ms(f)));
  const std::uint32_t iss = sent.tcp.sequence.raw();
  REQUIRE(f.connection() != nullptr);
  CHECK(f.connection()->state == tcp_state::syn_sent);
  CHECK(f.app.connected == 0);

  f.script.advance(5'000'000);  // 5 ms RTT
  f.script.send(syn_ack_from_peer(iss, now_ms(f) - 5));
  f.script.expect_consumed();
  // RFC 9293 §3.10.7.3: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, our window now scaled by 7 (RFC 7323
  // §2.2: the peer offered a shift too), TSecr its TSval.
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 1,
                  .acknowledgment = 9001, .flags = ack, .window = (65535 * 4) >> 7,
                  .options = {option::timestamps(now_ms(f), 7000)}});
  const tcp::connection& c = *f.connection();
  CHECK(c.state == tcp_state::established);
  CHECK(c.outbound);
  CHECK(c.snd_wnd == 29200);  // the SYN-ACK's window is not scaled
  CHECK(c.snd_wscale == 8);
  CHECK(c.rcv_wscale == 7);
  CHECK(c.sack_permitted);
  CHECK(c.timestamps);
  CHECK(c.peer_mss == 1400);
  CHECK(c.rtt.srtt_us() == 5000);  // the handshake was an RTT sample (the SYN went once)
  CHECK(f.app.connected == 1);
  CHECK(f.app.opened == 0);
  CHECK(f.stats.tcp_connects_started.read() == 1);
  CHECK(f.stats.tcp_connects_established.read() == 1);
  CHECK(f.stats.tcp_outbound_active.read() == 1);
  CHECK(f.stats.listeners[0].active.read() == 0);  // not one of the listener's clients
  CHECK(f.stats.listeners[0].accepted.read() == 0);
}

TEST_CASE("active open: a peer offering no window scale gets unscaled windows", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  tcp_segment_spec syn_ack = from_peer(syn | ack, 9000, iss + 1);
  syn_ack.options.mss = 1400;
  f.script.send(syn_ack);
  f.script.expect_consumed();
  // RFC 7323 §2.2: neither side scales; no timestamps either.
  expect_segment(f.script.expect_sent(1)[0], {.source_port = first_local_port, .destination_port = peer_port,
                                              .sequence = iss + 1, .acknowledgment = 9001, .flags = ack,
                                              .window = 65535});
  CHECK(f.connection()->rcv_wscale == 0);
  CHECK_FALSE(f.connection()->timestamps);
  CHECK_FALSE(f.connection()->sack_permitted);
}

TEST_CASE("active open: data queued in SYN-SENT leaves with the handshake's ACK", "[unit][tcp][active]") {
  active_fixture f;
  tcp::connect_result r;
  std::size_t taken = 0;
  f.from_callback([&] {
    r = f.app.host->connect({peer_ip, peer_port, nullptr, 0});
    REQUIRE(r);
    tcp::stream* s = f.app.host->find(r.id);
    REQUIRE(s != nullptr);
    CHECK(s->outbound());
    taken = s->send(bytes_of("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n"));  // RFC 9293 §3.10.2: queued
  });
  CHECK(taken == 34);
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();  // the SYN alone
  f.script.send(syn_ack_from_peer(iss, now_ms(f)));
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 1,
                  .acknowledgment = 9001, .flags = ack | psh, .window = (65535 * 4) >> 7,
                  .options = {option::timestamps(now_ms(f), 7000)},
                  .payload = "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n"});
}

TEST_CASE("active open: the SYN is retransmitted with back-off, then the connect timeout fails it",
          "[unit][tcp][active]") {
  active_fixture f;
  int context_seen = 0;
  int marker = 7;
  f.app.on_close_do = [&](tcp::stream& s, close_reason) { context_seen = *static_cast<int*>(s.context()); };
  REQUIRE(f.connect(peer_port, 5'000'000'000ULL, &marker));
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  // RFC 6298 §2.1/§5.5: 1 s, then 2 s later, then 4 s later: the same SYN each time (the timer
  // wheel fires within a tick of about 1 ms after the deadline).
  f.script.advance_and_poll(990'000'000);
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(20'000'000);
  expect_segment(f.script.expect_sent(1)[0], {.source_port = first_local_port, .destination_port = peer_port,
                                              .sequence = iss, .acknowledgment = 0, .flags = syn, .window = 65535,
                                              .options = {option::mss(1460), option::sack_permitted(),
                                                          option::timestamps(now_ms(f), 0), option::window_scale(7)}});
  f.script.advance_and_poll(1'950'000'000);
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(100'000'000);
  expect_segment(f.script.expect_sent(1)[0], our_syn(now_ms(f)));
  CHECK(f.stats.tcp_syn_retransmits.read() == 2);
  // The 5 s timeout comes before the next SYN (at 7 s): on_close(timeout), no RST.
  f.script.advance_and_poll(1'900'000'000);
  CHECK(f.app.closed.empty());
  f.script.advance_and_poll(100'000'000);
  f.script.expect_sent_nothing();
  CHECK(f.app.closed == std::vector{close_reason::timeout});
  CHECK(context_seen == 7);  // the context given to connect reaches on_close
  CHECK(f.connection() == nullptr);
  CHECK(f.stats.tcp_connects_timed_out.read() == 1);
  CHECK(f.stats.tcp_outbound_active.read() == 0);
  CHECK(f.stats.tcp_connections_closed.read() == 0);  // it never was a connection
}

TEST_CASE("active open: past the retry limit the SYN gives up with timeout", "[unit][tcp][active]") {
  tcp::tcp_settings s = active_settings();
  s.max_retransmissions = 2;
  active_fixture f{s};
  REQUIRE(f.connect(peer_port, 600'000'000'000ULL));
  f.script.expect_sent(1);
  f.script.advance_and_poll(1'010'000'000);
  f.script.advance_and_poll(2'010'000'000);
  f.script.expect_sent(2);
  f.script.advance_and_poll(4'010'000'000);
  f.script.expect_sent_nothing();
  CHECK(f.app.closed == std::vector{close_reason::timeout});
}

TEST_CASE("active open: after a retransmitted SYN the RTO starts at 3 s (RFC 6298 5.7)", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  f.script.advance_and_poll(1'010'000'000);
  f.script.expect_sent(1);
  f.script.send(syn_ack_from_peer(iss, now_ms(f)));
  f.script.expect_consumed();
  f.script.expect_sent(1);
  CHECK(f.connection()->rtt.rto_us() == 3'000'000);
  CHECK(f.connection()->rtt.srtt_us() == 0);  // Karn: no sample from a retransmitted SYN
}

TEST_CASE("SYN-SENT: an acceptable RST refuses the connection", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  f.script.send(from_peer(rst | ack, 0, iss + 1));
  f.script.expect_consumed();
  f.script.expect_sent_nothing();
  CHECK(f.app.closed == std::vector{close_reason::refused});
  CHECK(f.connection() == nullptr);
  CHECK(f.stats.tcp_connects_refused.read() == 1);
}

// The quote of our SYN (sequence `sequence`) in an ICMP error of `type` and `code`, as the peer's
// host or a router on the way sends it.
net::icmp_quoted_tcp quote_of_our_syn(std::uint32_t sequence, std::uint8_t code, std::uint8_t type = 3) {
  net::icmp_quoted_tcp q;
  q.type = type;
  q.code = code;
  q.source = net::ipv4_address{0x0a4d0002};
  q.destination = peer_ip;
  q.source_port = first_local_port;
  q.destination_port = peer_port;
  q.sequence = net::seq32{sequence};
  return q;
}

TEST_CASE("SYN-SENT: ICMP port or protocol unreachable about our SYN refuses the connect at once",
          "[unit][tcp][active]") {
  for (const std::uint8_t code : {std::uint8_t{3}, std::uint8_t{2}}) {  // RFC 1122 §4.2.3.9's hard errors
    active_fixture f;
    REQUIRE(f.connect());
    const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
    CHECK(f.tcp.icmp_error_input(quote_of_our_syn(iss, code), f.script.now()).what == packet::action::consume);
    f.script.expect_sent_nothing();
    CHECK(f.app.closed == std::vector{close_reason::refused});
    CHECK(f.connection() == nullptr);
    CHECK(f.stats.tcp_connects_refused.read() == 1);
    CHECK(f.stats.icmp_unreachable_applied.read() == 1);
  }
}

TEST_CASE("SYN-SENT: after an ICMP unreachable, the app's on_close connects again and aborts another stream",
          "[unit][tcp][active]") {
  // What a proxy does when a backend connect fails: the next backend, or a RST to its client.
  active_fixture f;
  tcp::stream_id established_id;
  f.app.on_connected_do = [&](tcp::stream& s) { established_id = s.id(); };
  const std::uint32_t iss = establish(f);  // the stream the app will abort
  tcp::connect_result second;
  f.app.on_close_do = [&](tcp::stream&, close_reason reason) {
    if (reason != close_reason::refused) {
      return;  // the aborted stream's own on_close
    }
    f.app.host->find(established_id)->abort();
    second = f.app.host->connect({peer_ip, peer_port + 2, nullptr, 0});
  };
  REQUIRE(f.connect(peer_port + 1));
  const decoded_frame syn = f.script.expect_sent(1)[0];
  net::icmp_quoted_tcp q = quote_of_our_syn(syn.tcp.sequence.raw(), 3);
  q.source_port = syn.tcp.source_port;
  q.destination_port = peer_port + 1;
  CHECK(f.tcp.icmp_error_input(q, f.script.now()).what == packet::action::consume);
  CHECK(second);
  // The new SYN leaves from on_close; the abort, asked of another connection, at the event's end.
  const auto out = f.script.expect_sent(2);
  expected_segment syn_again = our_syn(now_ms(f));
  syn_again.destination_port = peer_port + 2;
  expect_segment(out[0], syn_again);
  expect_segment(out[1], {.source_port = first_local_port,
                          .destination_port = peer_port,
                          .sequence = iss + 1,
                          .acknowledgment = 0,
                          .flags = rst,  // RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>
                          .window = any});
  CHECK(f.app.closed == std::vector{close_reason::refused, close_reason::aborted});
}

TEST_CASE("SYN-SENT: ICMP host, network unreachable or prohibited fails the connect as unreachable",
          "[unit][tcp][active]") {
  for (const std::uint8_t code : {std::uint8_t{0}, std::uint8_t{1}, std::uint8_t{13}}) {  // RFC 5461 §4.1
    active_fixture f;
    REQUIRE(f.connect());
    const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
    CHECK(f.tcp.icmp_error_input(quote_of_our_syn(iss, code), f.script.now()).what == packet::action::consume);
    CHECK(f.app.closed == std::vector{close_reason::unreachable});
    CHECK(f.connection() == nullptr);
    CHECK(f.stats.tcp_connects_unreachable.read() == 1);
  }
}

TEST_CASE("ICMP unreachable: not our ISS, another error, or past SYN-SENT changes nothing", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  const auto verdict = [&f](const net::icmp_quoted_tcp& q) { return f.tcp.icmp_error_input(q, f.script.now()); };
  // RFC 5927 §4.1: a blind attacker must guess the ISS.
  for (const std::uint32_t guess : {iss - 1, iss + 1, iss + 1000}) {
    const packet::verdict v = verdict(quote_of_our_syn(guess, 3));
    CHECK(v.what == packet::action::drop);
    CHECK(v.reason == drop_reason::icmp_unreachable_not_in_flight);
  }
  CHECK(verdict(quote_of_our_syn(iss, 0, 11)).reason == drop_reason::icmp_error_ignored);  // time exceeded
  net::icmp_quoted_tcp other_port = quote_of_our_syn(iss, 3);
  other_port.destination_port = peer_port + 1;  // no such connection
  CHECK(verdict(other_port).reason == drop_reason::icmp_error_ignored);
  CHECK(f.connection()->state == tcp_state::syn_sent);
  CHECK(f.app.closed.empty());

  // ESTABLISHED: a soft error (RFC 5461 §4); retransmissions and their timeout decide.
  tcp_segment_spec syn_ack = syn_ack_from_peer(iss, now_ms(f));
  f.script.send(syn_ack);
  f.script.expect_consumed();
  f.script.expect_sent(1);
  CHECK(verdict(quote_of_our_syn(iss + 1, 3)).reason == drop_reason::icmp_error_ignored);
  CHECK(f.connection()->state == tcp_state::established);
  CHECK(f.stats.icmp_unreachable_applied.read() == 0);
}

TEST_CASE("SYN-SENT: RSTs that do not acknowledge our SYN are dropped", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  // §3.10.7.3 first check: an unacceptable ACK with RST: "drop the segment and return".
  f.script.send(from_peer(rst | ack, 0, iss + 2));
  f.script.expect_drop(drop_reason::tcp_syn_sent_bad_ack);
  f.script.send(from_peer(rst | ack, 0, iss));
  f.script.expect_drop(drop_reason::tcp_syn_sent_bad_ack);
  // Second check: a RST without ACK is dropped (a blind RST cannot refuse it, RFC 5961 §3.2).
  f.script.send(from_peer(rst, 0, 0));
  f.script.expect_drop(drop_reason::tcp_syn_sent_rst_without_ack);
  CHECK(f.connection()->state == tcp_state::syn_sent);
  CHECK(f.app.closed.empty());
}

TEST_CASE("SYN-SENT: an ACK of something we did not send gets <SEQ=SEG.ACK><CTL=RST>", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  f.script.send(from_peer(syn | ack, 9000, iss + 5));
  expect_segment(f.script.expect_reply(), {.source_port = first_local_port, .destination_port = peer_port,
                                           .sequence = iss + 5, .acknowledgment = 0, .flags = rst, .window = 0});
  f.script.send(from_peer(ack, 9000, iss));  // SEG.ACK =< ISS
  expect_segment(f.script.expect_reply(), {.source_port = first_local_port, .destination_port = peer_port,
                                           .sequence = iss, .acknowledgment = 0, .flags = rst, .window = 0});
  CHECK(f.connection()->state == tcp_state::syn_sent);
}

TEST_CASE("SYN-SENT: a segment with neither SYN nor RST is dropped", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  f.script.send(from_peer(ack, 9000, iss + 1));
  f.script.expect_drop(drop_reason::tcp_syn_sent_no_syn);
  f.script.send(from_peer(fin, 9000, 0));
  f.script.expect_drop(drop_reason::tcp_syn_sent_no_syn);
  CHECK(f.connection()->state == tcp_state::syn_sent);
}

TEST_CASE("SYN-SENT: text in the SYN-ACK reaches the app and is acknowledged", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  tcp_segment_spec syn_ack = syn_ack_from_peer(iss, now_ms(f));
  syn_ack.payload = bytes_of("220 banner\r\n");
  f.script.send(syn_ack);
  f.script.expect_consumed();
  CHECK(f.app.received == "220 banner\r\n");
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 1,
                  .acknowledgment = 9001 + 12, .flags = ack, .window = (65535 * 4) >> 7,
                  .options = {option::timestamps(now_ms(f), 7000)}});
}

TEST_CASE("simultaneous open: the peer's SYN gets our SYN-ACK, its SYN-ACK establishes", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  // §3.10.7.3 fourth check, no ACK: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
  tcp_segment_spec peer_syn = from_peer(syn, 9000, 0);
  peer_syn.options.mss = 1400;
  peer_syn.options.window_scale = 8;
  peer_syn.options.sack_permitted = true;
  peer_syn.options.timestamps = net::tcp_timestamps{7000, 0};
  f.script.send(peer_syn);
  expect_segment(f.script.expect_reply(),
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss,
                  .acknowledgment = 9001, .flags = syn | ack, .window = 65535,
                  .options = {option::mss(1460), option::sack_permitted(), option::timestamps(now_ms(f), 7000),
                              option::window_scale(7)}});
  CHECK(f.connection()->state == tcp_state::syn_received);
  CHECK(f.tcp.half_open_count() == 0);  // not an entry of the listener's SYN backlog
  // The peer's SYN-ACK: its SYN again (SEG.SEQ = IRS) with the ACK of ours.
  f.script.send(syn_ack_from_peer(iss, now_ms(f)));
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 1,
                  .acknowledgment = 9001, .flags = ack, .window = (65535 * 4) >> 7,
                  .options = {option::timestamps(now_ms(f), 7000)}});
  CHECK(f.connection()->state == tcp_state::established);
  CHECK(f.app.connected == 1);
}

TEST_CASE("simultaneous open: a plain ACK of our SYN-ACK establishes too; a RST refuses", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  f.script.send(from_peer(syn, 9000, 0));
  f.script.expect_reply();
  f.script.send(from_peer(ack, 9001, iss + 1));
  f.script.expect_consumed();
  CHECK(f.connection()->state == tcp_state::established);
  CHECK(f.app.connected == 1);

  REQUIRE(f.connect(peer_port + 1));
  const decoded_frame second = f.script.expect_sent(1)[0];
  tcp_segment_spec s = from_peer(syn, 500, 0, second.tcp.source_port);
  s.source_port = peer_port + 1;
  f.script.send(s);
  f.script.expect_reply();
  s.flags = rst;
  s.sequence = 501;  // RCV.NXT: an acceptable RST in SYN-RECEIVED of an active OPEN: refused
  f.script.send(s);
  f.script.expect_consumed();
  CHECK(f.app.closed == std::vector{close_reason::refused});
}

TEST_CASE("active open: the next hop pending, the SYN waits for ARP; unreachable fails it",
          "[unit][tcp][active]") {
  active_fixture f;
  f.hops.add_pending(peer_ip);
  REQUIRE(f.connect());
  f.script.expect_sent_nothing();
  REQUIRE(f.hops.held.size() == 1);
  f.hops.answer(peer_ip, client_mac, f.sink);  // the ARP reply: the SYN leaves
  expect_segment(f.script.expect_sent(1)[0], our_syn(now_ms(f)));

  f.hops.add_pending(peer_ip);
  f.hops.hold_limit = 0;  // the wait queue is full: the SYN is dropped, and counted
  REQUIRE(f.connect(peer_port + 1));
  f.script.expect_sent_nothing();
  CHECK(f.stats.tcp_connect_hold_full.read() == 1);
  f.hops.give_up(peer_ip, f.buffers);  // the neighbour never answered
  f.script.advance_and_poll(1'010'000'000);
  CHECK(f.app.closed.size() == 2);  // both SYNs were due again: both fail
  CHECK(f.app.closed[0] == close_reason::unreachable);
  CHECK(f.stats.tcp_connects_unreachable.read() == 2);
}

TEST_CASE("active open: no route, no local port and outside a callback start nothing", "[unit][tcp][active]") {
  active_fixture f;
  tcp::connect_result r;
  f.from_callback([&] { r = f.app.host->connect({net::ipv4_address{0x08080808}, 53, nullptr, 0}); });
  CHECK(r.error == tcp::connect_error::no_route);
  CHECK(f.stats.tcp_connect_no_route.read() == 1);
  REQUIRE(f.connect());
  CHECK(f.script.expect_sent(1)[0].tcp.source_port == first_local_port);
  CHECK(f.connect().error == tcp::connect_error::no_local_port);  // the one port is taken toward that peer
  CHECK(f.stats.tcp_connect_no_port.read() == 1);
  CHECK(f.connect(peer_port + 1));  // another peer port: the same local port serves again
  CHECK(f.app.host->connect({peer_ip, peer_port, nullptr, 0}).error == tcp::connect_error::not_in_callback);
  f.sink.take();
}

TEST_CASE("active open: a closed connection gives its local port back", "[unit][tcp][active]") {
  active_fixture f;
  REQUIRE(f.connect());
  const std::uint32_t iss = f.script.expect_sent(1)[0].tcp.sequence.raw();
  f.script.send(from_peer(rst | ack, 0, iss + 1));  // refused
  f.script.expect_consumed();
  REQUIRE(f.connect());  // the port is free again
  f.script.expect_sent(1);
}

TEST_CASE("active open: a TIME-WAIT entry of ours gives its 4-tuple to a new connection after 1 s",
          "[unit][tcp][active]") {
  active_fixture f;
  const std::uint32_t iss = establish(f);
  f.from_callback([&] { f.app.host->find(tcp::stream_id{0, 0}); });  // nothing (a stale id)
  tcp::stream_id id;
  f.app.on_connected_do = nullptr;
  f.from_callback([&] {
    tcp::stream* st = f.app.host->find(f.tcp.state().id_of(*f.connection(first_local_port)));
    REQUIRE(st != nullptr);
    id = st->id();
    st->close();  // takes effect at the end of the event: our FIN
  });
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 1, .acknowledgment = 9001,
                  .flags = fin | ack, .window = (65535 * 4) >> 7, .options = {option::timestamps(now_ms(f), 7000)}});
  tcp_segment_spec peer_fin = from_peer(fin | ack, 9001, iss + 2, first_local_port);
  peer_fin.options.timestamps = net::tcp_timestamps{7001, now_ms(f)};
  f.script.send(peer_fin);
  f.script.expect_consumed();
  f.script.expect_sent(1);
  REQUIRE(f.connection(first_local_port)->state == tcp_state::time_wait);
  CHECK(f.connect().error == tcp::connect_error::no_local_port);  // too young to recycle
  f.script.advance(1'000'000'000);
  REQUIRE(f.connect());
  CHECK(f.stats.tcp_time_wait_recycled.read() == 1);
  CHECK(f.connection(first_local_port)->state == tcp_state::syn_sent);
  tcp::stream* old = nullptr;
  f.from_callback([&] { old = f.app.host->find(id); });
  CHECK(old == nullptr);  // the old incarnation's id names nothing now
  f.sink.take();
}

TEST_CASE("app interface: sends and aborts on another stream wait for the end of the callback",
          "[unit][tcp][active]") {
  active_fixture f;
  const std::uint32_t iss = establish(f);
  const tcp::stream_id backend = f.tcp.state().id_of(*f.connection());
  // A client of listener 0 whose data the app forwards to the backend connection.
  f.app.on_data_do = [&](tcp::stream&, tcp::data_view data) {
    tcp::stream* b = f.app.host->find(backend);
    REQUIRE(b != nullptr);
    CHECK(b->send(data.bytes()) == data.length);
  };
  tcp_client client = full_client();
  const std::uint32_t server_isn = open_connection(f, client);
  tcp_segment_spec request = client.segment(ack | psh, server_isn);
  request.payload = bytes_of("GET /\r\n");
  f.script.send(request);
  f.script.expect_consumed();
  const auto sent = f.script.expect_sent(1);  // to the backend (the client's ACK is delayed)
  expect_segment(sent[0], {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 1,
                           .acknowledgment = 9001, .flags = ack | psh, .window = (65535 * 4) >> 7,
                           .options = {option::timestamps(now_ms(f), 7000)}, .payload = "GET /\r\n"});
  // An abort of the backend from the client's on_close: RST after the callback, on_close(aborted).
  f.app.on_close_do = [&](tcp::stream& s, close_reason) {
    if (!s.outbound()) {
      f.app.host->find(backend)->abort();
    }
  };
  f.script.send(client.segment(rst, server_isn, 7));
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 8,
                  .acknowledgment = 0, .flags = rst, .window = (65535 * 4) >> 7});
  CHECK(f.app.closed == std::vector{close_reason::reset, close_reason::aborted});
  CHECK(f.connection() == nullptr);
}

TEST_CASE("app interface: an abort in SYN-SENT sends nothing and ends the stream", "[unit][tcp][active]") {
  active_fixture f;
  f.from_callback([&] {
    const auto r = f.app.host->connect({peer_ip, peer_port, nullptr, 0});
    REQUIRE(r);
    f.app.host->find(r.id)->abort();
  });
  f.script.expect_sent(1);  // the SYN went before the abort
  f.script.expect_sent_nothing();
  CHECK(f.app.closed == std::vector{close_reason::aborted});
  CHECK(f.stats.tcp_connects_abandoned.read() == 1);
  CHECK(f.connection() == nullptr);
}

TEST_CASE("app timers fire once per arming, in order, and a cancelled one does not", "[unit][tcp][active]") {
  active_fixture f;
  std::vector<int> fired;
  struct tagged {
    std::vector<int>* log;
    int tag;
  };
  tagged a{&fired, 1};
  tagged b{&fired, 2};
  tagged c{&fired, 3};
  const auto record = [](void* arg) noexcept {
    auto* t = static_cast<tagged*>(arg);
    t->log->push_back(t->tag);
  };
  tcp::app_timer ta{record, &a};
  tcp::app_timer tb{record, &b};
  tcp::app_timer tc{record, &c};
  const std::uint64_t now = f.app.host->now_ns();
  CHECK(now == f.script.now());
  f.app.host->arm(tb, now + 20'000'000);
  f.app.host->arm(ta, now + 10'000'000);
  f.app.host->arm(tc, now + 15'000'000);
  f.app.host->cancel(tc);
  f.script.advance_and_poll(12'000'000);
  CHECK(fired == std::vector{1});
  f.script.advance_and_poll(12'000'000);
  CHECK(fired == std::vector{1, 2});
  f.script.advance_and_poll(100'000'000);
  CHECK(fired == std::vector{1, 2});
}

TEST_CASE("active open: once ESTABLISHED, retransmission and SACK work as on a client's connection",
          "[unit][tcp][active]") {
  active_fixture f;
  const std::uint32_t iss = establish(f);
  const tcp::stream_id id = f.tcp.state().id_of(*f.connection());
  f.from_callback([&] { CHECK(f.app.host->find(id)->send(bytes_of("abc")) == 3); });
  const decoded_frame first = f.script.expect_sent(1)[0];
  CHECK(first.tcp.sequence.raw() == iss + 1);
  CHECK(text_of(first.payload) == "abc");
  // Unacknowledged: sent again from SND.UNA (a tail loss probe or the RTO, RFC 8985 / RFC 6298).
  f.script.advance_and_poll(1'100'000'000);
  const auto again = f.script.sent();
  REQUIRE_FALSE(again.empty());
  CHECK(again[0].tcp.sequence.raw() == iss + 1);
  CHECK(text_of(again[0].payload) == "abc");
  CHECK(f.stats.tcp_retransmitted_segments.read() >= 1);
  // Data beyond a hole: a duplicate ACK with the SACK block (RFC 2018, negotiated on our SYN).
  tcp_segment_spec beyond = from_peer(ack, 9001 + 10, iss + 4);
  beyond.options.timestamps = net::tcp_timestamps{7002, now_ms(f)};
  beyond.payload = bytes_of("later");
  f.script.send(beyond);
  f.script.expect_consumed();  // queued; the duplicate ACK leaves in a fresh buffer
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = first_local_port, .destination_port = peer_port, .sequence = iss + 4,
                  .acknowledgment = 9001, .flags = ack, .window = (65535 * 4) >> 7,
                  // TSecr stays 7000: a segment beyond RCV.NXT does not update TS.Recent (RFC 7323 §4.3).
                  .options = {option::timestamps(now_ms(f), 7000), option::sack({{net::seq32{9011}, net::seq32{9016}}})}});
}
