// SIGTERM drain (lcore_tcp::set_draining): new SYNs are dropped as tcp_draining, established
// connections and cookie ACKs of handshakes already answered continue.
#include <catch2/catch.hpp>

#include "fixture.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using stats::drop_reason;

TEST_CASE("draining: a new SYN is dropped, an open connection and a pending handshake go on",
          "[unit][tcp]") {
  tcp_fixture f;
  const tcp_client open = full_client(40000, 1000);
  f.script.send(open.syn());
  const auto syn_ack = f.script.expect_reply();
  f.script.send(open.ack_of(syn_ack));
  f.script.expect_consumed();
  const tcp_client pending = full_client(40001, 2000);
  f.script.send(pending.syn());
  const auto pending_syn_ack = f.script.expect_reply();

  f.tcp.set_draining(true);
  f.script.send(full_client(40002, 3000).syn());
  f.script.expect_drop(drop_reason::tcp_draining);
  CHECK(f.stats.tcp_syn_received.read() == 2);  // the dropped SYN is not answered, not counted there

  // The open connection still answers data and closes as usual.
  auto data = open.segment(ack, syn_ack.tcp.sequence.raw(), 0, 0);
  data.payload.assign(100, std::byte{'x'});
  f.script.send(data);
  const auto data_ack = f.script.expect_reply();
  CHECK(data_ack.tcp.acknowledgment.raw() == open.isn + 1 + 100);
  f.script.send(open.segment(fin | ack, syn_ack.tcp.sequence.raw(), 100, 0));
  CHECK(f.script.expect_reply().has(fin));

  // The ACK of a SYN-ACK sent before the drain began still opens its connection.
  f.script.send(pending.ack_of(pending_syn_ack));
  f.script.expect_consumed();
  CHECK(f.tcp.find(key_of(pending)) != nullptr);

  f.tcp.set_draining(false);
  f.script.send(full_client(40003, 4000).syn());
  CHECK(f.script.expect_reply().has(net::tcp_flag::syn));
}
