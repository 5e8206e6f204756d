// SIGTERM drain (lcore_tcp::set_draining): new SYNs are dropped as tcp_draining, established
// connections (their app included) and cookie ACKs of handshakes already answered continue; the
// engine's stop (lcore_tcp::shutdown) resets what is left, but TIME-WAIT entries and backlog
// entries whose ISS is a cookie.
#include <catch2/catch.hpp>

#include "expect_segment.hh"
#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using stats::drop_reason;

namespace {

// What rampart sends on a full_client() connection at `now_ns`: the scaled window and, but on a
// RST, Timestamps (TSval our clock in ms; TSecr 5001, the handshake ACK's TSval: the client's
// later segments carry none).
expected_segment timestamped(std::uint64_t now_ns, const tcp_client& c, std::uint32_t seq, std::uint32_t ack_number,
                             std::uint8_t flags, const std::string& payload = "") {
  return {.destination_port = c.base.source_port,
          .sequence = seq,
          .acknowledgment = ack_number,
          .flags = flags,
          .window = 262140 >> 7,
          .options = {option::timestamps(static_cast<std::uint32_t>(now_ns / 1'000'000), 5001)},
          .payload = payload};
}

// The engine's stop: <SEQ=SND.NXT><CTL=RST>, no option.
expected_segment shutdown_reset(const tcp_client& c, std::uint32_t snd_nxt) {
  return {.destination_port = c.base.source_port,
          .sequence = snd_nxt,
          .acknowledgment = 0,
          .flags = rst,
          .window = 262140 >> 7};
}

}  // namespace

TEST_CASE("draining: a new SYN is dropped, an open connection and a pending handshake go on",
          "[unit][tcp]") {
  app_fixture f;
  f.app.echo = true;
  const tcp_client open = full_client(40000, 1000);
  f.script.send(open.syn());
  const auto syn_ack = f.script.expect_reply();
  const std::uint32_t iss = syn_ack.tcp.sequence.raw();
  f.script.send(open.ack_of(syn_ack));
  f.script.expect_consumed();
  const tcp_client pending = full_client(40001, 2000);
  f.script.send(pending.syn());
  const auto pending_syn_ack = f.script.expect_reply();

  f.tcp.set_draining(true);
  f.script.send(full_client(40002, 3000).syn());
  f.script.expect_drop(drop_reason::tcp_draining);
  CHECK(f.stats.tcp_syn_received.read() == 2);  // the dropped SYN is not answered, not counted there

  // The open connection's app is still served: its data is echoed, and a FIN closes it as usual.
  auto data = open.segment(ack | psh, iss, 0, 0);
  data.payload = bytes_of(std::string(100, 'x'));
  f.script.send(data);
  expect_segment(f.script.expect_sent(1)[0],
                 timestamped(f.script.now(), open, iss + 1, open.isn + 101, ack | psh, std::string(100, 'x')));
  f.script.send(open.segment(fin | ack, iss, 100, 100));
  expect_segment(f.script.expect_sent(1)[0], timestamped(f.script.now(), open, iss + 101, open.isn + 102, fin | ack));
  f.script.send(open.segment(ack, iss, 101, 101));
  f.script.expect_sent_nothing();
  CHECK(f.tcp.find(key_of(open)) == nullptr);
  CHECK(f.app.closed == std::vector{tcp::close_reason::closed});

  // The ACK of a SYN-ACK sent before the drain began still opens its connection.
  f.script.send(pending.ack_of(pending_syn_ack));
  f.script.expect_consumed();
  CHECK(f.tcp.find(key_of(pending)) != nullptr);

  f.tcp.set_draining(false);
  f.script.send(full_client(40003, 4000).syn());
  expect_segment(f.script.expect_reply(),
                 {.destination_port = 40003,
                  .sequence = any,  // the cookie
                  .acknowledgment = 4001,
                  .flags = net::tcp_flag::syn | ack,
                  .window = 65535,
                  .options = {option::mss(1460), option::sack_permitted(), option::timestamps(any, 5000),
                              option::window_scale(7)}});
  f.script.expect_sent_nothing();

  // The drain's deadline (or any stop): shutdown resets each connection still in the table (the
  // handshakes were answered with cookies: one entry) and tells its app.
  REQUIRE(f.tcp.connection_count() == 1);
  f.tcp.shutdown(f.script.now());
  expect_segment(f.script.expect_sent(1)[0], shutdown_reset(pending, pending_syn_ack.tcp.sequence.raw() + 1));
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.app.closed == std::vector{tcp::close_reason::closed, tcp::close_reason::shutdown});
  CHECK(f.stats.tcp_closed_shutdown.read() == 1);
  CHECK(f.buffers.in_use() == 0);
}

