// A segment of the client's first flight that overtakes the handshake's ACK, in cookie mode
// always: the listener checks its cookie with the ISN remembered from the SYN (recent_cookies.hh,
// RFC 4987 §3.6), opens the connection with the segment queued out of order (RFC 9293 §3.10.7.4)
// and TS.Recent from the SYN (RFC 7323 §4.3); and every case where it must still answer RST.
// Whole segments compared; app_fixture checks that no buffer is left in use.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using tcp::close_reason;
using tcp::tcp_state;

namespace {

// The client's first flight after a cookie SYN-ACK: segments of `text` at their offsets, each
// with the TSval the client's clock gives it (the SYN had 5000, the ACK ack_of builds 5001).
struct first_flight {
  const tcp_client& client;
  decoded_frame syn_ack;
  std::string text;

  std::uint32_t iss() const { return syn_ack.tcp.sequence.raw(); }
  tcp_segment_spec data(std::uint32_t offset, std::uint32_t length, std::uint32_t tsval) const {
    tcp_segment_spec s = client.segment(ack | psh, iss(), offset);
    if (client.base.options.timestamps) {
      s.options.timestamps = net::tcp_timestamps{tsval, syn_ack.options.timestamps->value};
    }
    s.payload = bytes_of(text.substr(offset, length));
    return s;
  }
};

std::string flight_text() {
  std::string s;
  for (int i = 0; i < 300; ++i) {
    s.push_back(static_cast<char>('a' + i % 23));
  }
  return s;
}

// The client's SYN, answered with a cookie SYN-ACK: the flight that follows it.
first_flight after_syn(app_fixture& f, const tcp_client& client) {
  f.script.send(client.syn());
  return first_flight{client, f.script.expect_reply(), flight_text()};
}

// Our ACK, whole: <SEQ=ISS+1><ACK=ack_number><CTL=ACK>, the window of a fresh connection
// (receive_window 262140 >> 7 when scaled, else 65535), no data, and exactly these options:
// Timestamps <TSval=our clock in ms><TSecr=tsecr> when the connection has them, the SACK blocks.
void expect_ack(const decoded_frame& d, const first_flight& flight, std::uint64_t now_ns, std::uint32_t ack_number,
                const std::vector<net::sack_block>& blocks, std::optional<std::uint32_t> tsecr) {
  expected_segment ours{.destination_port = flight.client.base.source_port,
                        .sequence = flight.iss() + 1,
                        .acknowledgment = ack_number,
                        .flags = ack,
                        .window = static_cast<std::uint16_t>(tsecr ? 262140 >> 7 : 65535)};
  if (tsecr) {
    ours.options.push_back(option::timestamps(static_cast<std::uint32_t>(now_ns / 1'000'000), *tsecr));
  }
  if (!blocks.empty()) {
    ours.options.push_back(option::sack(blocks));
  }
  expect_segment(d, ours);
}

// The RST answering a segment to LISTEN: <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2), nothing
// else: no ACK, a zero window, no option.
void expect_rst(const decoded_frame& d, const tcp_segment_spec& seg) {
  expect_segment(d, {.destination_port = seg.source_port,
                     .sequence = seg.acknowledgment,
                     .acknowledgment = 0,
                     .flags = rst,
                     .window = 0});
}

// A source port for which `client`'s tuple and the returned one share a slot of the lcore's memory.
std::uint16_t port_sharing_slot_with(const tcp_fixture& f, const tcp_client& client) {
  const tcp::recent_cookies& memory = f.tcp.recent_cookie_memory();
  const std::uint32_t slot = memory.slot_of(f.tcp.table().hash(key_of(client)));
  tcp_client other = client;
  for (std::uint32_t port = 1024; port <= 65535; ++port) {
    other.base.source_port = static_cast<std::uint16_t>(port);
    if (port != client.base.source_port && memory.slot_of(f.tcp.table().hash(key_of(other))) == slot) {
      return other.base.source_port;
    }
  }
  FAIL("no port shares the slot");
  return 0;
}

tcp_client plain_client() {
  tcp_client c;
  c.base.options.mss = 1400;  // no Timestamps: a cookie keeps neither SACK nor window scale
  c.isn = 77000;
  return c;
}

}  // namespace

