// Replies to segments nobody authenticated, as scripted exchanges with a fake clock: the
// per-lcore token buckets of RSTs (tcp.rst_per_second) and challenge ACKs
// (tcp.challenge_acks_per_second_lcore), refill across seconds, independent lcores, and the
// per-connection RFC 5961 §7 limit that still applies first.
#include <catch2/catch.hpp>

#include "expect_segment.hh"
#include "fixture.hh"
#include "tcp/token_bucket.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;

namespace {

constexpr std::uint64_t ms = 1'000'000;

tcp::tcp_settings limited(std::uint32_t rst_per_second, std::uint32_t challenge_per_lcore = 1000,
                          std::uint16_t challenge_per_connection = 10) {
  tcp::tcp_settings s = test_settings();
  s.rst_per_second = rst_per_second;
  s.challenge_acks_per_second_lcore = challenge_per_lcore;
  s.challenge_acks_per_second = challenge_per_connection;
  return s;
}

// An ACK whose cookie cannot verify: what a forged-cookie ACK flood sends.
tcp_segment_spec forged_ack(std::uint16_t port, std::uint32_t n) {
  tcp_client c;
  c.base.source_port = port;
  return c.segment(ack, 0x5eed0000 + n);
}

// Sends `n` forged ACKs as one burst; returns how many were answered with a RST.
std::size_t flood(tcp_fixture& f, std::size_t n, std::uint16_t port = 41000) {
  std::vector<tcp_segment_spec> burst;
  for (std::size_t i = 0; i < n; ++i) {
    burst.push_back(forged_ack(static_cast<std::uint16_t>(port + i), static_cast<std::uint32_t>(i)));
  }
  std::size_t answered = 0;
  const auto verdicts = f.script.send_burst(burst);
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    if (verdicts[i].what == packet::action::transmit) {
      // <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2)
      expect_segment(f.script.expect_reply(i), {.destination_port = burst[i].source_port,
                                                .sequence = burst[i].acknowledgment,
                                                .acknowledgment = 0,
                                                .flags = rst,
                                                .window = 0});
      ++answered;
    } else {
      CHECK(verdicts[i].what == packet::action::drop);
      CHECK(verdicts[i].reason == drop_reason::tcp_rst_rate_limited);
    }
  }
  return answered;
}

}  // namespace