TEST_CASE("draining: the stop drops TIME-WAIT entries silently and resets the rest", "[unit][tcp]") {
  app_fixture f;
  // The app closes the first connection at once: FIN-WAIT-1, then the peer's ACK and FIN take
  // it to TIME-WAIT. The second stays open.
  bool first = true;
  f.app.on_open_do = [&first](tcp::stream& s) {
    if (first) {
      s.close();
    }
    first = false;
  };
  const tcp_client closing = full_client(40000, 1000);
  f.script.send(closing.syn());
  const auto syn_ack = f.script.expect_reply();
  const std::uint32_t iss = syn_ack.tcp.sequence.raw();
  f.script.send(closing.ack_of(syn_ack));
  expect_segment(f.script.expect_sent(1)[0], timestamped(f.script.now(), closing, iss + 1, closing.isn + 1, fin | ack));
  f.script.send(closing.segment(ack | fin, iss, 0, 1));
  // The ACK of its FIN.
  expect_segment(f.script.expect_sent(1)[0], timestamped(f.script.now(), closing, iss + 2, closing.isn + 2, ack));
  REQUIRE(f.tcp.find(key_of(closing))->state == tcp::tcp_state::time_wait);

  const tcp_client open = full_client(40001, 2000);
  const std::uint32_t open_iss = open_connection(f, open);
  REQUIRE(f.tcp.connection_count() == 2);
  CHECK(f.stats.tcp_time_wait_active.read() == 1);
  CHECK(f.stats.tcp_connections_active.read() == 2);

  f.tcp.shutdown(f.script.now());
  expect_segment(f.script.expect_sent(1)[0], shutdown_reset(open, open_iss + 1));  // to the open connection only
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.stats.tcp_time_wait_active.read() == 0);
  CHECK(f.stats.tcp_closed_shutdown.read() == 1);
  CHECK(f.stats.tcp_closed_normal.read() == 1);  // the TIME-WAIT entry: the normal close it was
  CHECK(f.stats.tcp_rst_sent.read() == 1);
}

TEST_CASE("draining: the stop drops a backlog entry whose ISS is a cookie silently and resets the rest",
          "[unit][tcp]") {
  // In mode auto a client with Timestamps gets a cookie ISS: its ACK may still open the connection
  // on the next engine, which a RST would prevent. One without Timestamps offering window scale
  // gets an RFC 6528 ISN: nothing can open its connection any more, so it learns at once.
  tcp_fixture f{test_settings(tcp::cookie_mode::auto_mode)};
  const tcp_client with_timestamps = full_client(40000, 1000);
  f.script.send(with_timestamps.syn());
  f.script.expect_reply();
  tcp_client without_timestamps = full_client(40001, 2000);
  without_timestamps.base.options.timestamps.reset();
  f.script.send(without_timestamps.syn());
  const std::uint32_t iss = f.script.expect_reply().tcp.sequence.raw();
  // Opened from a backlog entry with a cookie ISS: an open connection like any other.
  const tcp_client established = full_client(40002, 3000);
  const std::uint32_t established_iss = open_connection(f, established);
  REQUIRE(f.tcp.half_open_count() == 2);

  f.tcp.shutdown(f.script.now());
  const auto sent = f.script.expect_sent(2);
  expect_segment(sent[0], shutdown_reset(without_timestamps, iss + 1));
  expect_segment(sent[1], shutdown_reset(established, established_iss + 1));
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.tcp.half_open_count() == 0);
  CHECK(f.stats.tcp_rst_sent.read() == 2);
  CHECK(f.stats.tcp_closed_shutdown.read() == 1);  // the open connection (half-open entries are not counted)
}
