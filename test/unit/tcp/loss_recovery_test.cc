// The send side under loss as scripted exchanges (whole segments: sequence number, length,
// payload): the RFC 6928 initial window, slow start, limited transmit (RFC 3042) on the first
// two duplicate ACKs, fast retransmit on the third, NewReno partial and full ACKs (RFC 6582),
// SACK recovery over several holes in NextSeg order (RFC 6675), a retransmission timeout during
// recovery (RFC 5681 §3.1), D-SACK of a spurious retransmission (RFC 2883), with cwnd and
// ssthresh checked after each step. The listener runs Reno unless a test says otherwise, so the
// figures are the RFC's arithmetic. Every test ends with no buffer in use (app_fixture).
#include <catch2/catch.hpp>

#include <initializer_list>
#include <utility>

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

std::vector<config::listener_config> listeners_with(config::congestion_control cc) {
  auto l = test_listeners();
  l[0].congestion = cc;
  return l;
}

// A peer that sends nothing but ACKs: MSS 1300, window 65535 (50 segments), no timestamps; the
// SYN backlog (cookie mode auto) keeps SACK-permitted without them.
struct bulk {
  explicit bulk(bool sack, config::congestion_control cc = config::congestion_control::reno,
                std::size_t segments = 40)
      : f(test_settings(config::cookie_mode::auto_mode), listeners_with(cc)), text(pattern(segments * mss)) {
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
  // A whole-segment check: segment number `n` of the stream, MSS bytes, its payload.
  void expect_segments(std::initializer_list<std::uint32_t> numbers) {
    const auto out = f.script.expect_sent(numbers.size());
    std::size_t i = 0;
    for (const std::uint32_t n : numbers) {
      INFO("segment " << i << " should be stream segment " << n);
      CHECK(out[i].tcp.sequence.raw() == iss + 1 + n * mss);
      CHECK(out[i].tcp.acknowledgment.raw() == client.isn + 1);
      CHECK(out[i].payload_length == mss);
      CHECK(text_of(out[i].payload) == text.substr(n * mss, mss));
      ++i;
    }
  }

  app_fixture f;
  std::string text;
  tcp_client client;
  std::uint32_t iss = 0;
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
  f.script.send(client.syn());
  f.script.send(client.ack_of(f.script.expect_reply()));
  CHECK(f.script.expect_sent(4).size() == 4);
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
  bulk b{false, config::congestion_control::cubic};
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
  tcp::tcp_settings settings = test_settings(config::cookie_mode::auto_mode);
  settings.scoreboards = 0;
  app_fixture f{settings, listeners_with(config::congestion_control::reno)};
  const std::string text = pattern(20 * mss);
  f.app.on_open_do = [&](tcp::stream& s) { s.send(as_span(text)); };
  tcp_client client;
  client.base.options.mss = mss;
  client.base.options.sack_permitted = true;
  const std::uint32_t iss = open_connection(f, client);
  f.script.expect_sent(10);
  for (std::uint32_t i = 0; i < 3; ++i) {
    tcp_segment_spec s = client.segment(ack, iss);
    s.options.sack_blocks[0] = {net::seq32{iss + 1 + mss}, net::seq32{iss + 1 + (2 + i) * mss}};
    s.options.sack_block_count = 1;
    f.script.send(s);
  }
  const auto out = f.script.expect_sent(3);  // two limited transmits, then the fast retransmit
  CHECK(out[2].tcp.sequence.raw() == iss + 1);
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
  std::uint32_t sent_by_peer = 0;
  const auto peer_data = [&](std::uint32_t sacked_end) {
    tcp_segment_spec s = b.client.segment(ack, b.iss, sent_by_peer);
    s.payload.assign(100, std::byte{'p'});
    sent_by_peer += 100;
    if (sack) {
      s.options.sack_blocks[0] = {net::seq32{b.iss + 1 + mss}, net::seq32{b.iss + 1 + sacked_end * mss}};
      s.options.sack_block_count = 1;
    }
    b.f.script.send(s);
  };
  const auto data_segments_sent = [&] {  // segment numbers, in order
    std::vector<std::uint32_t> numbers;
    for (const auto& out : b.f.script.sent()) {
      if (out.payload_length > 0) {
        numbers.push_back((out.tcp.sequence.raw() - b.iss - 1) / mss);
      }
    }
    return numbers;
  };
  peer_data(2);
  peer_data(3);
  peer_data(4);
  const std::vector<std::uint32_t> sent = data_segments_sent();
  if (sack) {
    // Two limited transmits (10, 11), then the fast retransmit of segment 0 on the third.
    CHECK(sent == std::vector<std::uint32_t>{10, 11, 0});
    CHECK(b.f.stats.tcp_fast_retransmits.read() == 1);
    CHECK(b.f.stats.tcp_recovery_episodes.read() == 1);
    CHECK(b.ssthresh() == 6 * mss);
  } else {
    // RFC 5681 §2: a segment carrying data is not a duplicate ACK; the loss waits for the timer.
    CHECK(sent.empty());
    CHECK(b.f.stats.tcp_fast_retransmits.read() == 0);
    CHECK(b.f.stats.tcp_recovery_episodes.read() == 0);
  }
  CHECK(b.f.app.received == std::string(300, 'p'));
}
