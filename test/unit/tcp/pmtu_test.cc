// ICMP "fragmentation needed" (RFC 1191) after RFC 5927's checks, as scripted exchanges: a quote
// of a sequence number in flight lowers the connection's MSS and the data in flight leaves again
// in smaller segments; anything else (not in flight, no connection, a bogus or larger MTU, other
// ICMP errors) changes nothing and is counted. The last cases run whole frames through the
// pipeline with this lcore_tcp registered, as the engine does.
#include <catch2/catch.hpp>

#include "expect_segment.hh"
#include "packet_builder.hh"
#include "pipeline/pipeline.hh"
#include "fixture.hh"
#include "tcp/icmp_error_input.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::psh;
using stats::drop_reason;

namespace {

std::span<const std::byte> as_span(const std::string& s) { return std::as_bytes(std::span{s.data(), s.size()}); }

// A connection from a client with MSS 1460 and a large window whose app queued `n` bytes on open:
// two full segments leave (Nagle holds the short third while they are in flight).
struct sending_fixture : app_fixture {
  explicit sending_fixture(std::size_t n = 4000, bool timestamps = false) : text(n, 'x') {
    for (std::size_t i = 0; i < n; ++i) {
      text[i] = static_cast<char>('a' + i % 26);
    }
    app.on_open_do = [this](tcp::stream& s) { CHECK(s.send(as_span(text)) == text.size()); };
    client.base.options.mss = 1460;
    client.base.window = 60000;
    if (timestamps) {
      client.base.options.timestamps = net::tcp_timestamps{5000, 0};
    }
    iss = open_connection(*this, client);
    const std::uint32_t mss = timestamps ? 1448 : 1460;
    const auto out = script.expect_sent(2);
    expect_segment(out[0], data(0, mss));
    expect_segment(out[1], data(mss, mss));
  }

  // Our segment of `length` bytes of `text` from `offset`: the ACK of the handshake, the window
  // of test_settings() unscaled (no window scale offered), Timestamps when the client offered
  // them (TSval our clock in ms, TSecr the handshake ACK's 5001), PSH when it ends the text.
  expected_segment data(std::uint32_t offset, std::uint32_t length) const {
    expected_segment e{.sequence = iss + 1 + offset,
                       .acknowledgment = client.isn + 1,
                       .flags = static_cast<std::uint8_t>(offset + length == text.size() ? ack | psh : ack),
                       .window = 65535,
                       .payload = text.substr(offset, length)};
    if (client.base.options.timestamps) {
      e.options = {option::timestamps(static_cast<std::uint32_t>(script.now() / 1'000'000), 5001)};
    }
    return e;
  }

  // The quote of our segment `offset` bytes after SND.UNA's start, as a router sends it.
  net::icmp_quoted_tcp quote(std::uint32_t offset, std::uint16_t mtu, std::uint8_t type = 3,
                             std::uint8_t code = 4) const {
    net::icmp_quoted_tcp q;
    q.type = type;
    q.code = code;
    q.next_hop_mtu = mtu;
    q.source = client.base.destination;
    q.destination = client.base.source;
    q.source_port = client.base.destination_port;
    q.destination_port = client.base.source_port;
    q.sequence = net::seq32{iss + 1 + offset};
    return q;
  }
  packet::verdict icmp(const net::icmp_quoted_tcp& q) { return tcp.icmp_error_input(q, script.now()); }
  std::uint16_t peer_mss() const { return tcp.find(key_of(client))->peer_mss; }

  std::string text;
  tcp_client client;
  std::uint32_t iss = 0;
};

}  // namespace

