// RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN) on the stateless listener path: the exact
// reply to every kind of segment (compared whole: expect_segment), or the drop reason, and the
// counters.
#include <catch2/catch.hpp>

#include "cookie/syn_cookie.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;

namespace {

// The cookie SYN-ACK to full_client(): the cookie as ISN, the SYN acknowledged, the window of
// test_settings() unscaled (RFC 7323 §2.2: never scaled in a SYN), our MSS (not the client's),
// then SACK-permitted, Timestamps echoing the SYN's TSval (ours carries the client's options:
// checked by decoding it) and our window scale.
expected_segment cookie_syn_ack(const tcp_client& client) {
  return {.sequence = any,
          .acknowledgment = client.isn + 1,
          .flags = syn | ack,
          .window = 65535,
          .options = {option::mss(1460), option::sack_permitted(), option::timestamps(any, 5000),
                      option::window_scale(7)}};
}

}  // namespace

TEST_CASE("closed port: a segment with ACK gets <SEQ=SEG.ACK><CTL=RST>", "[unit][tcp]") {
  tcp_fixture f;
  tcp_segment_spec s;
  s.destination_port = 81;
  s.sequence = 100;
  s.acknowledgment = 0xdeadbeef;
  s.flags = ack;
  s.payload.assign(10, std::byte{'x'});
  f.script.send(s);
  // From the port it was sent to, no ACK, a zero window, no option, no data.
  expect_segment(f.script.expect_reply(),
                 {.source_port = 81, .sequence = 0xdeadbeef, .acknowledgment = 0, .flags = rst, .window = 0});
  CHECK(f.stats.tcp_rst_sent.read() == 1);
}

TEST_CASE("closed port: SYN and FIN count in SEG.LEN of <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>",
          "[unit][tcp]") {
  tcp_fixture f;
  tcp_segment_spec s;
  s.destination_port = 81;
  s.sequence = 0xfffffffe;  // wraps
  const auto reset_acknowledging = [](std::uint32_t acknowledgment) {
    return expected_segment{
        .source_port = 81, .sequence = 0, .acknowledgment = acknowledgment, .flags = rst | ack, .window = 0};
  };
  SECTION("SYN") {
    s.flags = syn;
    f.script.send(s);
    expect_segment(f.script.expect_reply(), reset_acknowledging(0xffffffff));
  }
  SECTION("FIN with 3 data bytes") {
    s.flags = fin;
    s.payload.assign(3, std::byte{1});
    f.script.send(s);
    expect_segment(f.script.expect_reply(), reset_acknowledging(2));  // 0xfffffffe + 3 + 1, mod 2^32
  }
  SECTION("no flags at all") {
    s.flags = 0;
    f.script.send(s);
    expect_segment(f.script.expect_reply(), reset_acknowledging(0xfffffffe));
  }
  CHECK(f.stats.tcp_syn_received.read() == 0);  // not a listener's SYN
}

TEST_CASE("a RST to a closed or listening port is dropped, never answered", "[unit][tcp]") {
  tcp_fixture f;
  tcp_segment_spec s;
  s.flags = rst | ack;
  s.destination_port = GENERATE(80, 81);
  f.script.send(s);
  f.script.expect_drop(drop_reason::tcp_rst_no_connection);
  CHECK(f.stats.tcp_rst_sent.read() == 0);
}

TEST_CASE("listener: SYN gets a cookie SYN-ACK built in the received frame", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = full_client();
  f.script.send(client.syn());
  const auto r = f.script.expect_reply();
  expect_segment(r, cookie_syn_ack(client));
  REQUIRE(r.options.timestamps);
  // Our TSval carries the client's options (cookie module layout) and is not ahead of our clock.
  const auto decoded = cookie::decode_tsecr(r.options.timestamps->value);
  CHECK(decoded.window_scale == std::optional<std::uint8_t>{8});
  CHECK(decoded.sack_permitted);
  CHECK(r.options.timestamps->value <= static_cast<std::uint32_t>(t0_ns / 1'000'000));
  CHECK(f.stats.tcp_syn_received.read() == 1);
  CHECK(f.stats.tcp_syncookies_sent.read() == 1);
  CHECK(f.tcp.connection_count() == 0);  // stateless
}

TEST_CASE("listener: without timestamps the cookie SYN-ACK offers only MSS", "[unit][tcp]") {
  tcp_fixture f;
  tcp_client client = full_client();
  client.base.options.timestamps.reset();
  f.script.send(client.syn());
  expected_segment mss_only = cookie_syn_ack(client);
  mss_only.options = {option::mss(1460)};
  expect_segment(f.script.expect_reply(), mss_only);
}

