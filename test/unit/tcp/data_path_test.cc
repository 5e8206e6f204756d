// The send side and flow control as scripted exchanges: segmentation to the peer's MSS and
// window, Nagle on and off, the RFC 6298 retransmission timer with back-off, the persist timer
// and zero-window probes, both sent at once when the link comes back (lcore_tcp::link_restored),
// the send buffer's bound and on_writable, a full mbuf pool or TX ring (nothing lost: sent on a
// later turn), window updates when the app releases held data, app abort, the idle timeout. Every segment rampart sends is compared whole (expect_segment), and
// every test ends with no buffer left in use (app_fixture).
#include <catch2/catch.hpp>

#include <cstring>
#include <map>

#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using tcp::close_reason;

namespace {

// A client with MSS `mss` and window `window`, no other option. A cookie carries the MSS as an
// index into cookie::mss_table (536, 1300, 1440, 1460): tests use table values.
tcp_client sized_client(std::uint16_t mss, std::uint16_t window) {
  tcp_client c;
  c.base.options.mss = mss;
  c.base.window = window;
  return c;
}

std::uint32_t open(app_fixture& f, const tcp_client& client) { return open_connection(f, client); }

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + i % 26);
  }
  return s;
}

std::span<const std::byte> as_span(const std::string& s) { return std::as_bytes(std::span{s.data(), s.size()}); }

tcp_segment_spec with(tcp_segment_spec s, const std::string& text) {
  s.payload = bytes_of(text);
  return s;
}

// Our segment to a sized_client(): no option (none was negotiated) and the window of the
// settings unscaled (65535 for test_settings(): its 262140 bytes, capped).
expected_segment ours(std::uint32_t seq, std::uint32_t ack_number, std::uint8_t flags, const std::string& payload = "",
                      std::uint16_t window = 65535) {
  return {.sequence = seq, .acknowledgment = ack_number, .flags = flags, .window = window, .payload = payload};
}

// The RST of an abort, a timeout or the engine's stop: <SEQ=SND.NXT><CTL=RST> (at most the edge of
// the peer's window: control_sequence), no option.
expected_segment reset(std::uint32_t snd_nxt, std::uint16_t destination_port = 40000) {
  return {.destination_port = destination_port,
          .sequence = snd_nxt,
          .acknowledgment = 0,
          .flags = rst,
          .window = 65535};
}

// A pure ACK from the client: `sent` bytes of its own sent so far, `acked` of ours acknowledged.
tcp_segment_spec ack_at(const tcp_client& c, std::uint32_t iss, std::uint32_t sent, std::uint32_t acked,
                        std::uint16_t window) {
  tcp_segment_spec s = c.segment(ack, iss, sent, acked);
  s.window = window;
  return s;
}

// The client's "go" with a zero window makes the app send `text`: nothing fits, "go" is
// acknowledged after the delayed-ACK time, and the first probe, one byte beyond the window,
// leaves after the initial RTO. Returns our ISS.
std::uint32_t probe_a_zero_window(app_fixture& f, const tcp_client& client, const std::string& text) {
  f.app.on_data_do = [&text](tcp::stream& s, tcp::data_view) { s.send(as_span(text)); };
  const std::uint32_t iss = open(f, client);
  tcp_segment_spec closed = with(client.segment(ack, iss), "go");
  closed.window = 0;
  f.script.send(closed);
  f.script.expect_sent_nothing();  // nothing fits a zero window; the ACK is delayed
  f.script.advance_and_poll(50'000'000);
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 3, ack));  // the delayed ACK of "go"
  f.script.advance_and_poll(954'000'000);  // the initial RTO after the window closed
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 3, ack, text.substr(0, 1)));
  return iss;
}

}  // namespace