TEST_CASE("token bucket: one second's worth at once, refill in proportion, never above the rate", "[unit][tcp]") {
  tcp::token_bucket b{4, t0_ns};
  for (int i = 0; i < 4; ++i) {
    CHECK(b.take(t0_ns));
  }
  CHECK_FALSE(b.take(t0_ns));
  CHECK_FALSE(b.take(t0_ns + 250 * ms - 1));  // a token costs 250 ms at 4 a second
  CHECK(b.take(t0_ns + 250 * ms));
  CHECK_FALSE(b.take(t0_ns + 250 * ms));
  // Fractions are kept: two steps of 125 ms make one token.
  CHECK_FALSE(b.take(t0_ns + 375 * ms));
  CHECK(b.take(t0_ns + 500 * ms));
  // Ten idle seconds refill one second's worth, not ten.
  const std::uint64_t later = t0_ns + 10'500 * ms;
  for (int i = 0; i < 4; ++i) {
    CHECK(b.take(later));
  }
  CHECK_FALSE(b.take(later));
  // A clock that goes back refills nothing.
  CHECK_FALSE(b.take(t0_ns));
  CHECK(b.take(later + 250 * ms));

  tcp::token_bucket none{0, t0_ns};
  CHECK_FALSE(none.take(t0_ns));
  CHECK_FALSE(none.take(t0_ns + 10'000 * ms));
}

TEST_CASE("RSTs to forged-cookie ACKs and closed ports share one per-lcore budget", "[unit][tcp]") {
  tcp_fixture f{limited(3)};
  CHECK(flood(f, 5) == 3);
  CHECK(f.stats.tcp_rst_sent.read() == 3);
  CHECK(f.stats.drops_of(drop_reason::tcp_rst_rate_limited) == 2);
  // Every ACK was checked, answered or not (a random cookie fails as expired, future or bad).
  CHECK(f.stats.tcp_cookie_bad_hash.read() + f.stats.tcp_cookie_expired.read() + f.stats.tcp_cookie_future.read() ==
        5);

  // A SYN to a closed port draws from the same budget.
  tcp_client closed;
  closed.base.destination_port = 81;
  f.script.send(closed.syn());
  f.script.expect_drop(drop_reason::tcp_rst_rate_limited);
  f.script.advance(1000 * ms / 3 + 1);  // one token
  f.script.send(closed.syn());
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 §3.10.7.1)
  expect_segment(f.script.expect_reply(),
                 {.source_port = 81, .sequence = 0, .acknowledgment = closed.isn + 1, .flags = rst | ack, .window = 0});
  CHECK(flood(f, 2) == 0);

  // Across seconds: a long pause gives back one second's worth, no more.
  f.script.advance(5000 * ms);
  CHECK(flood(f, 10) == 3);
  CHECK(f.stats.tcp_rst_sent.read() == 7);
  CHECK(f.stats.drops_of(drop_reason::tcp_rst_rate_limited) == 2 + 1 + 2 + 7);
  // Handshakes are not RSTs: a real client still connects.
  open_connection(f, full_client(50000));
}

TEST_CASE("RST budgets are per lcore: one lcore's flood leaves another's budget whole", "[unit][tcp]") {
  tcp_fixture a{limited(2)};
  tcp_fixture b{limited(2)};
  CHECK(flood(a, 6) == 2);
  CHECK(flood(b, 1) == 1);
  CHECK(flood(b, 6) == 1);
  CHECK(a.stats.drops_of(drop_reason::tcp_rst_rate_limited) == 4);
  CHECK(b.stats.drops_of(drop_reason::tcp_rst_rate_limited) == 5);
}

TEST_CASE("tcp.rst_per_second 0 answers nothing with a RST", "[unit][tcp]") {
  tcp_fixture f{limited(0)};
  CHECK(flood(f, 4) == 0);
  f.script.advance(3000 * ms);
  CHECK(flood(f, 1) == 0);
  CHECK(f.stats.tcp_rst_sent.read() == 0);
  CHECK(f.stats.drops_of(drop_reason::tcp_rst_rate_limited) == 5);
}

TEST_CASE("challenge ACKs: the per-connection limit first, then the lcore's budget", "[unit][tcp]") {
  // 4 per connection (RFC 5961 §7), 6 per lcore for all connections together.
  app_fixture f{limited(1000, 6, 4)};
  tcp_client a = full_client(40000, 1000);
  tcp_client b = full_client(40001, 7000);
  tcp_client c = full_client(40002, 9000);
  for (tcp_client* client : {&a, &b, &c}) {
    client->base.options = {};  // plain segments: no timestamps to echo
  }
  const std::uint32_t iss_a = open_connection(f, a);
  const std::uint32_t iss_b = open_connection(f, b);
  const std::uint32_t iss_c = open_connection(f, c);
  f.script.expect_sent_nothing();  // the app sends nothing

  const auto storm = [&](const tcp_client& client, std::uint32_t iss, std::uint8_t flags, std::uint32_t offset,
                         int n) {
    int answered = 0;
    for (int i = 0; i < n; ++i) {
      const packet::verdict v = f.script.send(client.segment(flags, iss, offset + static_cast<std::uint32_t>(i)));
      if (v.what == packet::action::transmit) {
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>: the challenge ACK, no option, the unscaled window.
        expect_segment(f.script.expect_reply(), {.destination_port = client.base.source_port,
                                                 .sequence = iss + 1,
                                                 .acknowledgment = client.isn + 1,
                                                 .flags = ack,
                                                 .window = 65535});
        ++answered;
      }
    }
    return answered;
  };
  // In-window RSTs on A: its own limit (4) stops it before the lcore's (6).
  CHECK(storm(a, iss_a, rst, 100, 6) == 4);
  CHECK(f.stats.drops_of(drop_reason::tcp_challenge_ack_limited) == 2);
  CHECK(f.stats.drops_of(drop_reason::tcp_challenge_ack_lcore_limited) == 0);
  // SYNs on B with sequence numbers far outside the window (RFC 5961 §4.2: a challenge ACK
  // whatever the sequence): 2 tokens left on the lcore.
  CHECK(storm(b, iss_b, syn, 0x40000000, 5) == 2);
  CHECK(f.stats.drops_of(drop_reason::tcp_challenge_ack_lcore_limited) == 3);
  CHECK(f.stats.tcp_out_of_window_acks.read() == 0);
  CHECK(storm(c, iss_c, rst, 100, 1) == 0);
  CHECK(f.stats.drops_of(drop_reason::tcp_challenge_ack_lcore_limited) == 4);
  CHECK(f.stats.tcp_challenge_acks_sent.read() == 6);

  // A second later both budgets are whole again: C gets its 4, the lcore has 2 left for A.
  f.script.advance(1000 * ms);
  CHECK(storm(c, iss_c, rst, 100, 4) == 4);
  CHECK(storm(a, iss_a, rst, 100, 4) == 2);
  // Nothing was reset by the storm.
  for (const tcp_client* client : {&a, &b, &c}) {
    REQUIRE(f.tcp.find(key_of(*client)) != nullptr);
    CHECK(f.tcp.find(key_of(*client))->state == tcp::tcp_state::established);
  }
  CHECK(f.app.closed.empty());
}