TEST_CASE("frag needed for a segment in flight: smaller MSS, the flight sent again at the new size", "[unit][tcp]") {
  const bool timestamps = GENERATE(false, true);
  INFO("timestamps " << timestamps);
  sending_fixture f{4000, timestamps};
  // The second segment (offset 1460 or 1448) is what the router could not forward.
  const std::uint32_t first = timestamps ? 1448 : 1460;
  const packet::verdict v = f.icmp(f.quote(first, 1000));
  CHECK(v.what == packet::action::consume);
  CHECK(f.stats.icmp_frag_needed_applied.read() == 1);
  CHECK(f.peer_mss() == 960);
  // Go back to SND.UNA and re-cut: 960-byte segments (948 with timestamps) up to the window and
  // Nagle, covering what was in flight and then some; no congestion response holds them back.
  const std::uint32_t mss = timestamps ? 948 : 960;
  const auto out = f.script.expect_sent(4);
  for (std::uint32_t i = 0; i < out.size(); ++i) {
    expect_segment(out[i], f.data(i * mss, mss));
    CHECK(out[i].ip.total_length <= 1000);
  }
  CHECK(f.stats.tcp_retransmitted_segments.read() >= 3);
  // The peer acknowledges everything sent; the rest leaves at the new size too.
  f.script.send(f.client.segment(ack, f.iss, 0, 4 * mss));
  expect_segment(f.script.expect_sent(1)[0], f.data(4 * mss, 4000 - 4 * mss));
  // A second error with the same MTU changes nothing more.
  CHECK(f.icmp(f.quote(4 * mss, 1000)).reason == drop_reason::icmp_frag_needed_not_smaller);
  f.script.expect_sent_nothing();
}

TEST_CASE("frag needed for a sequence not in flight, or no connection: ignored, counted", "[unit][tcp]") {
  sending_fixture f;
  const auto ignored = [&](const net::icmp_quoted_tcp& q, drop_reason reason) {
    const packet::verdict v = f.icmp(q);
    CHECK(v.what == packet::action::drop);
    CHECK(v.reason == reason);
    f.script.expect_sent_nothing();
    CHECK(f.peer_mss() == 1460);
  };
  // RFC 5927 §4.1: SND.UNA <= seq < SND.NXT. In flight: [iss+1, iss+1+2920).
  ignored(f.quote(2920, 1000), drop_reason::icmp_frag_needed_not_in_flight);   // SND.NXT itself
  ignored(f.quote(100000, 1000), drop_reason::icmp_frag_needed_not_in_flight); // never sent
  ignored(f.quote(-1U, 1000), drop_reason::icmp_frag_needed_not_in_flight);    // our SYN: acknowledged
  auto other = f.quote(0, 1000);
  other.destination_port = 40001;
  ignored(other, drop_reason::icmp_frag_needed_no_connection);
  // Once acknowledged, the same sequence is no longer in flight.
  f.script.send(f.client.segment(ack, f.iss, 0, 2920));
  expect_segment(f.script.expect_sent(1)[0], f.data(2920, 1080));  // the held third segment
  ignored(f.quote(0, 1000), drop_reason::icmp_frag_needed_not_in_flight);
  CHECK(f.stats.icmp_frag_needed_applied.read() == 0);
}

TEST_CASE("frag needed MTU: below 68 is bogus, below 552 clamps to MSS 512, not smaller is ignored", "[unit][tcp]") {
  sending_fixture f;
  CHECK(f.icmp(f.quote(0, 0)).reason == drop_reason::icmp_frag_needed_bad_mtu);  // pre-RFC 1191 router
  CHECK(f.icmp(f.quote(0, 67)).reason == drop_reason::icmp_frag_needed_bad_mtu);
  CHECK(f.icmp(f.quote(0, 1500)).reason == drop_reason::icmp_frag_needed_not_smaller);
  CHECK(f.icmp(f.quote(0, 9000)).reason == drop_reason::icmp_frag_needed_not_smaller);
  f.script.expect_sent_nothing();
  CHECK(f.peer_mss() == 1460);
  CHECK(f.icmp(f.quote(0, 68)).what == packet::action::consume);
  CHECK(f.peer_mss() == tcp::min_path_mtu - 40);
  const auto out = f.script.expect_sent(7);  // 7 × 512 = 3584 of 4000; Nagle holds the rest
  for (std::uint32_t i = 0; i < out.size(); ++i) {
    expect_segment(out[i], f.data(i * 512, 512));
  }
  CHECK(f.icmp(f.quote(0, 300)).reason == drop_reason::icmp_frag_needed_not_smaller);
}