TEST_CASE("send: segments of the peer's MSS within its window; the rest as the window opens", "[unit][tcp]") {
  app_fixture f;
  const std::string text = pattern(3000);
  f.app.on_open_do = [&](tcp::stream& s) { CHECK(s.send(as_span(text)) == 3000); };
  const tcp_client client = sized_client(1300, 2600);
  const std::uint32_t iss = open(f, client);
  auto out = f.script.expect_sent(2);  // 2600 bytes of window: two full segments
  // PSH only on the segment that empties the queue.
  expect_segment(out[0], ours(iss + 1, client.isn + 1, ack, text.substr(0, 1300)));
  expect_segment(out[1], ours(iss + 1301, client.isn + 1, ack, text.substr(1300, 1300)));
  // Half acknowledged: 1300 bytes of window free, 400 to send, 1300 in flight: Nagle waits.
  f.script.send(ack_at(client, iss, 0, 1300, 2600));
  f.script.expect_sent_nothing();
  f.script.send(ack_at(client, iss, 0, 2600, 2600));
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 2601, client.isn + 1, ack | psh, text.substr(2600)));
  f.script.send(ack_at(client, iss, 0, 3000, 2600));
  f.script.expect_sent_nothing();
  CHECK(f.tcp.armed_timers() == 0);
}

TEST_CASE("send: a backlog client's MSS below 536 counts as 536, as a cookie's does", "[unit][tcp]") {
  // fuzz_tcp_stream, test/fuzz/regressions/tcp_stream/: the SYN backlog took the MSS option as it
  // came. MSS 0 sent nothing at all (every segment cut to 0 bytes, no persist, no timer); MSS 1
  // with Timestamps made the effective MSS 1 - 12, wrapped to 65525, one oversized segment.
  app_fixture f{test_settings(tcp::cookie_mode::auto_mode)};
  const std::string text = pattern(1200);
  f.app.on_open_do = [&](tcp::stream& s) { CHECK(s.send(as_span(text)) == 1200); };
  tcp_client client = sized_client(0, 60000);
  std::uint32_t per_segment = 536;
  SECTION("MSS 0") {}
  SECTION("MSS 1 with Timestamps") {
    client.base.options.mss = 1;
    client.base.options.timestamps = net::tcp_timestamps{5000, 0};
    per_segment = 536 - 12;
  }
  const std::uint32_t iss = open(f, client);
  REQUIRE(f.tcp.half_open_count() == 0);
  const auto out = f.script.expect_sent(2);  // two full segments; Nagle holds the short rest
  for (std::uint32_t i = 0; i < 2; ++i) {
    expected_segment e =
        ours(iss + 1 + i * per_segment, client.isn + 1, ack, text.substr(i * per_segment, per_segment));
    if (client.base.options.timestamps) {
      // TSval our clock in ms, TSecr the handshake ACK's TSval.
      e.options = {option::timestamps(static_cast<std::uint32_t>(f.script.now() / 1'000'000), 5001)};
    }
    expect_segment(out[i], e);
  }
}

TEST_CASE("send: Nagle holds a short segment while data is unacknowledged; off per listener", "[unit][tcp]") {
  const bool nagle = GENERATE(true, false);
  auto listeners = test_listeners();
  listeners[0].nagle = nagle;
  app_fixture f{test_settings(), listeners};
  f.app.on_data_do = [](tcp::stream& s, tcp::data_view) { s.send(std::as_bytes(std::span{"ok", 2})); };
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  f.script.send(tcp_segment_spec{with(client.segment(ack, iss), "1")});
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 2, ack | psh, "ok"));
  f.script.send(tcp_segment_spec{with(client.segment(ack, iss, 1), "2")});  // "ok" unacknowledged
  if (nagle) {
    f.script.expect_sent_nothing();  // Nagle holds "ok"; the ACK of "2" is delayed
    f.script.send(ack_at(client, iss, 2, 2, 60000));
  }
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 3, client.isn + 3, ack | psh, "ok"));
}

