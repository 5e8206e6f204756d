// Cookie modes auto and off: the stateful SYN backlog, its threshold, expiry and limits.
#include <catch2/catch.hpp>

#include "cookie/syn_cookie.hh"
#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::syn;
using stats::drop_reason;

namespace {

// A backlog entry's SYN-ACK to full_client(port): the entry's ISS, the SYN acknowledged, the
// window unscaled (RFC 7323 §2.2), our MSS, SACK-permitted, Timestamps (TSecr the SYN's 5000),
// our window scale. TSval: our clock in ms, with the client's options in its low 6 bits when the
// ISS is a cookie (mode auto), as a cookie SYN-ACK's; the clock alone in mode off.
expected_segment backlog_syn_ack(std::uint16_t port, std::uint32_t iss, std::uint64_t now_ns, bool iss_is_cookie) {
  const auto now_ms = static_cast<std::uint32_t>(now_ns / 1'000'000);
  const std::uint32_t tsval = iss_is_cookie ? cookie::encode_tsval(now_ms, {8, true, false}) : now_ms;
  return {.destination_port = port,
          .sequence = iss,
          .acknowledgment = full_client(port).isn + 1,
          .flags = syn | ack,
          .window = 65535,
          .options = {option::mss(1460), option::sack_permitted(), option::timestamps(tsval, 5000),
                      option::window_scale(7)}};
}

// <SEQ=SEG.ACK><CTL=RST>: an ACK to the listener whose cookie does not verify (RFC 9293 §3.10.7.2).
expected_segment listener_reset(std::uint16_t port, std::uint32_t seg_ack) {
  return {.destination_port = port, .sequence = seg_ack, .acknowledgment = 0, .flags = net::tcp_flag::rst, .window = 0};
}

}  // namespace

TEST_CASE("auto: backlog below the threshold, cookies beyond, backlog again once it drains",
          "[unit][tcp]") {
  tcp_fixture f{test_settings(tcp::cookie_mode::auto_mode)};  // threshold 4
  for (std::uint16_t i = 0; i < 4; ++i) {
    f.script.send(full_client(40000 + i).syn());
    f.script.expect_reply();
  }
  CHECK(f.stats.tcp_syn_backlog_used.read() == 4);
  CHECK(f.stats.tcp_syncookies_sent.read() == 0);
  CHECK(f.tcp.half_open_count() == 4);
  // The fourth entry reached the threshold: from now on SYNs get cookies, and the gauges say so.
  CHECK(f.stats.tcp_syn_backlog_active.read() == 4);
  CHECK(f.stats.tcp_syncookies_in_force.read() == 1);
  CHECK(f.stats.tcp_syncookies_switched_on.read() == 1);
  const tcp::connection* half = f.tcp.find(key_of(full_client(40000)));
  REQUIRE(half != nullptr);
  CHECK(half->state == tcp::tcp_state::syn_received);
  CHECK(half->peer_mss == 1400);  // the backlog keeps the exact MSS, not a table entry

  // Fifth SYN: past the threshold, answered statelessly.
  const tcp_client fifth = full_client(40004);
  f.script.send(fifth.syn());
  const auto cookie_syn_ack = f.script.expect_reply();
  CHECK(f.stats.tcp_syncookies_sent.read() == 1);
  CHECK(f.tcp.half_open_count() == 4);

  // Its ACK completes through the cookie; a backlog ACK completes through the table.
  f.script.send(fifth.ack_of(cookie_syn_ack));
  f.script.expect_consumed();
  CHECK(f.tcp.find(key_of(fifth))->state == tcp::tcp_state::established);
  CHECK(f.stats.tcp_syncookies_validated.read() == 1);

  const tcp_client first = full_client(40000);
  f.script.send(first.syn());  // retransmitted: same SYN-ACK from the entry
  const auto answer = f.script.expect_reply();
  expect_segment(answer, backlog_syn_ack(40000, half->iss.raw(), f.script.now(), true));
  f.script.send(first.ack_of(answer));
  f.script.expect_consumed();
  CHECK(f.tcp.find(key_of(first))->state == tcp::tcp_state::established);
  CHECK(f.tcp.half_open_count() == 3);
  CHECK(f.stats.tcp_connections_opened.read() == 2);
  CHECK(f.stats.tcp_syn_backlog_active.read() == 3);
  CHECK(f.stats.tcp_syncookies_in_force.read() == 0);

  // Drained below the threshold: the next SYN goes to the backlog again.
  f.script.send(full_client(40010).syn());
  f.script.expect_reply();
  CHECK(f.stats.tcp_syn_backlog_used.read() == 6);  // 4 + the retransmission + this one
  CHECK(f.stats.tcp_syncookies_sent.read() == 1);
  // ... which fills it to the threshold again: a second switch.
  CHECK(f.stats.tcp_syncookies_in_force.read() == 1);
  CHECK(f.stats.tcp_syncookies_switched_on.read() == 2);
}