TEST_CASE("listener: a retransmitted SYN gets the identical SYN-ACK", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = full_client();
  f.script.send(client.syn());
  expect_segment(f.script.expect_reply(), cookie_syn_ack(client));
  const std::vector<std::byte> first_bytes(f.script.frame_bytes().begin(), f.script.frame_bytes().end());
  f.script.send(client.syn());
  f.script.expect_reply();
  const std::vector<std::byte> second_bytes(f.script.frame_bytes().begin(), f.script.frame_bytes().end());
  // The IPv4 ID differs (a fresh datagram); everything from the TCP header on is identical.
  CHECK(std::equal(first_bytes.begin() + 34, first_bytes.end(), second_bytes.begin() + 34, second_bytes.end()));
}

TEST_CASE("listener: SYN with data is answered without ACKing the data", "[unit][tcp]") {
  tcp_fixture f;
  tcp_client client = full_client();
  tcp_segment_spec s = client.syn();
  s.payload.assign(100, std::byte{'d'});
  f.script.send(s);
  expect_segment(f.script.expect_reply(), cookie_syn_ack(client));
}

TEST_CASE("listener: SYN+ACK gets <SEQ=SEG.ACK><CTL=RST>", "[unit][tcp]") {
  tcp_fixture f;
  tcp_segment_spec s;
  s.flags = syn | ack;
  s.sequence = 5;
  s.acknowledgment = 777;
  f.script.send(s);
  expect_segment(f.script.expect_reply(), {.sequence = 777, .acknowledgment = 0, .flags = rst, .window = 0});
}

TEST_CASE("listener: FIN or no-flag segments are dropped", "[unit][tcp]") {
  tcp_fixture f;
  tcp_segment_spec s;
  s.flags = GENERATE(std::uint8_t{fin}, std::uint8_t{0}, std::uint8_t{net::tcp_flag::psh | fin});
  f.script.send(s);
  f.script.expect_drop(drop_reason::tcp_no_syn_or_ack);
  CHECK(f.stats.dropped.read() == 1);  // tcp_input_burst counts its drops itself
}

TEST_CASE("handshake: SYN, SYN-ACK, ACK opens a connection with the negotiated options", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = full_client();
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  f.script.advance(1'000'000'000);
  f.script.send(client.ack_of(syn_ack));
  f.script.expect_consumed();
  const tcp::connection* c = f.tcp.find(key_of(client));
  REQUIRE(c != nullptr);
  CHECK(c->state == tcp::tcp_state::established);
  CHECK(c->peer_mss == 1300);  // 1400 rounded down to the cookie MSS table
  CHECK(c->window_scaling);
  CHECK(c->snd_wscale == 8);
  CHECK(c->rcv_wscale == 7);
  CHECK(c->sack_permitted);
  CHECK(c->timestamps);
  CHECK(c->ts_recent == 5001);
  CHECK(c->listener == 0);
  CHECK(c->iss.raw() == syn_ack.tcp.sequence.raw());
  CHECK(c->rcv_nxt.raw() == client.isn + 1);
  CHECK(c->snd_nxt.raw() == syn_ack.tcp.sequence.raw() + 1);
  CHECK(f.stats.tcp_syncookies_validated.read() == 1);
  CHECK(f.stats.tcp_connections_opened.read() == 1);
  CHECK(f.stats.tcp_connections_active.read() == 1);
}

TEST_CASE("handshake: the ACK on another lcore with the same keys opens the connection there",
          "[unit][tcp]") {
  tcp_fixture a;
  tcp_fixture b;
  const tcp_client client = full_client();
  a.script.send(client.syn());
  const auto syn_ack = a.script.expect_reply();
  b.script.send(client.ack_of(syn_ack));
  b.script.expect_consumed();
  CHECK(b.tcp.find(key_of(client)) != nullptr);
  CHECK(a.tcp.find(key_of(client)) == nullptr);
}

TEST_CASE("handshake: forged, altered or expired ACKs get RST and open nothing", "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client client = full_client();
  f.script.send(client.syn());
  const auto syn_ack = f.script.expect_reply();
  tcp_segment_spec bad = client.ack_of(syn_ack);
  SECTION("forged ACK number") {
    bad.acknowledgment ^= 0x00010000;
    f.script.send(bad);
    CHECK(f.stats.tcp_cookie_bad_hash.read() == 1);
  }
  SECTION("altered client sequence number") {
    // Below the ISN + 1 the SYN-ACK acknowledged (one beyond it would be a segment overtaking
    // the ACK, which the listener checks with the remembered ISN: cookie_reordering_test.cc).
    bad.sequence -= 1;
    f.script.send(bad);
    CHECK(f.stats.tcp_cookie_bad_hash.read() == 1);
  }
  SECTION("options altered in TSecr") {
    bad.options.timestamps->echo_reply ^= 0x10;  // flips SACK-permitted
    f.script.send(bad);
    CHECK(f.stats.tcp_cookie_bad_hash.read() == 1);
  }
  SECTION("other source port") {
    bad.source_port += 1;
    f.script.send(bad);
    CHECK(f.stats.tcp_cookie_bad_hash.read() == 1);
  }
  SECTION("after the validity window") {
    f.script.advance(5 * cookie::tick_ns);
    f.tcp.update_keys(test_keys(f.script.now()));
    f.script.send(bad);
    CHECK(f.stats.tcp_cookie_expired.read() == 1);
  }
  expect_segment(f.script.expect_reply(), {.destination_port = bad.source_port,
                                           .sequence = bad.acknowledgment,
                                           .acknowledgment = 0,
                                           .flags = rst,
                                           .window = 0});
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.stats.tcp_connections_opened.read() == 0);
  CHECK(f.stats.tcp_rst_sent.read() == 1);
}