TEST_CASE("retransmission: RFC 6298 timer, back-off, SRTT from the timed segment, Karn", "[unit][tcp]") {
  app_fixture f;
  f.app.echo = true;
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  f.script.send(with(client.segment(ack | psh, iss), "abc"));
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 4, ack | psh, "abc"));
  // Acknowledged after 50 ms: SRTT 50 ms, RTTVAR 25 ms, RTO = max(200 ms floor, 150 ms).
  f.script.advance_and_poll(50'000'000);
  f.script.send(ack_at(client, iss, 3, 3, 60000));
  const tcp::connection* c = f.tcp.find(key_of(client));
  REQUIRE(c != nullptr);
  CHECK(c->rtt.srtt_us() == 50'000);
  CHECK(c->rtt.rttvar_us() == 25'000);
  CHECK(c->rtt.rto_us() == 200'000);

  f.script.send(with(client.segment(ack | psh, iss, 3, 3), "def"));
  const expected_segment def = ours(iss + 4, client.isn + 7, ack | psh, "def");
  expect_segment(f.script.expect_sent(1)[0], def);
  f.script.advance_and_poll(198'000'000);
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(4'000'000);
  expect_segment(f.script.expect_sent(1)[0], def);  // the same segment again
  f.script.advance_and_poll(396'000'000);  // back-off: 400 ms
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(8'000'000);
  expect_segment(f.script.expect_sent(1)[0], def);
  // Karn: the ACK of a retransmitted segment gives no RTT sample.
  f.script.send(ack_at(client, iss, 6, 6, 60000));
  CHECK(c->rtt.srtt_us() == 50'000);
  CHECK(f.stats.tcp_rto_expiries.read() == 2);
  CHECK(f.stats.tcp_retransmitted_segments.read() == 2);
}

TEST_CASE("a peer that comes back with another MAC: segments follow its first segment with an acceptable ACK",
          "[unit][tcp]") {
  app_fixture f;
  f.app.echo = true;
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  const auto from = [](const tcp_segment_spec& spec, const net::mac_address& mac) {
    std::vector<std::byte> frame = build_tcp_frame(spec);
    std::memcpy(frame.data() + 6, mac.bytes.data(), 6);  // the Ethernet source
    return frame;
  };
  f.script.send(with(client.segment(ack | psh, iss), "abc"));
  const expected_segment abc = ours(iss + 1, client.isn + 4, ack | psh, "abc");
  expect_segment(f.script.expect_sent(1)[0], abc);
  // An ACK of what was never sent, from a third MAC: answered where it came from, not followed.
  const net::mac_address stranger{{0x02, 0, 0, 0, 0, 0x33}};
  f.script.send_frame(from(client.segment(ack, iss, 3, 1'000'000), stranger));
  CHECK(f.stats.tcp_out_of_window_acks.read() == 1);
  // The peer restarted behind another MAC (a memif server, a VF, a router's failover) and, facing
  // a closed window, probes below RCV.NXT: out of the window, yet its ACK is acceptable.
  const net::mac_address moved{{0x02, 0, 0, 0, 0, 0x11}};
  f.script.send_frame(from(client.segment(ack, iss, 2, 0), moved));
  CHECK(f.stats.tcp_out_of_window_acks.read() == 2);
  // The retransmission of "abc" goes to the MAC the peer sends from now.
  f.script.advance_and_poll(1'100'000'000);
  const auto out = f.sink.take();
  REQUIRE(out.size() == 1);
  const decoded_frame again = decode_tcp_frame(out[0]);
  CHECK(again.eth_destination == moved);
  CHECK(again.tcp.sequence.raw() == iss + 1);
  CHECK(again.payload_length == 3);
}

TEST_CASE("link restored: a backed-off retransmission goes at once, once, then the RTO of the samples",
          "[unit][tcp]") {
  app_fixture f;
  f.app.echo = true;
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  f.script.send(with(client.segment(ack | psh, iss), "abc"));
  f.script.expect_sent(1);
  f.script.advance_and_poll(50'000'000);
  f.script.send(ack_at(client, iss, 3, 3, 60000));  // SRTT 50 ms: RTO 200 ms (the floor)
  f.tcp.link_restored(f.script.now());
  f.script.advance_and_poll(0);
  f.script.expect_sent_nothing();  // nothing in flight: nothing to send again

  // The link goes down: "def" is lost at 0.2, 0.6, 1.4 and 3 s; the next try would be 3.2 s later.
  f.script.send(with(client.segment(ack | psh, iss, 3, 3), "def"));
  const expected_segment def = ours(iss + 4, client.isn + 7, ack | psh, "def");
  expect_segment(f.script.expect_sent(1)[0], def);
  for (const std::uint64_t rto_ms : {200, 400, 800, 1600}) {
    f.script.advance_and_poll((rto_ms + 2) * 1'000'000);  // + 2 ms: deadlines round up to a wheel tick
    expect_segment(f.script.expect_sent(1)[0], def);
  }
  const tcp::connection* c = f.tcp.find(key_of(client));
  REQUIRE(c != nullptr);
  CHECK(c->rtt.rto_us() == 3'200'000);

  // Up again 1 s later: sent at the next poll, with the RTO of the samples, backed off once.
  f.script.advance_and_poll(1'000'000'000);
  f.script.expect_sent_nothing();
  f.tcp.link_restored(f.script.now());
  f.script.advance_and_poll(0);
  expect_segment(f.script.expect_sent(1)[0], def);
  CHECK(c->rtt.rto_us() == 400'000);
  CHECK(f.stats.tcp_rto_expiries.read() == 5);
  // No storm: the next try follows that RTO (a peer still silent), not the poll.
  f.script.advance_and_poll(398'000'000);
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(4'000'000);
  expect_segment(f.script.expect_sent(1)[0], def);
  f.script.send(ack_at(client, iss, 6, 6, 60000));
  f.script.advance_and_poll(4'000'000'000);
  f.script.expect_sent_nothing();
  CHECK(f.stats.tcp_rto_expiries.read() == 6);
}

TEST_CASE("link restored: a backed-off zero-window probe goes at once, then the usual schedule", "[unit][tcp]") {
  app_fixture f;
  const std::string text = pattern(1500);
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = probe_a_zero_window(f, client, text);
  const expected_segment probe = ours(iss + 1, client.isn + 3, ack, text.substr(0, 1));
  f.script.advance_and_poll(2'002'000'000);
  expect_segment(f.script.expect_sent(1)[0], probe);  // backed off: the next in 4 s
  f.script.advance_and_poll(1'000'000'000);
  f.tcp.link_restored(f.script.now());
  f.script.advance_and_poll(0);
  expect_segment(f.script.expect_sent(1)[0], probe);
  // Without an RTT sample, the initial RTO (1 s), backed off once by that probe.
  f.script.advance_and_poll(1'996'000'000);
  f.script.expect_sent_nothing();
  f.script.advance_and_poll(8'000'000);
  expect_segment(f.script.expect_sent(1)[0], probe);
  CHECK(f.stats.tcp_zero_window_probes.read() == 4);
}

TEST_CASE("persist: a zero window is probed with one byte, with back-off, until it opens", "[unit][tcp]") {
  app_fixture f;
  const std::string text = pattern(1500);
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = probe_a_zero_window(f, client, text);
  CHECK(f.stats.tcp_zero_window_received.read() == 1);
  const expected_segment probe = ours(iss + 1, client.isn + 3, ack, text.substr(0, 1));
  CHECK(f.stats.tcp_zero_window_probes.read() == 1);
  f.script.advance_and_poll(1'996'000'000);
  f.script.expect_sent_nothing();  // backed off to 2 s
  f.script.advance_and_poll(8'000'000);
  expect_segment(f.script.expect_sent(1)[0], probe);
  // The window opens (the probe byte acknowledged): the rest flows.
  f.script.send(ack_at(client, iss, 2, 1, 60000));
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 2, client.isn + 3, ack, text.substr(1, 1300)));
  f.script.send(ack_at(client, iss, 2, 1301, 60000));  // Nagle held the 199-byte tail until now
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1302, client.isn + 3, ack | psh, text.substr(1301)));
  CHECK(f.stats.tcp_retransmitted_segments.read() == 1);  // the second probe
}

TEST_CASE("persist: our ACKs stay at the edge of a zero window while the probe's byte is out",
          "[unit][tcp]") {
  // The probe's byte went beyond the client's zero window (SND.NXT = SND.UNA + 1). A receiver
  // with RCV.WND = 0 accepts only SEG.SEQ = RCV.NXT (RFC 9293 §3.10.7.4), so an ACK at SND.NXT
  // would be dropped unread: the client would never learn that its data arrived, and would
  // retransmit it while its own window stays shut (a Linux echo server blocked in send).
  app_fixture f;
  const std::string text = pattern(1500);
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = probe_a_zero_window(f, client, text);

  // Its "go" again (an out-of-window duplicate), then new data: both ACKs at SND.UNA.
  tcp_segment_spec again = with(ack_at(client, iss, 0, 0, 0), "go");
  f.script.send(again);
  expect_segment(f.script.expect_reply(), ours(iss + 1, client.isn + 3, ack));
  f.script.send(with(ack_at(client, iss, 2, 0, 0), "more"));
  f.script.advance_and_poll(50'000'000);
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 7, ack));
  // An abort's RST, too: RFC 5961 §3.2 peers take a RST only at RCV.NXT.
  f.app.on_data_do = [](tcp::stream& s, tcp::data_view) { s.abort(); };
  f.script.send(with(ack_at(client, iss, 6, 0, 0), "!"));
  expect_segment(f.script.expect_sent(1)[0], reset(iss + 1));
}

TEST_CASE("send buffer: bounded by tcp.send_buffer; on_writable once the peer acknowledges", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.send_buffer = 4000;
  app_fixture f{settings};
  const std::string text = pattern(10000);
  std::size_t accepted = 0;
  f.app.on_open_do = [&](tcp::stream& s) {
    accepted = s.send(as_span(text));
    CHECK(s.send_space() == 0);
  };
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  CHECK(accepted == 4000);
  CHECK(f.stats.tcp_send_buffer_full.read() == 1);
  const auto out = f.script.expect_sent(3);  // 3 x 1300; the 100-byte tail waits for an ACK (Nagle)
  for (std::uint32_t i = 0; i < 3; ++i) {
    expect_segment(out[i], ours(iss + 1 + i * 1300, client.isn + 1, ack, text.substr(i * 1300, 1300)));
  }
  f.script.send(ack_at(client, iss, 0, 2600, 60000));
  CHECK(f.app.writable == 1);
  f.script.expect_sent_nothing();  // 1300 bytes still in flight: Nagle holds the tail
}

TEST_CASE("on_writable: the ACK that frees the send buffer wakes the app also on out-of-order data",
          "[unit][tcp]") {
  // The client acknowledges everything in flight on a segment whose text goes to the
  // out-of-order queue (one before it was lost): that was the last ACK owed, so unless the app
  // hears on_writable now it never does, and what it holds back (a proxy's relayed bytes)
  // stays held while its peer waits.
  tcp::tcp_settings settings = test_settings();
  settings.send_buffer = 3900;
  app_fixture f{settings};
  const std::string text = pattern(10000);
  std::size_t accepted = 0;
  f.app.on_open_do = [&](tcp::stream& s) { accepted = s.send(as_span(text)); };
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  REQUIRE(accepted == 3900);
  f.script.expect_sent(3);  // 3 x 1300: the whole send buffer in flight
  f.script.send(with(ack_at(client, iss, 100, 3900, 60000), "after a hole"));
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 3901, client.isn + 1, ack));  // the duplicate ACK
  CHECK(f.app.writable == 1);
  CHECK(f.stats.tcp_out_of_order.read() == 1);
}

TEST_CASE("a full pool or TX staging loses nothing: the data leaves on a later turn", "[unit][tcp]") {
  app_fixture f;
  const std::string text = pattern(2600);
  f.app.on_open_do = [&](tcp::stream& s) { s.send(as_span(text)); };
  const bool pool_empty = GENERATE(true, false);
  const tcp_client client = sized_client(1300, 60000);
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  if (pool_empty) {
    f.buffers.set_limit(f.buffers.in_use() + 3);  // the received frame and the send queue's two chunks
  } else {
    f.sink.refuse(true);
  }
  f.script.send(client.ack_of(syn_ack));
  f.script.expect_sent_nothing();
  CHECK((pool_empty ? f.stats.tcp_tx_no_buffer.read() : f.stats.tcp_tx_staging_full.read()) >= 1);
  f.buffers.set_limit(1 << 20);
  f.sink.refuse(false);
  f.script.advance_and_poll(3'000'000);
  const auto out = f.script.expect_sent(2);
  const std::uint32_t iss = syn_ack.tcp.sequence.raw();
  expect_segment(out[0], ours(iss + 1, client.isn + 1, ack, text.substr(0, 1300)));
  expect_segment(out[1], ours(iss + 1301, client.isn + 1, ack | psh, text.substr(1300)));
}

TEST_CASE("a full TX staging retries within a tick even when a delayed ACK is due later", "[unit][tcp]") {
  // fuzz_tcp_stream, test/fuzz/regressions/tcp_stream/: the retry deadline was set only when no
  // delayed ACK was pending, so a reply blocked right after received data waited delayed_ack_ns.
  app_fixture f;
  f.app.echo = true;
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  f.sink.refuse(true);
  f.script.send(with(client.segment(ack, iss), "ping"));  // one segment: its ACK is delayed
  f.script.expect_sent_nothing();
  CHECK(f.stats.tcp_tx_staging_full.read() >= 1);
  f.sink.refuse(false);
  f.script.advance_and_poll(2'000'000);  // well before the 40 ms delayed ACK
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 5, ack | psh, "ping"));
}

TEST_CASE("receive window: data the app holds closes it; a release reopens it with an update", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.receive_window = 3000;
  settings.send_buffer = 1000;
  app_fixture f{settings};
  f.app.hold = true;
  f.app.release_on_writable = true;
  const std::string text = pattern(2000);
  f.app.on_open_do = [&](tcp::stream& s) { CHECK(s.send(as_span(text)) == 1000); };  // < MSS, nothing in flight: sent
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 1, ack | psh, text.substr(0, 1000), 3000));
  f.script.send(with(client.segment(ack, iss), pattern(1000)));
  f.script.send(with(client.segment(ack, iss, 1000), pattern(1000)));
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1001, client.isn + 2001, ack, "", 1000));  // 3000 - 2000 held
  f.script.send(with(client.segment(ack, iss, 2000), pattern(1000)));
  f.script.advance_and_poll(50'000'000);
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1001, client.isn + 3001, ack, "", 0));
  // Beyond a zero window: not accepted, answered with an ACK.
  f.script.send(with(client.segment(ack, iss, 3000), "x"));
  expect_segment(f.script.expect_reply(), ours(iss + 1001, client.isn + 3001, ack, "", 0));
  CHECK(f.app.received.size() == 3000);
  // The peer acknowledges our data: on_writable, the app releases what it held, the window
  // reopens and an update tells the peer.
  f.script.send(ack_at(client, iss, 3000, 1000, 60000));
  CHECK(f.app.writable == 1);
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1001, client.isn + 3001, ack, "", 3000));
  CHECK(f.stats.tcp_window_updates_sent.read() == 1);
}

