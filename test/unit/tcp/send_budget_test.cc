// Memory a peer can pin through our send queues, as scripted exchanges: the per-lcore send
// budget (tcp.send_budget) refuses sends once all send queues together hold that many buffers
// (counted), handshakes still complete, and the refused apps hear on_writable once buffers come
// back; a peer that holds a zero window through the persist limit is reset (counted).
#include <catch2/catch.hpp>

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

}  // namespace

TEST_CASE("send budget: sends refused once the lcore's send queues hold it; on_writable when buffers return",
          "[unit][tcp]") {
  tcp::tcp_settings settings = test_settings();
  settings.send_budget = 4;  // buffers of 2048 bytes: 4 x 2016 bytes of payload
  app_fixture f{settings};
  const std::string text(20000, 'x');
  std::vector<std::size_t> accepted;
  f.app.on_open_do = [&](tcp::stream& s) { accepted.push_back(s.send(as_span(text))); };

  const tcp_client a = client_on(40001);
  const std::uint32_t iss_a = open_connection(f, a);
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0] == 4 * (2048 - tcp::send_queue::header_bytes));
  CHECK(f.tcp.send_buffers().held() == 4);
  CHECK(f.stats.tcp_send_budget_refusals.read() == 1);
  const auto sent = f.script.expect_sent(6);  // 6 x 1300; Nagle holds the 264-byte tail
  CHECK(sent[5].payload_length == 1300);

  // A second connection: the handshake completes (replies do not use the budget), its send is
  // refused outright.
  const tcp_client b = client_on(40002);
  open_connection(f, b);
  REQUIRE(accepted.size() == 2);
  CHECK(accepted[1] == 0);
  CHECK(f.stats.tcp_send_budget_refusals.read() == 2);
  CHECK(f.tcp.connection_count() == 2);
  f.script.expect_sent_nothing();

  // A's peer acknowledges 7800 bytes: three buffers return. A hears on_writable from its ACK,
  // B from the next poll (the budget's waiting list).
  f.script.send(a.segment(ack, iss_a, 0, 7800));
  CHECK(f.tcp.send_buffers().held() == 1);
  CHECK(f.app.writable == 1);
  f.script.sent();
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
  f.script.expect_sent(1);
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
    const auto out = f.script.expect_sent(1);
    CHECK(out[0].payload_length == 1);
    tcp_segment_spec shut = client.segment(ack, iss);
    shut.window = 0;
    f.script.send(shut);
  }
  CHECK(f.stats.tcp_zero_window_probes.read() == 3);
  f.script.advance_and_poll(61'000'000'000ULL);
  const auto out = f.script.expect_sent(1);
  CHECK(out[0].has(rst));
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
    CHECK(f.script.expect_sent(1)[0].payload_length == 1);
  }
  // The probe byte accepted with a one-byte window, then shut again.
  tcp_segment_spec small = client.segment(ack, iss, 0, 1);
  small.window = 1;
  f.script.send(small);
  f.script.sent();
  tcp_segment_spec shut = client.segment(ack, iss, 0, 2);
  shut.window = 0;
  f.script.send(shut);
  f.script.sent();
  for (int probe = 1; probe <= 2; ++probe) {
    f.script.advance_and_poll(61'000'000'000ULL);
    CHECK(f.script.expect_sent(1)[0].payload_length == 1);
  }
  CHECK(f.tcp.connection_count() == 1);
  CHECK(f.stats.tcp_persist_aborts.read() == 0);
}