TEST_CASE("handshake: a full table refuses with RST and keeps existing connections", "[unit][tcp]") {
  tcp_fixture f{test_settings(tcp::cookie_mode::always, 2)};
  for (std::uint16_t port = 40000; port < 40002; ++port) {
    const tcp_client c = full_client(port);
    f.script.send(c.syn());
    f.script.send(c.ack_of(f.script.expect_reply()));
    f.script.expect_consumed();
  }
  REQUIRE(f.tcp.connection_count() == 2);
  const tcp_client third = full_client(40002);
  f.script.send(third.syn());
  const auto syn_ack = f.script.expect_reply();
  f.script.send(third.ack_of(syn_ack));
  expect_segment(f.script.expect_reply(), {.destination_port = 40002,
                                           .sequence = syn_ack.tcp.sequence.raw() + 1,
                                           .acknowledgment = 0,
                                           .flags = rst,
                                           .window = 0});
  CHECK(f.stats.tcp_table_full_refusals.read() == 1);
  CHECK(f.tcp.connection_count() == 2);
  CHECK(f.tcp.find(key_of(full_client(40000))) != nullptr);
  CHECK(f.tcp.find(key_of(full_client(40001))) != nullptr);
  CHECK(f.tcp.find(key_of(third)) == nullptr);
}

TEST_CASE("validation: truncated, bad data offset, bad checksum, bad options", "[unit][tcp]") {
  tcp_fixture f;
  std::vector<std::byte> frame = build_tcp_frame(full_client().syn());
  SECTION("truncated") {
    // IPv4 total length says 10 bytes of TCP: fix the IP checksum so only TCP is at fault.
    net::store_be16(frame.data() + 14 + 2, 30);
    net::store_be16(frame.data() + 14 + 10, 0);
    net::store_be16(frame.data() + 14 + 10, net::internet_checksum({frame.data() + 14, 20}));
    f.script.send_frame(frame);
    f.script.expect_drop(drop_reason::tcp_truncated);
  }
  SECTION("checksum") {
    frame[34 + 4] ^= std::byte{1};  // sequence number bit, checksum left as it was
    f.script.send_frame(frame);
    f.script.expect_drop(drop_reason::tcp_bad_checksum);
  }
  SECTION("data offset") {
    frame[34 + 12] = std::byte{0x40};  // 4 words
    f.script.send_frame(frame);
    f.script.expect_drop(drop_reason::tcp_bad_data_offset);
  }
  SECTION("options") {
    frame[34 + 20 + 1] = std::byte{1};  // MSS option length 1
    f.script.send_frame(frame);
    f.script.expect_drop(drop_reason::tcp_bad_options);
  }
  CHECK(f.stats.tcp_syn_received.read() == 0);
}

TEST_CASE("checksum offload: the reply leaves both checksums to the NIC", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.offload = {true, true};
  tcp_fixture f{settings};
  f.script.send(full_client().syn());
  REQUIRE(f.script.frame().offload.ipv4_checksum);
  REQUIRE(f.script.frame().offload.tcp_checksum);
  CHECK(f.script.frame().offload.l2_length == 14);
  CHECK(f.script.frame().offload.l3_length == 20);
  const std::span<const std::byte> bytes = f.script.frame_bytes();
  CHECK(net::load_be16(bytes.data() + 14 + 10) == 0);  // RTE_MBUF_F_TX_IP_CKSUM wants zero
  // RTE_MBUF_F_TX_TCP_CKSUM wants the pseudo-header sum, folded, not complemented.
  // (decode_tcp_frame would refuse the frame: its IPv4 checksum is the NIC's to fill.)
  const auto l4_length = static_cast<std::uint16_t>(net::load_be16(bytes.data() + 14 + 2) - 20);
  CHECK(l4_length == 40);  // 20 + MSS 4 + SACK-permitted/TS 12 + WS 4
  const tcp_segment_spec syn = full_client().syn();
  CHECK(net::load_be16(bytes.data() + 34 + 16) ==
        net::checksum_fold(net::ipv4_pseudo_header_sum(syn.destination, syn.source, 6, l4_length)));
}
