// Per-listener counters (stats::listener_stats, docs/stats.md "Per listener"): each listening
// port counts its own accepted, active, refused connections and payload bytes.
#include <catch2/catch.hpp>

#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using stats::drop_reason;

TEST_CASE("listener counters: accepted, active, bytes and refused, per port", "[unit][tcp]") {
  app_fixture f;  // listener 0: port 80 (recording app, echoing); listener 1: port 7 (no app)
  f.app.echo = true;
  const stats::listener_stats& web = f.stats.listeners[0];
  const stats::listener_stats& seven = f.stats.listeners[1];

  const tcp_client client = full_client(40000, 1000);
  const std::uint32_t iss = open_connection(f, client);
  CHECK(web.accepted.read() == 1);
  CHECK(web.active.read() == 1);
  CHECK(seven.accepted.read() == 0);

  tcp_client other = full_client(40001, 5000);
  other.base.destination_port = 7;
  open_connection(f, other);
  CHECK(seven.accepted.read() == 1);
  CHECK(seven.active.read() == 1);
  CHECK(web.active.read() == 1);

  auto data = client.segment(ack | psh, iss);
  data.payload = bytes_of(std::string(300, 'x'));
  f.script.send(data);
  f.script.expect_sent(1);  // the echo
  CHECK(web.bytes_in.read() == 300);
  CHECK(web.bytes_out.read() == 300);
  CHECK(seven.bytes_in.read() == 0);

  f.tcp.set_draining(true);
  f.script.send(full_client(40002, 9000).syn());
  f.script.expect_drop(drop_reason::tcp_draining);
  CHECK(web.refused.read() == 1);
  CHECK(seven.refused.read() == 0);

  // The peer closes: the app closes too (recording_app default), LAST-ACK, then gone.
  f.script.send(client.segment(fin | ack, iss, 300, 300));
  f.script.expect_sent(1);
  CHECK(web.active.read() == 1);
  f.script.send(client.segment(ack, iss, 301, 301));
  CHECK(web.active.read() == 0);
  CHECK(seven.active.read() == 1);
  CHECK(web.accepted.read() == 1);
}

TEST_CASE("listener counters: a full table refuses the handshake on its port", "[unit][tcp]") {
  app_fixture f(test_settings(tcp::cookie_mode::always, 1));
  open_connection(f, full_client(40000, 1000));
  tcp_client second = full_client(40001, 2000);
  second.base.destination_port = 7;
  f.script.send(second.syn());
  f.script.send(second.ack_of(f.script.expect_reply()));
  f.script.expect_reply();  // RST: no room
  CHECK(f.stats.tcp_table_full_refusals.read() == 1);
  CHECK(f.stats.listeners[1].refused.read() == 1);
  CHECK(f.stats.listeners[0].refused.read() == 0);
  CHECK(f.stats.listeners[0].active.read() == 1);
}
