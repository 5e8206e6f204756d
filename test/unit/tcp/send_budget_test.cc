// Memory a peer can pin through our send queues, as scripted exchanges: the per-lcore send
// budget (tcp.send_budget) refuses sends once all send queues together hold that many buffers
// (counted), handshakes still complete, and the refused apps hear on_writable once buffers come
// back; a peer that holds a zero window through the persist limit is reset (counted). Every
// segment rampart sends is compared whole (expect_segment).
#include <catch2/catch.hpp>

#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::rst;
using tcp::close_reason;

namespace {

std::span<const std::byte> as_span(const std::string& s) { return std::as_bytes(std::span{s.data(), s.size()}); }

tcp_client client_on(std::uint16_t port, std::uint16_t window = 60000) {
  tcp_client c;
  c.base.source_port = port;
  c.base.options.mss = 1300;
  c.base.window = window;
  return c;
}

// Our segment to client_on(port): no option (none was negotiated), the unscaled window of
// test_settings().
expected_segment ours(const tcp_client& c, std::uint32_t seq, std::uint8_t flags, const std::string& payload) {
  return {.destination_port = c.base.source_port,
          .sequence = seq,
          .acknowledgment = c.isn + 1,
          .flags = flags,
          .window = 65535,
          .payload = payload};
}

// `count` full segments of the letter `fill` from ISS + 1 on, to client `c`.
void expect_full_segments(std::span<const decoded_frame> out, const tcp_client& c, std::uint32_t iss, char fill,
                          std::size_t count) {
  REQUIRE(out.size() >= count);
  for (std::uint32_t i = 0; i < count; ++i) {
    expect_segment(out[i], ours(c, iss + 1 + i * 1300, ack, std::string(1300, fill)));
  }
}

}  // namespace

TEST_CASE("send budget: sends refused once the lcore's send queues hold it; on_writable when buffers return",
          "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  // Buffers of 2048 bytes: 3 x 2016 bytes of payload. Below 4 the budget has no reserve (its
  // last quarter rounds to nothing; see the reserve's own test below).
  settings.send_budget = 3;
  app_fixture f{settings};
  const std::string text(20000, 'x');
  std::vector<std::size_t> accepted;
  f.app.on_open_do = [&](tcp::stream& s) { accepted.push_back(s.send(as_span(text))); };

  const tcp_client a = client_on(40001);
  const std::uint32_t iss_a = open_connection(f, a);
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0] == 3 * (2048 - tcp::send_queue::header_bytes));
  CHECK(f.tcp.send_buffers().held() == 3);
  CHECK(f.stats.tcp_send_budget_refusals.read() == 1);
  const auto sent = f.script.expect_sent(4);  // 4 x 1300; Nagle holds the 848-byte tail
  expect_full_segments(sent, a, iss_a, 'x', 4);

  // A second connection: the handshake completes (replies do not use the budget), its send is
  // refused outright.
  const tcp_client b = client_on(40002);
  open_connection(f, b);
  REQUIRE(accepted.size() == 2);
  CHECK(accepted[1] == 0);
  CHECK(f.stats.tcp_send_budget_refusals.read() == 2);
  CHECK(f.tcp.connection_count() == 2);
  f.script.expect_sent_nothing();

  // A's peer acknowledges 5200 bytes: two buffers return. A hears on_writable from its ACK,
  // B from the next poll (the budget's waiting list).
  f.script.send(a.segment(ack, iss_a, 0, 5200));
  CHECK(f.tcp.send_buffers().held() == 1);
  CHECK(f.app.writable == 1);
  // Nothing in flight now: the tail leaves.
  expect_segment(f.script.expect_sent(1)[0], ours(a, iss_a + 5201, ack | net::tcp_flag::psh, std::string(848, 'x')));
  f.script.advance_and_poll(1'000'000);
  CHECK(f.app.writable == 2);
  // Nothing is waiting any more: further polls call nobody.
  f.script.advance_and_poll(1'000'000);
  CHECK(f.app.writable == 2);
}

TEST_CASE("send budget: a refused zero-copy buffer is counted and the app woken later", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.send_budget = 1;
  app_fixture f{settings};
  bool got_buffer = true;
  f.app.on_open_do = [&](tcp::stream& s) {
    CHECK(s.send(std::as_bytes(std::span{"hello", 5})) == 5);  // the one budgeted buffer
    got_buffer = s.allocate_buffer().has_value();
  };
  const tcp_client a = client_on(40003);
  const std::uint32_t iss = open_connection(f, a);
  CHECK_FALSE(got_buffer);
  CHECK(f.stats.tcp_send_budget_refusals.read() == 1);
  expect_segment(f.script.expect_sent(1)[0], ours(a, iss + 1, ack | net::tcp_flag::psh, "hello"));
  f.script.send(a.segment(ack, iss, 0, 5));
  CHECK(f.tcp.send_buffers().held() == 0);
  f.script.advance_and_poll(1'000'000);
  CHECK(f.app.writable == 1);
}