TEST_CASE("abort: the app's RST, its on_close(aborted), nothing left behind", "[unit][tcp]") {
  app_fixture f;
  f.app.on_data_do = [](tcp::stream& s, tcp::data_view) { s.abort(); };
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  f.script.send(with(client.segment(ack, iss), "bad request"));
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0], reset(iss + 1));
  REQUIRE(f.app.closed.size() == 1);
  CHECK(f.app.closed[0] == close_reason::aborted);
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.stats.tcp_closed_aborted.read() == 1);
}

TEST_CASE("idle timeout: a silent connection is reset and its app told", "[unit][tcp]") {
  auto listeners = test_listeners();
  listeners[0].idle_timeout_ns = 5'000'000'000;
  app_fixture f{test_settings(), listeners};
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  f.script.advance_and_poll(4'000'000'000);
  f.script.send(with(client.segment(ack, iss), "still here"));  // restarts the clock
  f.script.advance_and_poll(4'900'000'000);
  CHECK(f.tcp.connection_count() == 1);
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 11, ack));  // the delayed ACK of the data
  f.script.advance_and_poll(200'000'000);
  expect_segment(f.script.expect_sent(1)[0], reset(iss + 1));
  REQUIRE(f.app.closed.size() == 1);
  CHECK(f.app.closed[0] == close_reason::idle_timeout);
  CHECK(f.stats.tcp_closed_idle.read() == 1);
}

