// RFC 9293 §3.10.7.4 on established connections, as scripted exchanges with a fake clock: every
// segment rampart sends is compared whole (expect_segment), and expect_sent_nothing() asserts
// that nothing more left. Covers close in every state (passive, active, simultaneous, TIME-WAIT
// and RFC 6191), RST and SYN per RFC 5961, PAWS, data on the handshake's final ACK and sequence
// wrap-around.
#include <catch2/catch.hpp>

#include "expect_segment.hh"
#include "fixture.hh"

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

tcp_client plain_client(std::uint32_t isn = 1000) {
  tcp_client c;  // no options at all: MSS 536, no scaling, no timestamps
  c.isn = isn;
  return c;
}

tcp_segment_spec with_payload(tcp_segment_spec s, const std::string& text) {
  s.payload = bytes_of(text);
  return s;
}

// The receive window of test_settings() (262140 bytes) as each kind of connection advertises it.
constexpr std::uint16_t unscaled_window = 65535;      // no window scale negotiated: capped
constexpr std::uint16_t scaled_window = 262140 >> 7;  // our shift, 7

// What rampart sends to plain_client(): nothing negotiated, so no option and an unscaled window.
expected_segment plain(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack_number,
                       const std::string& payload = "") {
  return {.sequence = seq, .acknowledgment = ack_number, .flags = flags, .window = unscaled_window, .payload = payload};
}

// What rampart sends to full_client() at `now_ns`: a scaled window and, on every segment but a
// RST, Timestamps with our clock in ms and TS.Recent (RFC 7323 §3.2).
expected_segment timestamped(std::uint64_t now_ns, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack_number,
                             std::uint32_t ts_recent, const std::string& payload = "") {
  return {.sequence = seq,
          .acknowledgment = ack_number,
          .flags = flags,
          .window = scaled_window,
          .options = {option::timestamps(static_cast<std::uint32_t>(now_ns / 1'000'000), ts_recent)},
          .payload = payload};
}

}  // namespace

TEST_CASE("data: delivered in order to the app; ACK delayed until a second segment or the timer",
          "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open_connection(f, client);
  CHECK(f.app.opened == 1);

  f.script.send(with_payload(client.segment(ack | psh, iss), "hello"));
  f.script.expect_consumed();
  CHECK(f.app.received == "hello");
  f.script.expect_sent_nothing();  // the ACK waits (RFC 9293 §3.8.6.3)
  f.script.advance_and_poll(f.tcp.settings().delayed_ack_ns - 1'100'000);
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(2'200'000);  // the timer's one-tick resolution
  // No scaling negotiated: the window is the configured one capped at 65535.
  expect_segment(f.script.expect_sent(1)[0], plain(ack, iss + 1, client.isn + 6));
  CHECK(f.stats.tcp_delayed_acks.read() == 1);

  // Two segments: the second is ACKed at once (at least every second segment).
  f.script.send(with_payload(client.segment(ack, iss, 5), "ab"));
  f.script.expect_sent_nothing();
  f.script.send(with_payload(client.segment(ack, iss, 7), "cd"));
  expect_segment(f.script.expect_sent(1)[0], plain(ack, iss + 1, client.isn + 10));
  CHECK(f.app.received == "helloabcd");
  CHECK(f.stats.tcp_bytes_in.read() == 9);
}

TEST_CASE("data: the echo's reply carries the ACK; an ACK of it stops the retransmission timer",
          "[unit][tcp]") {
  app_fixture f;
  f.app.echo = true;
  const tcp_client client = full_client();  // timestamps: every segment carries TS
  const std::uint32_t iss = open_connection(f, client);
  tcp_segment_spec data = with_payload(client.segment(ack | psh, iss), "ping");
  data.options.timestamps = net::tcp_timestamps{5002, 0};
  f.script.send(data);
  const auto out = f.script.expect_sent(1);
  expect_segment(out[0], timestamped(f.script.now(), ack | psh, iss + 1, client.isn + 5, 5002, "ping"));
  CHECK(f.tcp.armed_timers() == 1);  // the retransmission timer

  tcp_segment_spec acked = client.segment(ack, iss, 4, 4);
  acked.options.timestamps = net::tcp_timestamps{5003, static_cast<std::uint32_t>(f.script.now() / 1'000'000)};
  f.script.send(acked);
  f.script.expect_consumed();
  f.script.expect_sent_nothing();
  CHECK(f.tcp.armed_timers() == 0);
  CHECK(f.tcp.find(key_of(client))->snd_una.raw() == iss + 5);
}

