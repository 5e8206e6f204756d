// SIGTERM drain (lcore_tcp::set_draining): new SYNs are dropped as tcp_draining, established
// connections (their app included) and cookie ACKs of handshakes already answered continue; the
// engine's stop (lcore_tcp::shutdown) resets what is left.
#include <catch2/catch.hpp>

#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using stats::drop_reason;

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
  auto out = f.script.expect_sent(1);
  CHECK(text_of(out[0].payload) == std::string(100, 'x'));
  CHECK(out[0].tcp.acknowledgment.raw() == open.isn + 1 + 100);
  f.script.send(open.segment(fin | ack, iss, 100, 100));
  out = f.script.expect_sent(1);
  CHECK(out[0].has(fin));
  f.script.send(open.segment(ack, iss, 101, 101));
  CHECK(f.tcp.find(key_of(open)) == nullptr);
  CHECK(f.app.closed == std::vector{tcp::close_reason::closed});

  // The ACK of a SYN-ACK sent before the drain began still opens its connection.
  f.script.send(pending.ack_of(pending_syn_ack));
  f.script.expect_consumed();
  CHECK(f.tcp.find(key_of(pending)) != nullptr);

  f.tcp.set_draining(false);
  f.script.send(full_client(40003, 4000).syn());
  CHECK(f.script.expect_reply().has(net::tcp_flag::syn));
  f.script.expect_sent_nothing();

  // The drain's deadline (or any stop): shutdown resets each connection still in the table (the
  // handshakes were answered with cookies: one entry) and tells its app.
  REQUIRE(f.tcp.connection_count() == 1);
  f.tcp.shutdown(f.script.now());
  out = f.script.expect_sent(1);
  CHECK(out[0].has(rst));
  CHECK(out[0].tcp.sequence.raw() == pending_syn_ack.tcp.sequence.raw() + 1);
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
  REQUIRE(f.script.expect_sent(1)[0].has(fin));
  f.script.send(closing.segment(ack | fin, iss, 0, 1));
  f.script.expect_sent(1);  // the ACK of its FIN
  REQUIRE(f.tcp.find(key_of(closing))->state == tcp::tcp_state::time_wait);

  open_connection(f, full_client(40001, 2000));
  REQUIRE(f.tcp.connection_count() == 2);
  CHECK(f.stats.tcp_time_wait_active.read() == 1);
  CHECK(f.stats.tcp_connections_active.read() == 2);

  f.tcp.shutdown(f.script.now());
  const auto out = f.script.expect_sent(1);  // one RST: to the open connection only
  CHECK(out[0].has(rst));
  CHECK(out[0].tcp.destination_port == 40001);
  CHECK(f.tcp.connection_count() == 0);
  CHECK(f.stats.tcp_time_wait_active.read() == 0);
  CHECK(f.stats.tcp_closed_shutdown.read() == 1);
  CHECK(f.stats.tcp_closed_normal.read() == 1);  // the TIME-WAIT entry: the normal close it was
  CHECK(f.stats.tcp_rst_sent.read() == 1);
}