TEST_CASE("cookies in force: always from the start in mode always, never in off", "[unit][tcp]") {
  tcp_fixture always{test_settings(tcp::cookie_mode::always)};
  CHECK(always.stats.tcp_syncookies_in_force.read() == 1);
  tcp_fixture off{test_settings(tcp::cookie_mode::off)};
  for (std::uint16_t i = 0; i < 6; ++i) {
    off.script.send(full_client(40000 + i).syn());
  }
  CHECK(off.stats.tcp_syn_backlog_active.read() == 6);
  CHECK(off.stats.tcp_syncookies_in_force.read() == 0);
  CHECK(off.stats.tcp_syncookies_switched_on.read() == 0);
  CHECK(always.stats.tcp_syncookies_switched_on.read() == 0);
}

TEST_CASE("backlog entries expire after the timeout", "[unit][tcp]") {
  tcp_fixture f{test_settings(tcp::cookie_mode::off)};
  const tcp_client client = full_client();
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  const std::uint32_t iss = f.tcp.find(key_of(client))->iss.raw();
  CHECK_FALSE(f.tcp.find(key_of(client))->iss_is_cookie);  // mode off checks no ACK as a cookie
  expect_segment(syn_ack, backlog_syn_ack(40000, iss, f.script.now(), false));
  CHECK(f.tcp.half_open_count() == 1);
  // Meanwhile the SYN-ACK is retransmitted with RFC 6298 back-off from the initial RTO: 1, 3, 7 s.
  for (const std::uint64_t interval_ms : {1000, 2000, 4000}) {
    f.script.advance_and_poll(interval_ms * 1'000'000 - 2'000'000);
    f.script.expect_sent_nothing();
    f.script.advance_and_poll(4'000'000);
    expect_segment(f.script.expect_sent(1)[0], backlog_syn_ack(40000, iss, f.script.now(), false));
  }
  CHECK(f.stats.tcp_syn_ack_retransmits.read() == 3);
  f.script.advance_and_poll(12'002'000'000ULL - (f.script.now() - t0_ns));
  f.script.sent();
  f.script.send(client.ack_of(syn_ack));
  // Expired before this burst: the ACK meets the listener, and in mode off nothing validates it:
  // <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2).
  expect_segment(f.script.expect_reply(), listener_reset(40000, iss + 1));
  CHECK(f.tcp.half_open_count() == 0);
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.stats.tcp_connections_closed.read() == 0);  // never opened
}