TEST_CASE("shutdown: every connection is reset and its app told close_reason::shutdown", "[unit][tcp]") {
  app_fixture f;
  f.app.on_open_do = [](tcp::stream& s) { s.send(std::as_bytes(std::span{"queued", 6})); };
  const tcp_client a = sized_client(1300, 0);  // a zero window keeps the data queued
  const std::uint32_t iss = open(f, a);
  f.tcp.shutdown(f.script.now());
  expect_segment(f.script.expect_sent(1)[0], reset(iss + 1));
  REQUIRE(f.app.closed.size() == 1);
  CHECK(f.app.closed[0] == close_reason::shutdown);
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.buffers.in_use() == 0);
}

TEST_CASE("zero-copy send: a buffer the app filled leaves as it is; refused when it does not fit", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.send_buffer = 3000;
  app_fixture f{settings};
  bool refused = false;
  f.app.on_open_do = [&](tcp::stream& s) {
    auto b = s.allocate_buffer();
    REQUIRE(b);
    const std::string text = pattern(1200);
    REQUIRE(b->capacity >= text.size());
    std::memcpy(b->data, text.data(), text.size());
    b->length = static_cast<std::uint16_t>(text.size());
    CHECK(s.send_buffer(*b));
    CHECK(s.send_space() == 1800);
    // A second one that does not fit stays the app's: it gives it back itself.
    auto c = s.allocate_buffer();
    REQUIRE(c);
    c->length = 1900;
    refused = !s.send_buffer(*c);
    f.buffers.release(c->handle);
  };
  const tcp_client client = sized_client(1300, 60000);
  const std::uint32_t iss = open(f, client);
  CHECK(refused);
  expect_segment(f.script.expect_sent(1)[0], ours(iss + 1, client.isn + 1, ack | psh, pattern(1200)));
  f.script.send(ack_at(client, iss, 0, 1200, 60000));
  CHECK(f.tcp.find(key_of(client))->sendq.empty());
}

