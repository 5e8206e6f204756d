// The send side under loss as scripted exchanges, every segment compared whole (expect_segment):
// the RFC 6928 initial window, slow start, limited transmit (RFC 3042) on the first
// two duplicate ACKs, fast retransmit on the third, NewReno partial and full ACKs (RFC 6582),
// SACK recovery over several holes in NextSeg order (RFC 6675), a retransmission timeout during
// recovery (RFC 5681 §3.1), D-SACK of a spurious retransmission (RFC 2883), with cwnd and
// ssthresh checked after each step. The listener runs Reno unless a test says otherwise, so the
// figures are the RFC's arithmetic. Every test ends with no buffer in use (app_fixture).
#include <catch2/catch.hpp>

#include <initializer_list>
#include <utility>

#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;

namespace {

constexpr std::uint32_t mss = 1300;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 1300) % 26);
  }
  return s;
}

std::span<const std::byte> as_span(const std::string& s) { return std::as_bytes(std::span{s.data(), s.size()}); }

std::vector<tcp::listener_settings> listeners_with(tcp::cc_algorithm cc) {
  auto l = test_listeners();
  l[0].congestion = cc;
  return l;
}

// Stream segment `n` of `text` as rampart sends it to a client with MSS 1300 and no window scale
// or Timestamps: MSS bytes at ISS + 1 + n MSS, the unscaled window of test_settings(), no option
// (no out-of-order data to SACK), PSH only on the segment that empties what the app queued
// (`queued` bytes; RFC 9293 §3.9.1).
expected_segment stream_segment(std::uint32_t iss, std::uint32_t ack_number, const std::string& text,
                                std::size_t queued, std::uint32_t n) {
  const bool last = (n + 1) * mss == queued;
  return {.sequence = iss + 1 + n * mss,
          .acknowledgment = ack_number,
          .flags = static_cast<std::uint8_t>(last ? ack | net::tcp_flag::psh : ack),
          .window = 65535,
          .payload = text.substr(n * mss, mss)};
}

// A peer that sends nothing but ACKs: MSS 1300, window 65535 (50 segments), no timestamps; the
// SYN backlog (cookie mode auto) keeps SACK-permitted without them.
struct bulk {
  explicit bulk(bool sack, tcp::cc_algorithm cc = tcp::cc_algorithm::reno,
                std::size_t segments = 40)
      : f(test_settings(tcp::cookie_mode::auto_mode), listeners_with(cc)), text(pattern(segments * mss)) {
    client.base.options.mss = mss;
    client.base.options.sack_permitted = sack;
    client.base.window = 65535;
    f.app.on_open_do = [this](tcp::stream& s) { CHECK(s.send(as_span(text)) == text.size()); };
    iss = open_connection(f, client);
  }

  const tcp::connection& conn() {
    const tcp::connection* c = f.tcp.find(key_of(client));
    REQUIRE(c != nullptr);
    return *c;
  }
  std::uint32_t cwnd() { return conn().cc.cwnd; }
  std::uint32_t ssthresh() { return conn().cc.ssthresh; }

  // An ACK of the first `acked` segments, with SACK blocks given as [first, end) segment numbers.
  void ack_segments(std::uint32_t acked, std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> sacks = {}) {
    tcp_segment_spec s = client.segment(ack, iss, 0, acked * mss);
    for (const auto& [first, end] : sacks) {
      s.options.sack_blocks[s.options.sack_block_count++] = {net::seq32{iss + 1 + first * mss}, net::seq32{iss + 1 + end * mss}};
    }
    f.script.send(s);
  }
  // Exactly these stream segments were sent, in this order, each compared whole.
  void expect_segments(std::initializer_list<std::uint32_t> numbers) {
    const auto out = f.script.expect_sent(numbers.size());
    std::size_t i = 0;
    for (const std::uint32_t n : numbers) {
      INFO("segment " << i << " should be stream segment " << n);
      expect_segment(out[i], stream_segment(iss, client.isn + 1 + peer_bytes, text, text.size(), n));
      ++i;
    }
  }

  app_fixture f;
  std::string text;
  tcp_client client;
  std::uint32_t iss = 0;
  std::uint32_t peer_bytes = 0;  // data the peer sent, all in order: what our ACKs acknowledge
};

}  // namespace