TEST_CASE("other ICMP errors about a segment in flight change nothing (RFC 5927 §4.2)", "[unit][tcp]") {
  sending_fixture f;
  const std::pair<std::uint8_t, std::uint8_t> errors[] = {{3, 0}, {3, 1}, {3, 3}, {3, 13}, {4, 0}, {11, 0}, {12, 0}};
  for (const auto& [type, code] : errors) {
    INFO("type " << int{type} << " code " << int{code});
    CHECK(f.icmp(f.quote(0, 0, type, code)).reason == drop_reason::icmp_error_ignored);
  }
  f.script.expect_sent_nothing();
  CHECK(f.peer_mss() == 1460);
  REQUIRE(f.tcp.find(key_of(f.client)) != nullptr);
  CHECK(f.tcp.find(key_of(f.client))->state == tcp::tcp_state::established);
}

TEST_CASE("ICMP errors through the pipeline: quote checks, counters, the connection's MSS", "[unit][tcp]") {
  sending_fixture f;
  pipeline::lcore_context ctx;
  ctx.identity = {server_mac, {f.client.base.destination, 24}};
  ctx.stats = &f.stats;
  ctx.tcp_icmp_error = {&tcp::icmp_error_handler, &f.tcp};

  // Our segment as it left, quoted by a router at 10.77.0.254.
  ipv4_fields ours;
  ours.protocol = 6;
  ours.source = f.client.base.destination;
  ours.destination = f.client.base.source;
  tcp_fields t;
  t.source_port = 80;
  t.destination_port = 40000;
  t.sequence = f.iss + 1;
  t.flags = 0x10;
  t.data.assign(1460, std::byte{'a'});
  const bytes segment = ipv4_datagram(ours, tcp_segment(t, ours.source, ours.destination));
  const auto run = [&](const bytes& quote, std::uint8_t type = 3, std::uint8_t code = 4, std::uint16_t mtu = 1200) {
    ipv4_fields router;
    router.source = ipv4(10, 77, 0, 254);
    router.destination = f.client.base.destination;
    router.protocol = 1;
    test_frame frame{ethernet_frame(server_mac, client_mac, 0x0800,
                                    ipv4_datagram(router, icmp_error(type, code, mtu, quote)))};
    packet::verdict v{packet::action::transmit, {}};
    pipeline::process_burst(ctx, {&frame.frame(), 1}, {&v, 1}, f.script.now());
    return v;
  };
  const auto dropped = [&](const bytes& quote, drop_reason reason) {
    const std::uint64_t before = f.stats.drops_of(reason);
    const packet::verdict v = run(quote);
    CHECK(v.what == packet::action::drop);
    CHECK(v.reason == reason);
    CHECK(f.stats.drops_of(reason) == before + 1);
  };
  for (std::size_t length = 0; length < 28; ++length) {
    INFO("quote of " << length << " bytes");
    dropped(bytes(segment.begin(), segment.begin() + static_cast<std::ptrdiff_t>(length)),
            drop_reason::icmp_error_truncated);
  }
  bytes spoofed(segment.begin(), segment.begin() + 28);
  spoofed[15] = std::byte{9};  // quoted source 10.77.0.9: not a segment of ours
  dropped(spoofed, drop_reason::icmp_error_not_ours);
  f.script.expect_sent_nothing();
  CHECK(f.peer_mss() == 1460);

  const std::uint64_t consumed = f.stats.consumed.read();
  const packet::verdict v = run(bytes(segment.begin(), segment.begin() + 28));
  CHECK(v.what == packet::action::consume);
  CHECK(f.stats.consumed.read() == consumed + 1);
  CHECK(f.stats.icmp_frag_needed_applied.read() == 1);
  CHECK(f.peer_mss() == 1160);
  const auto out = f.script.expect_sent(3);  // 3 × 1160 of 4000
  for (std::uint32_t i = 0; i < out.size(); ++i) {
    expect_segment(out[i], f.data(i * 1160, 1160));
  }

  // Without a handler (no TCP on this lcore) an error is counted and ignored.
  ctx.tcp_icmp_error = {};
  const packet::verdict without = run(bytes(segment.begin(), segment.begin() + 28));
  CHECK(without.reason == drop_reason::icmp_error_ignored);
}