TEST_CASE("close: peer FIN -> CLOSE-WAIT -> app closes -> LAST-ACK -> final ACK", "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = full_client();
  const std::uint32_t iss = open_connection(f, client);
  SECTION("the app closes at once: FIN rides with the ACK") {
    f.script.send(client.segment(fin | ack, iss));
    f.script.expect_consumed();
    // The FIN carried no Timestamps: TS.Recent is still the handshake ACK's 5001.
    expect_segment(f.script.expect_sent(1)[0], timestamped(f.script.now(), fin | ack, iss + 1, client.isn + 2, 5001));
    CHECK(f.app.peer_closed == 1);
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::last_ack);
    f.script.send(client.segment(ack, iss, 1, 1));
    f.script.expect_consumed();
    CHECK(f.tcp.find(key_of(client)) == nullptr);
    REQUIRE(f.app.closed.size() == 1);
    CHECK(f.app.closed[0] == close_reason::closed);
    CHECK(f.stats.tcp_closed_normal.read() == 1);
  }
  SECTION("the app keeps the stream open: CLOSE-WAIT, the FIN is only ACKed") {
    f.app.close_on_peer_fin = false;
    f.script.send(client.segment(fin | ack, iss));
    expect_segment(f.script.expect_sent(1)[0], timestamped(f.script.now(), ack, iss + 1, client.isn + 2, 5001));
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::close_wait);
    CHECK(f.app.closed.empty());
  }
  SECTION("our FIN is lost: retransmitted after the RTO, with back-off, until the retry limit") {
    f.script.send(client.segment(fin | ack, iss));
    f.script.expect_sent(1);
    std::uint64_t rto_ns = f.tcp.settings().rto.initial_us * 1000ULL;
    for (int i = 0; i < f.tcp.settings().max_retransmissions; ++i) {
      f.script.advance_and_poll(rto_ns - 2'000'000);
      f.script.expect_sent_nothing();  // never early
      f.script.advance_and_poll(4'000'000);  // at most one timer tick (1.05 ms) late
      expect_segment(f.script.expect_sent(1)[0], timestamped(f.script.now(), fin | ack, iss + 1, client.isn + 2, 5001));
      rto_ns = std::min<std::uint64_t>(rto_ns * 2, f.tcp.settings().rto.max_us * 1000ULL);  // RFC 6298 §5.5
    }
    CHECK(f.stats.tcp_rto_expiries.read() == f.tcp.settings().max_retransmissions);
    CHECK(f.stats.tcp_retransmitted_segments.read() == f.tcp.settings().max_retransmissions);
    f.script.advance_and_poll(rto_ns + 2'000'000);
    // Past the limit: RST <SEQ=SND.NXT>, without Timestamps; the connection is gone, the app told why.
    expect_segment(f.script.expect_sent(1)[0],
                   {.sequence = iss + 2, .acknowledgment = 0, .flags = rst, .window = scaled_window});
    CHECK(f.tcp.find(key_of(client)) == nullptr);
    REQUIRE(f.app.closed.size() == 1);
    CHECK(f.app.closed[0] == close_reason::timeout);
  }
}