TEST_CASE("persist limit: a peer holding a zero window through the probes is reset", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.max_retransmissions = 3;
  app_fixture f{settings};
  const std::string text(3000, 'y');
  f.app.on_open_do = [&](tcp::stream& s) { s.send(as_span(text)); };
  const tcp_client client = client_on(40004, 0);
  const std::uint32_t iss = open_connection(f, client);
  f.script.expect_sent_nothing();
  // Each probe is answered, but the window stays shut: the answers do not reset the limit.
  for (int probe = 1; probe <= 3; ++probe) {
    f.script.advance_and_poll(61'000'000'000ULL);
    expect_segment(f.script.expect_sent(1)[0], ours(client, iss + 1, ack, "y"));
    tcp_segment_spec shut = client.segment(ack, iss);
    shut.window = 0;
    f.script.send(shut);
  }
  CHECK(f.stats.tcp_zero_window_probes.read() == 3);
  f.script.advance_and_poll(61'000'000'000ULL);
  // The RST at the edge of the zero window, SND.UNA, not at SND.NXT past the probe byte: the
  // peer takes a RST only at its RCV.NXT (RFC 5961 §3.2; control_sequence).
  expect_segment(f.script.expect_sent(1)[0], {.destination_port = client.base.source_port,
                                              .sequence = iss + 1,
                                              .acknowledgment = 0,
                                              .flags = rst,
                                              .window = 65535});
  CHECK(f.stats.tcp_persist_aborts.read() == 1);
  CHECK(f.tcp.connection_count() == 0);
  REQUIRE(f.app.closed.size() == 1);
  CHECK(f.app.closed[0] == close_reason::timeout);
  CHECK(f.tcp.send_buffers().held() == 0);
}

TEST_CASE("persist limit: a window that opens starts the count over", "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.max_retransmissions = 2;
  app_fixture f{settings};
  const std::string text(3000, 'z');
  f.app.on_open_do = [&](tcp::stream& s) { s.send(as_span(text)); };
  const tcp_client client = client_on(40005, 0);
  const std::uint32_t iss = open_connection(f, client);
  for (int probe = 1; probe <= 2; ++probe) {
    f.script.advance_and_poll(61'000'000'000ULL);
    expect_segment(f.script.expect_sent(1)[0], ours(client, iss + 1, ack, "z"));
  }
  // The probe byte accepted with a one-byte window: the next byte fills it. Then shut again.
  tcp_segment_spec small = client.segment(ack, iss, 0, 1);
  small.window = 1;
  f.script.send(small);
  expect_segment(f.script.expect_sent(1)[0], ours(client, iss + 2, ack, "z"));
  tcp_segment_spec shut = client.segment(ack, iss, 0, 2);
  shut.window = 0;
  f.script.send(shut);
  f.script.expect_sent_nothing();
  for (int probe = 1; probe <= 2; ++probe) {
    f.script.advance_and_poll(61'000'000'000ULL);
    expect_segment(f.script.expect_sent(1)[0], ours(client, iss + 3, ack, "z"));
  }
  CHECK(f.tcp.connection_count() == 1);
  CHECK(f.stats.tcp_persist_aborts.read() == 0);
}

TEST_CASE("send budget: its last quarter serves small queues, so peers that never read cannot starve the others",
          "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.send_budget = 40;  // reserve floor 30 buffers; the rest for queues under 4 KiB
  app_fixture f{settings};
  constexpr std::size_t payload = 2048 - tcp::send_queue::header_bytes;
  std::vector<std::size_t> accepted;
  std::string next_send(200000, 'x');
  f.app.on_open_do = [&](tcp::stream& s) { accepted.push_back(s.send(as_span(next_send))); };

  // A large sender (its peer never reads) stops at the reserve floor, not at the budget.
  const tcp_client large = client_on(40011);
  const std::uint32_t iss_large = open_connection(f, large);
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0] == 30 * payload);
  CHECK(f.tcp.send_buffers().held() == 30);
  CHECK(f.stats.tcp_send_budget_refusals.read() == 1);

  // A small reply still goes out whole, from the reserve.
  next_send.assign(3000, 'y');
  const tcp_client small = client_on(40012);
  const std::uint32_t iss_small = open_connection(f, small);
  REQUIRE(accepted.size() == 2);
  CHECK(accepted[1] == 3000);
  CHECK(f.tcp.send_buffers().held() == 32);

  // Another large send takes from the reserve only while its queue is under 4 KiB, then waits.
  next_send.assign(200000, 'z');
  const tcp_client other = client_on(40013);
  const std::uint32_t iss_other = open_connection(f, other);
  REQUIRE(accepted.size() == 3);
  CHECK(accepted[2] == 2 * payload);
  CHECK(f.tcp.send_buffers().held() == 34);
  CHECK(f.stats.tcp_send_budget_refusals.read() == 2);

  // What left: the initial window of the large sender, the small reply's two full segments and
  // three of the other large sender's (each time Nagle holds the short rest).
  const auto out = f.script.expect_sent(10 + 2 + 3);
  expect_full_segments(std::span{out}.first(10), large, iss_large, 'x', 10);
  expect_full_segments(std::span{out}.subspan(10, 2), small, iss_small, 'y', 2);
  expect_full_segments(std::span{out}.subspan(12), other, iss_other, 'z', 3);

  // The small reply's first two segments are acknowledged: its first buffer returns, and its
  // 400-byte tail leaves.
  f.script.send(small.segment(ack, iss_small, 0, 2600));
  CHECK(f.tcp.send_buffers().held() == 33);
  expect_segment(f.script.expect_sent(1)[0],
                 ours(small, iss_small + 2601, ack | net::tcp_flag::psh, std::string(400, 'y')));
}
