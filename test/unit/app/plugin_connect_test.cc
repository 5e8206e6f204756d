// A version 2 plugin (test/unit/app/plugins/connector.c) on a real lcore_tcp: what ABI version 2
// added, through the C calls, with whole segments both ways. A client connects to port 80; the
// plugin opens a connection to the peer 10.77.0.1:8080, greets it once connected, forwards the
// peer's bytes to the client by id, and ticks the client from a timer.
#include <catch2/catch.hpp>

#include "app/registry.hh"
#include "expect_segment.hh"
#include "fixture.hh"
#include "static_next_hops.hh"

#ifndef RAMPART_CONNECTOR_PLUGIN
#error "the plugin's path comes from test/unit/app/meson.build"
#endif

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::syn;

TEST_CASE("plugin ABI 2: connect, on_connected, find and a timer, on a real lcore", "[unit][app][plugin]") {
  tcp_fixture f;
  f.script.attach_pool(f.buffers);
  static_next_hops hops;
  hops.add(net::ipv4_address{0x0a4d0001}, client_mac);
  hops.pool = &f.buffers;
  f.tcp.set_next_hop_resolver(&hops);
  config::listener_config l;
  l.port = 80;
  l.app = "plugin";
  l.plugin = RAMPART_CONNECTOR_PLUGIN;
  l.args = {{"peer", "10.77.0.1:8080"}};
  const auto app = app::make_application(l, app::app_context{f.stats, 1});
  f.tcp.set_application(0, app.get());

  // The client's handshake (a cookie): on_open connects, our SYN goes to the peer.
  const tcp_client client = full_client();
  const std::uint32_t server_isn = open_connection(f, client);
  const auto syn_out = f.script.expect_sent(1);
  REQUIRE(syn_out[0].has(syn));
  CHECK(syn_out[0].tcp.destination_port == 8080);
  const std::uint32_t iss = syn_out[0].tcp.sequence.raw();
  const std::uint16_t local_port = syn_out[0].tcp.source_port;

  // The peer's SYN-ACK: on_connected greets it (with the handshake's ACK).
  tcp_segment_spec syn_ack;
  syn_ack.source_port = 8080;
  syn_ack.destination_port = local_port;
  syn_ack.sequence = 7000;
  syn_ack.acknowledgment = iss + 1;
  syn_ack.flags = syn | ack;
  f.script.send(syn_ack);
  f.script.expect_consumed();
  expect_segment(f.script.expect_sent(1)[0],
                 {.source_port = local_port, .destination_port = 8080, .sequence = iss + 1, .acknowledgment = 7001,
                  .flags = ack | psh, .window = 65535, .payload = "hello from a plugin\n"});

  // The peer's bytes reach the client through find(): after the callback's event.
  tcp_segment_spec reply = syn_ack;
  reply.sequence = 7001;
  reply.acknowledgment = iss + 21;
  reply.flags = ack | psh;
  reply.payload = bytes_of("220 ready\r\n");
  f.script.send(reply);
  f.script.expect_consumed();
  const auto forwarded = f.script.expect_sent(1);
  CHECK(forwarded[0].tcp.destination_port == client.base.source_port);
  CHECK(text_of(forwarded[0].payload) == "220 ready\r\n");

  // The timer armed in on_open (10 ms) ticks the client (once it acknowledged the bytes before:
  // Nagle).
  f.script.send(client.segment(ack, server_isn, 0, 11));
  f.script.expect_consumed();
  f.script.advance_and_poll(20'000'000);
  const auto ticked = f.script.sent();
  REQUIRE(!ticked.empty());
  CHECK(text_of(ticked.back().payload) == "tick\n");

  // The client closes; once its stream ends (our FIN acknowledged), the plugin closes the peer's
  // side from the client's on_close: that FIN leaves after the event.
  const auto has_fin_to = [](const std::vector<decoded_frame>& frames, std::uint16_t port) {
    bool found = false;
    for (const decoded_frame& d : frames) {
      found = found || (d.tcp.destination_port == port && d.has(fin));
    }
    return found;
  };
  f.script.send(client.segment(fin | ack, server_isn, 0, 16));
  f.script.expect_consumed();
  CHECK(has_fin_to(f.script.sent(), client.base.source_port));
  f.script.send(client.segment(ack, server_isn, 1, 17));
  f.script.expect_consumed();
  CHECK(has_fin_to(f.script.sent(), 8080));
  f.tcp.shutdown(f.script.now());
  f.sink.take();
  CHECK(f.buffers.in_use() == 0);
}