TEST_CASE("close: the app closes first -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> gone", "[unit][tcp]") {
  app_fixture f;
  f.app.on_open_do = [](tcp::stream& s) {
    s.send(std::as_bytes(std::span{"bye", 3}));
    s.close();
  };
  const tcp_client client = plain_client();
  const std::uint32_t iss = open_connection(f, client);
  auto out = f.script.expect_sent(2);
  expect_segment(out[0], plain(ack | psh, iss + 1, client.isn + 1, "bye"));
  expect_segment(out[1], plain(fin | ack, iss + 4, client.isn + 1));
  CHECK(f.tcp.find(key_of(client))->state == tcp_state::fin_wait_1);

  SECTION("FIN acknowledged, then the peer's FIN") {
    f.script.send(client.segment(ack, iss, 0, 4));
    f.script.expect_sent_nothing();
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::fin_wait_2);
    // The peer still sends in FIN-WAIT-2 (half close) and the app still receives.
    f.script.send(with_payload(client.segment(ack | fin, iss, 0, 4), "last"));
    expect_segment(f.script.expect_sent(1)[0], plain(ack, iss + 5, client.isn + 6));
    CHECK(f.app.received == "last");
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::time_wait);
    CHECK(f.stats.tcp_time_wait_active.read() == 1);
    REQUIRE(f.app.closed.size() == 1);
    CHECK(f.app.closed[0] == close_reason::closed);
    // A retransmitted FIN is ACKed again and restarts the 2 MSL.
    f.script.advance_and_poll(f.tcp.settings().time_wait_ns / 2);
    f.script.send(with_payload(client.segment(ack | fin, iss, 0, 4), "last"));
    expect_segment(f.script.expect_reply(), plain(ack, iss + 5, client.isn + 6));
    f.script.advance_and_poll(f.tcp.settings().time_wait_ns - 5'000'000);
    CHECK(f.tcp.find(key_of(client)) != nullptr);
    f.script.advance_and_poll(10'000'000);
    CHECK(f.tcp.find(key_of(client)) == nullptr);
    CHECK(f.tcp.connection_count() == 0);
    CHECK(f.stats.tcp_time_wait_active.read() == 0);
  }
  SECTION("simultaneous close: the peer's FIN before its ACK of ours -> CLOSING -> TIME-WAIT") {
    f.script.send(client.segment(fin | ack, iss));  // acknowledges nothing of ours
    expect_segment(f.script.expect_sent(1)[0], plain(ack, iss + 5, client.isn + 2));
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::closing);
    f.script.send(client.segment(ack, iss, 1, 4));
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::time_wait);
  }
  SECTION("a SYN in TIME-WAIT with a higher sequence number opens a new incarnation (RFC 6191)") {
    f.script.send(client.segment(ack, iss, 0, 4));
    f.script.send(client.segment(ack | fin, iss, 0, 4));
    f.script.expect_sent(1);
    REQUIRE(f.tcp.find(key_of(client))->state == tcp_state::time_wait);
    tcp_client again = plain_client(client.isn + 100'000);
    f.script.send(again.syn());
    // A cookie SYN-ACK: the ISN is the cookie; a client without options gets MSS alone.
    expect_segment(f.script.expect_reply(), {.sequence = any,
                                             .acknowledgment = again.isn + 1,
                                             .flags = syn | ack,
                                             .window = unscaled_window,
                                             .options = {option::mss(1460)}});
    CHECK(f.stats.tcp_time_wait_reused.read() == 1);
    CHECK(f.stats.tcp_time_wait_active.read() == 0);
    CHECK(f.tcp.find(key_of(client)) == nullptr);  // cookie mode: nothing stored until the ACK
  }
  SECTION("an old SYN in TIME-WAIT gets a challenge ACK") {
    f.script.send(client.segment(ack, iss, 0, 4));
    f.script.send(client.segment(ack | fin, iss, 0, 4));
    f.script.expect_sent(1);
    f.script.send(plain_client(client.isn - 5000).syn());
    expect_segment(f.script.expect_reply(), plain(ack, iss + 5, client.isn + 2));
    CHECK(f.tcp.find(key_of(client))->state == tcp_state::time_wait);
  }
}