TEST_CASE("cookie reordering: the second segment first opens the connection, queued, and the rest completes it",
          "[unit][tcp][cookie_reordering]") {
  const bool timestamps = GENERATE(true, false);
  INFO("client timestamps " << timestamps);
  app_fixture f;
  const tcp_client client = timestamps ? full_client() : plain_client();
  const first_flight flight = after_syn(f, client);
  f.script.advance(10'000'000);

  // Segment 2 of the flight overtakes the ACK and segment 1.
  const tcp_segment_spec second = flight.data(100, 100, 5003);
  f.script.send(second);
  f.script.expect_consumed();  // queued: its frame is held
  const tcp::connection* c = f.tcp.find(key_of(client));
  REQUIRE(c != nullptr);
  CHECK(c->state == tcp_state::established);
  CHECK(c->irs.raw() == client.isn);
  CHECK(c->rcv_nxt.raw() == client.isn + 1);
  CHECK(c->snd_una.raw() == flight.iss() + 1);
  CHECK(c->timestamps == timestamps);
  CHECK(c->sack_permitted == timestamps);
  if (timestamps) {
    CHECK(c->ts_recent == 5000);  // the SYN's TSval, not this segment's 5003
    CHECK(c->snd_wscale == 8);
    CHECK(c->peer_mss == 1300);
  }
  // The duplicate ACK for RCV.NXT = ISN + 1, with the segment SACKed when SACK was kept.
  const std::vector<net::sack_block> queued_block{{net::seq32{client.isn + 101}, net::seq32{client.isn + 201}}};
  expect_ack(f.script.expect_sent(1).front(), flight, f.script.now(), client.isn + 1,
             timestamps ? queued_block : std::vector<net::sack_block>{},
             timestamps ? std::optional<std::uint32_t>{5000} : std::nullopt);
  CHECK(f.app.opened == 1);
  CHECK(f.app.received.empty());
  CHECK(f.stats.tcp_syncookies_reordered.read() == 1);
  CHECK(f.stats.tcp_syncookies_validated.read() == 1);
  CHECK(f.stats.tcp_cookie_bad_hash.read() == 0);
  CHECK(f.stats.tcp_rst_sent.read() == 0);
  CHECK(f.stats.tcp_ooo_queued.read() == 1);
  CHECK(f.tcp.reassembly_in_use() == 1);

  // The handshake's ACK arrives late: an ordinary segment of the connection, PAWS lets it in.
  f.script.send(client.ack_of(flight.syn_ack));
  f.script.expect_consumed();
  f.script.expect_sent_nothing();
  CHECK(f.stats.tcp_paws_rejected.read() == 0);
  CHECK(f.stats.tcp_syncookies_validated.read() == 1);  // not a cookie check again

  // Segment 1 fills the hole: both reach the app in order, ACKed at once (RFC 5681 §4.2).
  f.script.send(flight.data(0, 100, 5002));
  f.script.expect_consumed();
  expect_ack(f.script.expect_sent(1).front(), flight, f.script.now(), client.isn + 201, {},
             timestamps ? std::optional<std::uint32_t>{5002} : std::nullopt);
  CHECK(f.app.received == flight.text.substr(0, 200));
  CHECK(f.stats.tcp_paws_rejected.read() == 0);
  CHECK(f.tcp.reassembly_in_use() == 0);

  // Segment 2 again (a retransmission): a duplicate, never delivered twice, answered at once with
  // its D-SACK when SACK was kept (RFC 2883); then segment 3 in order, its ACK delayed.
  f.script.send(second);
  const std::vector<net::sack_block> duplicate_block{
      {net::seq32{client.isn + 101}, net::seq32{client.isn + 201}}};
  expect_ack(f.script.expect_reply(), flight, f.script.now(), client.isn + 201,
             timestamps ? duplicate_block : std::vector<net::sack_block>{},
             timestamps ? std::optional<std::uint32_t>{5002} : std::nullopt);
  f.script.send(flight.data(200, 100, 5004));
  f.script.expect_consumed();
  f.script.expect_sent_nothing();
  CHECK(f.app.received == flight.text);
  CHECK(f.stats.tcp_connections_opened.read() == 1);
  CHECK(f.stats.tcp_syncookies_reordered.read() == 1);
  CHECK(f.stats.tcp_paws_rejected.read() == 0);
}

TEST_CASE("cookie reordering: the ACK lost, segment 1 after segment 2 completes the stream",
          "[unit][tcp][cookie_reordering]") {
  app_fixture f;
  const tcp_client client = full_client();
  const first_flight flight = after_syn(f, client);
  f.script.send(flight.data(100, 100, 5003));
  f.script.expect_consumed();
  const std::vector<net::sack_block> queued_block{{net::seq32{client.isn + 101}, net::seq32{client.isn + 201}}};
  expect_ack(f.script.expect_sent(1).front(), flight, f.script.now(), client.isn + 1, queued_block, 5000);
  f.script.send(flight.data(0, 100, 5002));  // TSval below 5003, above TS.Recent 5000
  f.script.expect_consumed();
  expect_ack(f.script.expect_sent(1).front(), flight, f.script.now(), client.isn + 201, {}, 5002);
  CHECK(f.app.received == flight.text.substr(0, 200));
  CHECK(f.stats.tcp_paws_rejected.read() == 0);
  CHECK(f.tcp.find(key_of(client))->ts_recent == 5002);  // RFC 7323 §4.3: from the segment at RCV.NXT
}