TEST_CASE("shutdown in batches: a limit per call, the count left returned", "[unit][tcp]") {
  app_fixture f;
  std::map<std::uint16_t, std::uint32_t> iss_of;  // by the client's port
  for (std::uint16_t port = 41000; port < 41005; ++port) {
    tcp_client c = sized_client(1300, 60000);
    c.base.source_port = port;
    iss_of[port] = open(f, c);
  }
  CHECK(f.tcp.connection_count() == 5);
  // One RST per connection, in the table's order: each matched to its connection by port.
  const auto expect_resets = [&](std::size_t n) {
    for (const decoded_frame& d : f.script.expect_sent(n)) {
      const auto it = iss_of.find(d.tcp.destination_port);
      REQUIRE(it != iss_of.end());
      expect_segment(d, reset(it->second + 1, it->first));
      iss_of.erase(it);
    }
  };
  CHECK(f.tcp.shutdown(f.script.now(), 2) == 3);
  expect_resets(2);
  CHECK(f.tcp.shutdown(f.script.now(), 2) == 1);
  CHECK(f.tcp.shutdown(f.script.now(), 2) == 0);
  expect_resets(3);
  CHECK(iss_of.empty());
  CHECK(f.app.closed.size() == 5);
  CHECK(f.stats.tcp_closed_shutdown.read() == 5);
}