TEST_CASE("RST: exact resets, in window gets a challenge ACK (rate-limited per connection), outside dropped",
          "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open_connection(f, client);
  SECTION("exact") {
    f.script.send(client.segment(rst, iss));
    f.script.expect_consumed();
    CHECK(f.tcp.find(key_of(client)) == nullptr);
    REQUIRE(f.app.closed.size() == 1);
    CHECK(f.app.closed[0] == close_reason::reset);
    CHECK(f.stats.tcp_closed_reset.read() == 1);
  }
  SECTION("in window, not exact") {
    const auto limit = f.tcp.settings().challenge_acks_per_second;
    for (std::uint32_t i = 0; i < limit; ++i) {
      f.script.send(client.segment(rst, iss, 1000 + i));
      expect_segment(f.script.expect_reply(), plain(ack, iss + 1, client.isn + 1));  // <SEQ=SND.NXT><ACK=RCV.NXT>
    }
    f.script.send(client.segment(rst, iss, 2000));
    f.script.expect_drop(drop_reason::tcp_challenge_ack_limited);
    CHECK(f.stats.tcp_challenge_acks_sent.read() == limit);
    // The budget is per second and per connection: the next second has a fresh one.
    f.script.advance(1'000'000'000);
    f.script.send(client.segment(rst, iss, 2001));
    expect_segment(f.script.expect_reply(), plain(ack, iss + 1, client.isn + 1));
    CHECK(f.tcp.find(key_of(client)) != nullptr);
  }
  SECTION("outside the window") {
    f.script.send(client.segment(rst, iss, 0x40000000));
    f.script.expect_drop(drop_reason::tcp_rst_out_of_window);
    CHECK(f.tcp.find(key_of(client)) != nullptr);
  }
}

TEST_CASE("SYN on an established connection gets a challenge ACK (RFC 5961 §4)", "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open_connection(f, client);
  f.script.send(client.segment(syn, iss, 10));
  expect_segment(f.script.expect_reply(), plain(ack, iss + 1, client.isn + 1));
  CHECK(f.stats.tcp_challenge_acks_sent.read() == 1);
  CHECK(f.tcp.find(key_of(client))->state == tcp_state::established);
}

TEST_CASE("old duplicates, ACKs of unsent data and segments without ACK", "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open_connection(f, client);
  SECTION("old data: an ACK, nothing delivered") {
    tcp_segment_spec old = with_payload(client.segment(ack, iss), std::string(20, 'o'));
    old.sequence -= 50;
    f.script.send(old);
    expect_segment(f.script.expect_reply(), plain(ack, iss + 1, client.isn + 1));
    CHECK(f.stats.tcp_out_of_window_acks.read() == 1);
    CHECK(f.app.received.empty());
  }
  SECTION("SEG.ACK > SND.NXT") {
    f.script.send(client.segment(ack, iss, 0, 5));
    expect_segment(f.script.expect_reply(), plain(ack, iss + 1, client.isn + 1));
    CHECK(f.stats.tcp_out_of_window_acks.read() == 1);
  }
  SECTION("no ACK flag") {
    f.script.send(with_payload(client.segment(psh, iss), "xxxxx"));
    f.script.expect_drop(drop_reason::tcp_ack_missing);
  }
  SECTION("data beyond RCV.NXT: queued, a duplicate ACK at once in a fresh buffer") {
    f.script.send(with_payload(client.segment(ack, iss, 100), "later"));
    f.script.expect_consumed();  // the frame holds the queued bytes
    // No SACK negotiated: no blocks.
    expect_segment(f.script.expect_sent(1).front(), plain(ack, iss + 1, client.isn + 1));
    CHECK(f.stats.tcp_dup_acks_sent.read() == 1);
    CHECK(f.stats.tcp_ooo_queued.read() == 1);
    CHECK(f.app.received.empty());
  }
  SECTION("a retransmission overlapping delivered data: only the new bytes reach the app") {
    f.script.send(with_payload(client.segment(ack, iss), "abc"));
    f.script.send(with_payload(client.segment(ack, iss), "abcdef"));
    CHECK(f.app.received == "abcdef");
    expect_segment(f.script.expect_sent(1).front(), plain(ack, iss + 1, client.isn + 7));  // the second segment's ACK
  }
}

TEST_CASE("PAWS: a segment with an older TSval is answered by an ACK and not delivered", "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = full_client();
  const std::uint32_t iss = open_connection(f, client);
  tcp_segment_spec fresh = with_payload(client.segment(ack, iss), "new");
  fresh.options.timestamps = net::tcp_timestamps{6000, 0};
  f.script.send(fresh);
  tcp_segment_spec stale = with_payload(client.segment(ack, iss, 3), "old");
  stale.options.timestamps = net::tcp_timestamps{5500, 0};
  f.script.send(stale);
  expect_segment(f.script.expect_reply(), timestamped(f.script.now(), ack, iss + 1, client.isn + 4, 6000));
  CHECK(f.stats.tcp_paws_rejected.read() == 1);
  CHECK(f.app.received == "new");
}

TEST_CASE("handshake: data on the final ACK, or a first data segment when that ACK was lost",
          "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = full_client();
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  tcp_segment_spec first = client.ack_of(syn_ack);
  SECTION("ACK with data") { first = with_payload(first, "GET /"); }
  SECTION("the ACK lost: data with PSH") {
    first = with_payload(first, "GET /");
    first.flags = ack | psh;
  }
  f.script.send(first);
  f.script.expect_consumed();
  CHECK(f.app.opened == 1);
  CHECK(f.app.received == "GET /");
  CHECK(f.tcp.find(key_of(client))->state == tcp_state::established);
}

TEST_CASE("one burst: the handshake's ACK, then data and FIN of the same flow", "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = plain_client();
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  const std::uint32_t iss = syn_ack.tcp.sequence.raw();
  f.script.send_burst({client.ack_of(syn_ack), with_payload(client.segment(ack, iss), std::string(10, 'z')),
                       client.segment(fin | ack, iss, 10)});
  CHECK(f.app.received == std::string(10, 'z'));
  CHECK(f.app.peer_closed == 1);
  expect_segment(f.script.expect_sent(1)[0], plain(fin | ack, iss + 1, client.isn + 12));
}

TEST_CASE("sequence numbers wrap around 2^32 on both sides", "[unit][tcp]") {
  app_fixture f;
  f.app.echo = true;
  const tcp_client client = plain_client(0xFFFFFFF0U);
  const std::uint32_t iss = open_connection(f, client);
  const std::string text(40, 'w');  // crosses 2^32: 0xFFFFFFF1 + 40
  f.script.send(with_payload(client.segment(ack | psh, iss), text));
  CHECK(f.app.received == text);
  expect_segment(f.script.expect_sent(1)[0], plain(ack | psh, iss + 1, 0xFFFFFFF1U + 40, text));  // the echo
  f.script.send(with_payload(client.segment(ack | psh, iss, 40, 40), "more"));
  CHECK(f.app.received == text + "more");
  expect_segment(f.script.expect_sent(1)[0], plain(ack | psh, iss + 41, 0xFFFFFFF1U + 44, "more"));
}

TEST_CASE("an ACK written in place satisfies a pending delayed ACK (RFC 9293 §3.8.6.3)", "[unit][tcp]") {
  app_fixture f;
  const tcp_client client = plain_client();
  const std::uint32_t iss = open_connection(f, client);
  f.script.send(with_payload(client.segment(ack, iss), "abc"));
  f.script.expect_sent_nothing();  // its ACK is delayed
  // The same bytes again, all below RCV.NXT: out of the window, answered in place at once.
  f.script.send(with_payload(client.segment(ack, iss), "abc"));
  expect_segment(f.script.expect_reply(), plain(ack, iss + 1, client.isn + 4));
  // That ACK acknowledged everything: the delayed one has nothing left to say.
  f.script.advance_and_poll(f.tcp.settings().delayed_ack_ns + 2'200'000);
  f.script.expect_sent_nothing();
  CHECK(f.stats.tcp_delayed_acks.read() == 0);
  CHECK(f.app.received == "abc");
}