TEST_CASE("cwnd: an initial window of 10 segments, then slow start by the bytes acknowledged", "[unit][tcp]") {
  bulk b{false};
  b.expect_segments({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // RFC 6928: min(10 MSS, max(2 MSS, 14600))
  CHECK(b.cwnd() == 10 * mss);
  CHECK(b.ssthresh() == UINT32_MAX);
  // Two segments acknowledged (a delayed ACK): cwnd + 2 SMSS (RFC 3465 L = 2), flight 8 of 12.
  b.ack_segments(2);
  CHECK(b.cwnd() == 12 * mss);
  b.expect_segments({10, 11, 12, 13});
  b.ack_segments(3);
  CHECK(b.cwnd() == 13 * mss);
  b.expect_segments({14, 15});
  CHECK(b.f.stats.tcp_recovery_episodes.read() == 0);
}

TEST_CASE("cwnd: tcp.initial_window sets the first flight", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.initial_window = 4;
  app_fixture f{settings};
  const std::string text = pattern(20 * mss);
  f.app.on_open_do = [&](tcp::stream& s) { s.send(as_span(text)); };
  tcp_client client;
  client.base.options.mss = mss;
  const std::uint32_t iss = open_connection(f, client);
  const auto out = f.script.expect_sent(4);
  for (std::uint32_t n = 0; n < 4; ++n) {
    expect_segment(out[n], stream_segment(iss, client.isn + 1, text, text.size(), n));
  }
}

TEST_CASE("NewReno: limited transmit, fast retransmit on the third duplicate ACK, partial and full ACKs", "[unit][tcp]") {
  bulk b{false};
  b.expect_segments({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // Segment 0 is lost. The first two duplicate ACKs each send one new segment (RFC 3042).
  b.ack_segments(0);
  b.expect_segments({10});
  b.ack_segments(0);
  b.expect_segments({11});
  CHECK(b.f.stats.tcp_limited_transmits.read() == 2);
  CHECK(b.cwnd() == 10 * mss);  // limited transmit leaves cwnd alone
  // The third: ssthresh = FlightSize / 2 = 6 segments, cwnd = ssthresh + 3 SMSS, segment 0 again.
  b.ack_segments(0);
  b.expect_segments({0});
  CHECK(b.ssthresh() == 6 * mss);
  CHECK(b.cwnd() == 9 * mss);
  CHECK(b.f.stats.tcp_fast_retransmits.read() == 1);
  CHECK(b.f.stats.tcp_recovery_episodes.read() == 1);
  // Each further duplicate inflates cwnd by one SMSS; new data once it exceeds the 12 in flight.
  for (int i = 0; i < 3; ++i) {
    b.ack_segments(0);
    b.f.script.expect_sent_nothing();
  }
  CHECK(b.cwnd() == 12 * mss);
  b.ack_segments(0);
  b.expect_segments({12});
  // Partial ACK (segment 4 was lost too): retransmit it at once, deflate cwnd by the 4 segments
  // acknowledged and add one back: 13 - 4 + 1 = 10, which lets segment 13 out.
  b.ack_segments(4);
  b.expect_segments({4, 13});
  CHECK(b.cwnd() == 10 * mss);
  CHECK(b.f.stats.tcp_fast_retransmits.read() == 2);
  // The ACK of everything sent before recovery (and after): out of recovery with
  // cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) = 2 segments.
  b.ack_segments(14);
  CHECK(b.cwnd() == 2 * mss);
  CHECK(b.ssthresh() == 6 * mss);
  b.expect_segments({14, 15});
  // A new ACK grows cwnd again (slow start below ssthresh); no further recovery.
  b.ack_segments(15);
  CHECK(b.cwnd() == 3 * mss);
  b.expect_segments({16, 17});
  CHECK(b.f.stats.tcp_recovery_episodes.read() == 1);
}

TEST_CASE("NewReno with CUBIC: ssthresh = 0.7 cwnd (RFC 9438 §4.6)", "[unit][tcp]") {
  bulk b{false, tcp::cc_algorithm::cubic};
  b.expect_segments({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  b.ack_segments(0);
  b.expect_segments({10});
  b.ack_segments(0);
  b.expect_segments({11});
  b.ack_segments(0);
  b.expect_segments({0});
  CHECK(b.ssthresh() == 7 * mss);   // 0.7 * 10 segments
  CHECK(b.cwnd() == 10 * mss);      // ssthresh + 3 SMSS during NewReno recovery
  CHECK(b.conn().cc.w_max_segments == 10);
}

TEST_CASE("RTO during recovery: ssthresh from FlightSize, cwnd 1 SMSS, go-back-N, no second fast retransmit",
          "[unit][tcp]") {
  bulk b{false};
  b.expect_segments({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  b.ack_segments(0);
  b.ack_segments(0);
  b.ack_segments(0);
  b.expect_segments({10, 11, 0});
  CHECK(b.cwnd() == 9 * mss);
  // No RTT sample yet: the initial 1 s RTO, from the first transmission of segment 0.
  b.f.script.advance_and_poll(1'001'000'000);
  b.expect_segments({0});
  CHECK(b.f.stats.tcp_rto_expiries.read() == 1);
  CHECK(b.ssthresh() == 6 * mss);  // max(FlightSize / 2, 2 SMSS), FlightSize 12 segments
  CHECK(b.cwnd() == mss);
  CHECK((b.conn().recovery & 1) == 0);  // recovery is over
  // Slow start again (+2 SMSS for an ACK of 4 segments), sending from SND.UNA (go-back-N).
  b.ack_segments(4);
  CHECK(b.cwnd() == 3 * mss);
  b.expect_segments({4, 5, 6});
  // Duplicate ACKs for data sent before the timeout: no fast retransmit (RFC 6582 §3.2 step 2),
  // and no limited transmit (go-back-N has not reached SND.MAX).
  for (int i = 0; i < 3; ++i) {
    b.ack_segments(4);
  }
  b.f.script.expect_sent_nothing();
  CHECK(b.f.stats.tcp_recovery_episodes.read() == 1);
  CHECK(b.f.stats.tcp_fast_retransmits.read() == 1);
}

TEST_CASE("SACK recovery: several holes retransmitted in NextSeg order, pipe bounded by cwnd", "[unit][tcp]") {
  bulk b{true};
  REQUIRE(b.conn().sack_permitted);
  b.expect_segments({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // Lost: 0, 3 and 7. The peer's duplicate ACKs report what arrived around them.
  b.ack_segments(0, {{1, 2}});
  b.expect_segments({10});  // limited transmit
  REQUIRE(b.f.tcp.scoreboard_of(b.conn()) != nullptr);
  b.ack_segments(0, {{1, 3}});
  b.expect_segments({11});
  CHECK(b.f.tcp.scoreboard_of(b.conn())->size() == 1);
  // Third duplicate ACK: recovery. ssthresh = cwnd = FlightSize / 2 = 6 segments (no inflation).
  // pipe: the retransmitted 0, hole 3 (one range above: not lost yet), 5..11 = 9 > 6: only 0.
  b.ack_segments(0, {{4, 5}, {1, 3}});
  b.expect_segments({0});
  CHECK(b.ssthresh() == 6 * mss);
  CHECK(b.cwnd() == 6 * mss);
  const tcp::sack_scoreboard* board = b.f.tcp.scoreboard_of(b.conn());
  REQUIRE(board != nullptr);
  CHECK(board->pipe(b.conn().snd_una, b.conn().snd_max, mss) == 9 * mss);
  // 4..6 arrive: hole 3 is lost now (3 SACKed segments above), 7..11 still count: pipe 6.
  b.ack_segments(0, {{4, 7}, {1, 3}});
  b.f.script.expect_sent_nothing();
  // 8..9 arrive: pipe = 0 (retransmitted) + 7 (not lost) + 10..11 = 4: rule 1 sends hole 3,
  // then rule 2 new data (segment 12) with the last segment of room; hole 7 is not lost yet.
  b.ack_segments(0, {{8, 10}, {4, 7}, {1, 3}});
  b.expect_segments({3, 12});
  // 10..11 arrive: hole 7 is lost; pipe = 0, 3 (retransmitted), 12 = 3: hole 7, then 13, 14.
  b.ack_segments(0, {{8, 12}, {4, 7}, {1, 3}});
  b.expect_segments({7, 13, 14});
  CHECK(b.f.stats.tcp_fast_retransmits.read() == 3);
  CHECK(b.f.stats.tcp_sack_blocks_received.read() == 1 + 1 + 2 + 2 + 3 + 3);

  SECTION("the retransmissions arrive: recovery ends at the recovery point, cwnd = ssthresh") {
    b.ack_segments(13);
    CHECK(b.cwnd() == 6 * mss);
    CHECK((b.conn().recovery & 1) == 0);
    CHECK(b.f.tcp.scoreboard_of(b.conn()) == nullptr);  // no SACK info left: the board is back
    CHECK(b.f.tcp.scoreboards_in_use() == 0);
    b.expect_segments({15, 16, 17, 18});  // 13 + 6 - 15 = 4
    // The peer got segment 0 twice after all: a D-SACK of data below the recovery point.
    b.ack_segments(13, {{0, 1}});
    CHECK(b.f.stats.tcp_dsacks_received.read() == 1);
    CHECK(b.f.stats.tcp_spurious_retransmits.read() == 1);
    CHECK(b.f.stats.tcp_recovery_episodes.read() == 1);
  }
  SECTION("a timeout: SACK information dropped (RFC 2018 §8), cwnd 1 SMSS, go-back-N") {
    b.f.script.advance_and_poll(1'001'000'000);
    b.expect_segments({0});
    CHECK(b.f.tcp.scoreboard_of(b.conn()) == nullptr);
    CHECK(b.cwnd() == mss);
    CHECK(b.ssthresh() == 15 * mss / 2);  // FlightSize 15 segments / 2
  }
}

TEST_CASE("SACK with no free scoreboard falls back to NewReno", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings(tcp::cookie_mode::auto_mode);
  settings.scoreboards = 0;
  app_fixture f{settings, listeners_with(tcp::cc_algorithm::reno)};
  const std::string text = pattern(20 * mss);
  f.app.on_open_do = [&](tcp::stream& s) { s.send(as_span(text)); };
  tcp_client client;
  client.base.options.mss = mss;
  client.base.options.sack_permitted = true;
  const std::uint32_t iss = open_connection(f, client);
  f.script.expect_sent(10);  // the initial window (compared whole in the tests above)
  for (std::uint32_t i = 0; i < 3; ++i) {
    tcp_segment_spec s = client.segment(ack, iss);
    s.options.sack_blocks[0] = {net::seq32{iss + 1 + mss}, net::seq32{iss + 1 + (2 + i) * mss}};
    s.options.sack_block_count = 1;
    f.script.send(s);
  }
  // Two limited transmits, then the fast retransmit.
  const auto out = f.script.expect_sent(3);
  expect_segment(out[0], stream_segment(iss, client.isn + 1, text, text.size(), 10));
  expect_segment(out[1], stream_segment(iss, client.isn + 1, text, text.size(), 11));
  expect_segment(out[2], stream_segment(iss, client.isn + 1, text, text.size(), 0));
  CHECK(f.stats.tcp_sack_scoreboard_full.read() == 3);
  CHECK(f.tcp.find(key_of(client))->cc.cwnd == 9 * mss);  // NewReno's inflation
}

TEST_CASE("two-way transfer: ACKs riding on the peer's data count as duplicates only with SACK (RFC 6675 §2)",
          "[unit][tcp]") {
  // An echo: the peer's acknowledgments of our data come on its own data segments. Segment 0
  // is lost; each of the peer's segments carries 100 bytes and a SACK block a segment larger.
  const bool sack = GENERATE(true, false);
  INFO("SACK " << sack);
  bulk b{sack};
  b.expect_segments({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  const auto peer_data = [&](std::uint32_t sacked_end) {
    tcp_segment_spec s = b.client.segment(ack, b.iss, b.peer_bytes);
    s.payload.assign(100, std::byte{'p'});
    b.peer_bytes += 100;
    if (sack) {
      s.options.sack_blocks[0] = {net::seq32{b.iss + 1 + mss}, net::seq32{b.iss + 1 + sacked_end * mss}};
      s.options.sack_block_count = 1;
    }
    b.f.script.send(s);
  };
  if (sack) {
    // Two limited transmits (10, 11), then the fast retransmit of segment 0 on the third; each
    // carries the ACK of the peer's data.
    peer_data(2);
    b.expect_segments({10});
    peer_data(3);
    b.expect_segments({11});
    peer_data(4);
    // The fast retransmit leaves while the segment's ACK field is processed, before its text
    // (RFC 9293 §3.10.7.4: fifth check, then seventh; Linux likewise retransmits from tcp_ack()
    // before tcp_data_queue()), so it acknowledges 200 of the peer's 300 bytes, where the
    // limited transmits above, sent after the text, acknowledge everything received.
    expect_segment(b.f.script.expect_sent(1).front(),
                   stream_segment(b.iss, b.client.isn + 1 + 200, b.text, b.text.size(), 0));
    CHECK(b.f.stats.tcp_fast_retransmits.read() == 1);
    CHECK(b.f.stats.tcp_recovery_episodes.read() == 1);
    CHECK(b.ssthresh() == 6 * mss);
  } else {
    // RFC 5681 §2: a segment carrying data is not a duplicate ACK; the loss waits for the timer.
    // The peer's data is acknowledged as usual: the second segment's ACK at once (RFC 9293
    // §3.8.6.3), <SEQ=SND.NXT>, the first and third segments' ACKs delayed.
    peer_data(2);
    b.f.script.expect_sent_nothing();
    peer_data(3);
    expect_segment(b.f.script.expect_sent(1).front(), {.sequence = b.iss + 1 + 10 * mss,
                                                       .acknowledgment = b.client.isn + 1 + 200,
                                                       .flags = ack,
                                                       .window = 65535});
    peer_data(4);
    b.f.script.expect_sent_nothing();
    CHECK(b.f.stats.tcp_fast_retransmits.read() == 0);
    CHECK(b.f.stats.tcp_recovery_episodes.read() == 0);
  }
  CHECK(b.f.app.received == std::string(300, 'p'));
}

namespace {

// Request and response with SACK: each request (any data) is answered by `response_segments`
// full segments; RTTs of 20 ms come from advancing the clock before each ACK (no timestamps:
// the timed segment gives the sample).
struct responder {
  explicit responder(bool tail_loss_probe = true, bool sack = true)
      : f(settings(tail_loss_probe), listeners_with(tcp::cc_algorithm::reno)), text(pattern(64 * mss)) {
    client.base.options.mss = mss;
    client.base.options.sack_permitted = sack;
    client.base.window = 65535;
    f.app.on_data_do = [this](tcp::stream& s, tcp::data_view) {
      const std::string_view response = std::string_view(text).substr(sent, response_segments * mss);
      CHECK(s.send(as_span(std::string(response))) == response.size());
      sent += response.size();
    };
    iss = open_connection(f, client);
  }
  static tcp::tcp_settings settings(bool tail_loss_probe) {
    tcp::tcp_settings s = test_settings(tcp::cookie_mode::auto_mode);
    s.tail_loss_probe = tail_loss_probe;
    return s;
  }
  const tcp::connection& conn() {
    const tcp::connection* c = f.tcp.find(key_of(client));
    REQUIRE(c != nullptr);
    return *c;
  }
  // A one-byte request, acknowledging `acked` segments of the responses.
  void request(std::uint32_t acked) {
    tcp_segment_spec s = client.segment(ack, iss, requests, acked * mss);
    s.payload.assign(1, std::byte{'q'});
    ++requests;
    f.script.send(s);
  }
  // An ACK of the first `acked` segments, with SACK blocks given as [first, end) segment numbers.
  void ack_segments(std::uint32_t acked, std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> sacks = {}) {
    tcp_segment_spec s = client.segment(ack, iss, requests, acked * mss);
    for (const auto& [first, end] : sacks) {
      s.options.sack_blocks[s.options.sack_block_count++] = {net::seq32{iss + 1 + first * mss}, net::seq32{iss + 1 + end * mss}};
    }
    f.script.send(s);
  }
  // Exactly these stream segments were sent since the last call, in this order, each compared
  // whole; their ACK covers every request byte.
  void expect_segments(std::initializer_list<std::uint32_t> numbers) {
    const auto out = f.script.expect_sent(numbers.size());
    std::size_t i = 0;
    for (const std::uint32_t n : numbers) {
      INFO("segment " << i << " should be stream segment " << n);
      expect_segment(out[i], stream_segment(iss, client.isn + 1 + requests, text, sent, n));
      ++i;
    }
  }
  // The tail loss probe that sends the last segment again (RFC 8985 §7.3), alone, compared whole:
  // as its first transmission and an RTO retransmission would, it carries PSH (RFC 1122 §4.2.2.2).
  void expect_probe_of_last(std::uint32_t n) {
    const expected_segment probe = stream_segment(iss, client.isn + 1 + requests, text, sent, n);
    REQUIRE(probe.flags.value() == std::optional<std::uint8_t>{ack | net::tcp_flag::psh});
    expect_segment(f.script.expect_sent(1).front(), probe);
  }

  app_fixture f;
  std::string text;
  tcp_client client;
  std::uint32_t iss = 0;
  std::uint32_t response_segments = 4;
  std::size_t sent = 0;
  std::uint32_t requests = 0;
};

constexpr std::uint64_t ms = 1'000'000;

}  // namespace

TEST_CASE("tail loss probe: a lost last segment is sent again at the probe timeout, not by the RTO (RFC 8985 §7)",
          "[unit][tcp]") {
  responder r;
  r.request(0);
  r.expect_segments({0, 1, 2, 3});
  // Segment 3 is lost. The ACK of 0..2 after 20 ms: SRTT 20 ms, RTO 200 ms (the floor). One
  // segment in flight: PTO = 2 SRTT + WCDelAckT = 240 ms, so the probe goes at the RTO's time.
  r.f.script.advance(20 * ms);
  r.ack_segments(3);
  CHECK(r.conn().rtt.srtt_us() == 20'000);
  r.f.script.advance_and_poll(198 * ms);
  r.f.script.expect_sent_nothing();
  const std::uint32_t cwnd = r.conn().cc.cwnd;
  r.f.script.advance_and_poll(4 * ms);  // the timer wheel's ticks are about 1 ms
  r.expect_probe_of_last(3);
  CHECK(r.f.stats.tcp_loss_probes.read() == 1);
  CHECK(r.f.stats.tcp_rto_expiries.read() == 0);
  CHECK(r.conn().cc.cwnd == cwnd);  // no timeout: cwnd, ssthresh and the RTO stay
  CHECK(r.conn().rtt.rto_us() == 200'000);

  SECTION("the probe repaired the loss: its ACK reduces cwnd as a fast recovery would (§7.4.2)") {
    const std::uint32_t before = r.conn().cc.cwnd;
    r.ack_segments(4);  // everything, no D-SACK
    CHECK(r.f.stats.tcp_loss_probe_recoveries.read() == 1);
    CHECK(r.conn().cc.ssthresh == before / 2);  // Reno: cwnd / 2, from cwnd (the flight is gone)
    CHECK(r.conn().cc.cwnd == before / 2);
    CHECK(r.f.tcp.scoreboards_in_use() == 0);  // the episode ended: its board went back
    r.request(4);
    r.expect_segments({4, 5, 6, 7});
  }
  SECTION("a D-SACK of the probe: both copies arrived, nothing was lost, cwnd stays") {
    r.ack_segments(4, {{3, 4}});
    CHECK(r.f.stats.tcp_dsacks_received.read() == 1);
    CHECK(r.f.tcp.scoreboards_in_use() == 0);
    r.request(4);
    r.expect_segments({4, 5, 6, 7});
    const std::uint32_t before = r.conn().cc.cwnd;
    r.ack_segments(8);
    CHECK(r.f.stats.tcp_loss_probe_recoveries.read() == 0);
    CHECK(r.conn().cc.cwnd == before);
    CHECK(r.conn().cc.ssthresh == UINT32_MAX);  // never reduced
  }
  SECTION("the probe is lost too: the RTO follows it, one RTO after the probe") {
    r.f.script.advance_and_poll(196 * ms);
    r.f.script.expect_sent_nothing();
    r.f.script.advance_and_poll(8 * ms);
    r.expect_segments({3});
    CHECK(r.f.stats.tcp_rto_expiries.read() == 1);
    CHECK(r.f.stats.tcp_loss_probes.read() == 1);  // one probe per episode
    CHECK(r.conn().cc.cwnd == mss);
  }
}

TEST_CASE("tail loss probe: with two segments or more in flight it goes after 2 SRTT, as new data when some is unsent",
          "[unit][tcp]") {
  responder r;
  r.response_segments = 15;
  r.request(0);
  r.expect_segments({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // the initial window
  r.f.script.advance(20 * ms);
  r.ack_segments(2);  // slow start: cwnd 12 segments, 8 in flight
  r.expect_segments({10, 11, 12, 13});
  // Nothing more comes back. PTO = 2 SRTT = 40 ms (RTO 200 ms): the probe is the next new
  // segment, beyond cwnd (§7.3: it stands in for the ACK that did not come).
  r.f.script.advance_and_poll(38 * ms);
  r.f.script.expect_sent_nothing();
  r.f.script.advance_and_poll(4 * ms);
  r.expect_segments({14});
  CHECK(r.f.stats.tcp_loss_probes.read() == 1);
  // The ACKs come: a probe of new data repaired nothing; no cwnd reduction, the last segment
  // goes with the room they open.
  r.ack_segments(15);
  r.f.script.expect_sent_nothing();  // the response is complete
  CHECK(r.f.stats.tcp_loss_probe_recoveries.read() == 0);
  CHECK(r.f.stats.tcp_recovery_episodes.read() == 0);
  CHECK(r.f.tcp.scoreboards_in_use() == 0);
}

TEST_CASE("tail loss probe: none without SACK or with tcp.tail_loss_probe false; the RTO repairs the tail",
          "[unit][tcp]") {
  const bool sack = GENERATE(false, true);
  INFO("SACK " << sack);
  responder r{/*tail_loss_probe=*/!sack, sack};
  r.request(0);
  r.expect_segments({0, 1, 2, 3});
  r.f.script.advance(20 * ms);
  r.ack_segments(3);
  r.f.script.advance_and_poll(198 * ms);
  r.f.script.expect_sent_nothing();
  r.f.script.advance_and_poll(4 * ms);
  r.expect_segments({3});
  CHECK(r.f.stats.tcp_loss_probes.read() == 0);
  CHECK(r.f.stats.tcp_rto_expiries.read() == 1);
  CHECK(r.conn().cc.cwnd == mss);  // the timeout's loss window
}

TEST_CASE("tail loss probe: once the peer reports the probe, the hole below it is lost (RFC 8985 §6 for the probe)",
          "[unit][tcp]") {
  responder r;
  r.request(0);
  r.expect_segments({0, 1, 2, 3});
  // Segment 1 is lost: two SACKs above it, one short of DupThresh, and nothing new to send.
  r.f.script.advance(20 * ms);
  r.ack_segments(1);
  r.ack_segments(1, {{2, 3}});
  r.ack_segments(1, {{2, 4}});
  r.f.script.expect_sent_nothing();
  CHECK(r.f.stats.tcp_recovery_episodes.read() == 0);
  // Three segments in flight: the probe after 2 SRTT is the last segment again.
  r.f.script.advance_and_poll(42 * ms);
  r.expect_probe_of_last(3);
  SECTION("its ACK: a D-SACK (it had arrived before)") { r.ack_segments(1, {{3, 4}, {2, 4}}); }
  SECTION("any later ACK that still shows segment 1 missing below the probe's end") { r.ack_segments(1, {{2, 4}}); }
  // Segment 1 was sent a probe timeout before the probe and is still missing below data that
  // arrived: lost; recovery retransmits it at once instead of after the RTO.
  r.expect_segments({1});
  CHECK(r.f.stats.tcp_recovery_episodes.read() == 1);
  CHECK(r.f.stats.tcp_rto_expiries.read() == 0);
  r.ack_segments(4);
  CHECK((r.conn().recovery & 1) == 0);
  CHECK(r.f.tcp.scoreboards_in_use() == 0);
}