TEST_CASE("cookie reordering: what still gets the RST", "[unit][tcp][cookie_reordering]") {
  app_fixture f;
  const tcp_client client = full_client();
  const first_flight flight = after_syn(f, client);
  tcp_segment_spec late = flight.data(100, 100, 5003);
  // The RST as before the memory existed: bad hash, nothing opened.
  const auto expect_refused = [&](app_fixture& g) {
    expect_rst(g.script.expect_reply(), late);
    CHECK(g.stats.tcp_cookie_bad_hash.read() == 1);
    CHECK(g.stats.tcp_syncookies_reordered.read() == 0);
    CHECK(g.stats.tcp_rst_sent.read() == 1);
    CHECK(g.tcp.find(key_of(client)) == nullptr);
    CHECK(g.app.opened == 0);
  };

  SECTION("no memory of the SYN: another lcore with the same keys (or one restarted)") {
    app_fixture other;
    other.script.send(late);
    expect_refused(other);
  }
  SECTION("a forged ACK number") {
    late.acknowledgment ^= 0x0001'0000;
    f.script.send(late);
    expect_refused(f);
  }
  SECTION("SEG.SEQ beyond the window the SYN-ACK offered") {
    // 65535 unscaled: ISN + 1 + 65535 is the first sequence number outside it.
    late.sequence = client.isn + 1 + 65535;
    f.script.send(late);
    expect_refused(f);
  }
  SECTION("SEG.SEQ at ISN + 1 with a bad ACK number is not an overtaking segment") {
    late = flight.data(0, 100, 5002);
    late.acknowledgment += 1;
    f.script.send(late);
    expect_refused(f);
  }
  SECTION("the entry overwritten by another tuple's SYN") {
    tcp_client intruder = full_client();
    intruder.base.source_port = port_sharing_slot_with(f, client);
    f.script.send(intruder.syn());
    // Its SYN-ACK, compared whole in listener_path_test.cc.
    CHECK(f.script.expect_reply().tcp.flags == (net::tcp_flag::syn | ack));
    f.script.send(late);
    expect_refused(f);
  }
  // The cookie itself is untouched: the handshake's ACK still opens the connection here.
  f.script.send(client.ack_of(flight.syn_ack));
  f.script.expect_consumed();
  CHECK(f.tcp.find(key_of(client)) != nullptr);
}

TEST_CASE("cookie reordering: just inside the offered window opens", "[unit][tcp][cookie_reordering]") {
  app_fixture f;
  const tcp_client client = full_client();
  const first_flight flight = after_syn(f, client);
  tcp_segment_spec last = flight.data(0, 1, 5003);
  last.sequence = client.isn + 1 + 65534;  // the last octet of the offered window
  f.script.send(last);
  f.script.expect_consumed();
  const std::vector<net::sack_block> queued_block{{net::seq32{client.isn + 65535}, net::seq32{client.isn + 65536}}};
  expect_ack(f.script.expect_sent(1).front(), flight, f.script.now(), client.isn + 1, queued_block, 5000);
  CHECK(f.stats.tcp_syncookies_reordered.read() == 1);
  CHECK(f.tcp.find(key_of(client)) != nullptr);
}

TEST_CASE("cookie reordering: once a connection opened, the memory is forgotten", "[unit][tcp][cookie_reordering]") {
  app_fixture f;
  const tcp_client client = full_client();
  const first_flight flight = after_syn(f, client);
  SECTION("opened by the ACK, reset by the peer") {
    f.script.send(client.ack_of(flight.syn_ack));
    f.script.expect_consumed();
    f.script.send(client.segment(rst, flight.iss()));
    f.script.expect_consumed();
    CHECK(f.app.closed == std::vector{close_reason::reset});
  }
  // The app's abort: <SEQ=SND.NXT><CTL=RST>, without Timestamps, the window of the connection.
  const expected_segment abort_rst{
      .sequence = flight.iss() + 1, .acknowledgment = 0, .flags = rst, .window = 262140 >> 7};
  SECTION("opened by the ACK, aborted by the app") {
    f.app.on_open_do = [](tcp::stream& s) { s.abort(); };
    f.script.send(client.ack_of(flight.syn_ack));
    expect_segment(f.script.expect_sent(1).front(), abort_rst);
    CHECK(f.app.closed == std::vector{close_reason::aborted});
  }
  SECTION("opened by an overtaking segment, closed by the app's abort") {
    f.app.on_open_do = [](tcp::stream& s) { s.abort(); };
    f.script.send(flight.data(200, 100, 5004));
    expect_segment(f.script.expect_sent(1).front(), abort_rst);
    CHECK(f.app.closed == std::vector{close_reason::aborted});
    CHECK(f.stats.tcp_syncookies_reordered.read() == 1);
  }
  REQUIRE(f.tcp.connection_count() == 0);
  const std::uint64_t resets = f.stats.tcp_rst_sent.read();
  // Data the client still sends to the connection we no longer have meets the RST.
  const tcp_segment_spec late = flight.data(100, 100, 5003);
  f.script.send(late);
  expect_rst(f.script.expect_reply(), late);
  CHECK(f.stats.tcp_cookie_bad_hash.read() == 1);
  CHECK(f.stats.tcp_rst_sent.read() == resets + 1);
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.stats.tcp_connections_opened.read() == 1);
}