// A restart with the same master secret, as the engine sees it: a second lcore_tcp with the
// fixture's keys and no entry.
TEST_CASE("auto: a backlog entry's ISS is a cookie, so its ACK opens the connection without the entry",
          "[unit][tcp]") {
  tcp_fixture before{test_settings(tcp::cookie_mode::auto_mode)};
  const tcp_client client = full_client();
  before.script.send(client.syn());
  const auto syn_ack = before.script.expect_reply();
  const tcp::connection* entry = before.tcp.find(key_of(client));
  REQUIRE(entry != nullptr);
  CHECK(entry->iss_is_cookie);
  expect_segment(syn_ack, backlog_syn_ack(40000, entry->iss.raw(), before.script.now(), true));
  CHECK(before.stats.tcp_syncookies_sent.read() == 0);  // a backlog entry, not a cookie SYN-ACK

  // The SYN-ACK retransmitted later carries the same ISS and a TSval with the same options.
  before.script.advance_and_poll(1'001'000'000);
  const auto again = before.script.expect_sent(1)[0];
  expect_segment(again, backlog_syn_ack(40000, entry->iss.raw(), before.script.now(), true));
  CHECK(again.options.timestamps->value > syn_ack.options.timestamps->value);  // RFC 7323 §5.4

  tcp_fixture after{test_settings(tcp::cookie_mode::auto_mode)};
  after.script.advance_and_poll(before.script.now() - t0_ns);
  after.script.send(client.ack_of(again));
  after.script.expect_consumed();
  const tcp::connection* c = after.tcp.find(key_of(client));
  REQUIRE(c != nullptr);
  CHECK(c->state == tcp::tcp_state::established);
  // What the cookie kept agrees with what the entry granted: window scale, SACK, timestamps.
  CHECK(c->window_scaling);
  CHECK(c->snd_wscale == 8);
  CHECK(c->rcv_wscale == 7);
  CHECK(c->sack_permitted);
  CHECK(c->timestamps);
  CHECK(c->peer_mss == 1300);  // the cookie's MSS table entry at or below the client's 1400
  CHECK(after.stats.tcp_syncookies_validated.read() == 1);
  CHECK(after.stats.tcp_syncookies_entry_lost.read() == 1);
  CHECK(after.stats.tcp_connections_opened.read() == 1);
}

TEST_CASE("auto: a SYN without timestamps keeps a cookie ISS only when it offers no window scale or SACK",
          "[unit][tcp]") {
  tcp_client client = full_client();
  client.base.options.timestamps.reset();
  const bool offers_options = GENERATE(true, false);
  if (!offers_options) {
    client.base.options.window_scale.reset();
    client.base.options.sack_permitted = false;
  }
  tcp_fixture before{test_settings(tcp::cookie_mode::auto_mode)};
  before.script.send(client.syn());
  const auto syn_ack = before.script.expect_reply();
  CHECK(syn_ack.options.window_scale.has_value() == offers_options);  // the backlog grants what was offered
  CHECK(before.tcp.find(key_of(client))->iss_is_cookie == !offers_options);

  tcp_fixture after{test_settings(tcp::cookie_mode::auto_mode)};
  after.script.send(client.ack_of(syn_ack));
  if (offers_options) {
    // The RFC 6528 ISN: opened from a cookie, the connection would not know the client's window
    // scale; the ACK is refused as any ACK without a cookie.
    expect_segment(after.script.expect_reply(), listener_reset(40000, syn_ack.tcp.sequence.raw() + 1));
    CHECK(after.stats.tcp_syncookies_validated.read() == 0);
    CHECK(after.tcp.connection_count() == 0);
  } else {
    after.script.expect_consumed();
    const tcp::connection* c = after.tcp.find(key_of(client));
    REQUIRE(c != nullptr);
    CHECK_FALSE(c->window_scaling);
    CHECK_FALSE(c->sack_permitted);
    CHECK(after.stats.tcp_syncookies_entry_lost.read() == 1);
  }
}

TEST_CASE("off: a full backlog drops SYNs; a wrong ACK to an entry gets RST", "[unit][tcp]") {
  tcp_fixture f{test_settings(tcp::cookie_mode::off)};  // backlog 8
  for (std::uint16_t i = 0; i < 8; ++i) {
    f.script.send(full_client(41000 + i).syn());
    f.script.expect_reply();
  }
  f.script.send(full_client(42000).syn());
  f.script.expect_drop(drop_reason::tcp_syn_backlog_full);
  CHECK(f.stats.tcp_syncookies_sent.read() == 0);

  const tcp_client client = full_client(41000);
  tcp_segment_spec bad = client.segment(ack, f.tcp.find(key_of(client))->iss.raw(), 0, 5);
  f.script.send(bad);
  // RFC 9293 §3.10.7.3, SYN-RECEIVED with an unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>.
  expect_segment(f.script.expect_reply(), {.destination_port = 41000,
                                           .sequence = bad.acknowledgment,
                                           .acknowledgment = 0,
                                           .flags = net::tcp_flag::rst,
                                           .window = 0});
  CHECK(f.tcp.find(key_of(client))->state == tcp::tcp_state::syn_received);
}

TEST_CASE("syn-received: RST at RCV.NXT returns to LISTEN; a new ISN starts over", "[unit][tcp]") {
  tcp_fixture f{test_settings(tcp::cookie_mode::off)};
  tcp_client client = full_client();
  f.script.send(client.syn());
  const std::uint32_t iss = f.script.expect_reply().tcp.sequence.raw();
  SECTION("RST") {
    f.script.send(client.segment(net::tcp_flag::rst, iss));
    f.script.expect_consumed();
    CHECK(f.tcp.find(key_of(client)) == nullptr);
    CHECK(f.tcp.half_open_count() == 0);
  }
  SECTION("new SYN") {
    client.isn = 90000;
    f.script.send(client.syn());
    CHECK(f.script.expect_reply().tcp.acknowledgment.raw() == 90001);
    CHECK(f.tcp.find(key_of(client))->irs.raw() == 90000);
    CHECK(f.tcp.half_open_count() == 1);
  }
}

TEST_CASE("auto: a full connection table falls back to cookies; off drops", "[unit][tcp]") {
  const bool auto_mode = GENERATE(true, false);
  tcp_fixture f{test_settings(auto_mode ? tcp::cookie_mode::auto_mode : tcp::cookie_mode::off, 2)};
  for (std::uint16_t i = 0; i < 2; ++i) {
    f.script.send(full_client(43000 + i).syn());
    f.script.expect_reply();
  }
  REQUIRE(f.tcp.connection_count() == 2);
  f.script.send(full_client(43002).syn());
  if (auto_mode) {
    CHECK(f.script.expect_reply().tcp.flags == (syn | ack));
    CHECK(f.stats.tcp_syncookies_sent.read() == 1);
  } else {
    f.script.expect_drop(drop_reason::tcp_syn_backlog_full);
  }
  CHECK(f.stats.tcp_table_full_refusals.read() == 1);
  CHECK(f.tcp.connection_count() == 2);
}

TEST_CASE("listeners: a port listened on twice is refused at start-up", "[unit][tcp]") {
  stats::lcore_stats stats;
  const std::vector<tcp::listener_settings> twice{{.port = 80}, {.port = 80}};
  CHECK_THROWS_AS(tcp::lcore_tcp(test_settings(), twice, stats), std::invalid_argument);
}
