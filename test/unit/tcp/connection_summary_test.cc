// The connection listing's pure parts (tcp/connection_summary.hh): what summarize() reports for a
// scripted connection, and snapshot_step's bounded, resumable scan with its filter and limit.
#include <catch2/catch.hpp>

#include <vector>

#include "fixture.hh"
#include "tcp/connection_summary.hh"

using namespace rampart;
using namespace rampart::test;
using net::tcp_flag::ack;
using net::tcp_flag::psh;
using tcp::tcp_state;

namespace {

tcp_client plain_client(std::uint16_t port, std::uint16_t server_port = 80) {
  tcp_client c;
  c.base.source_port = port;
  c.base.destination_port = server_port;
  c.isn = 1000 + port;
  return c;
}

}  // namespace

TEST_CASE("summarize: 4-tuple, state, age, bytes, queues, RTT of an echoing connection", "[unit][tcp]") {
  app_fixture f;
  f.app.echo = true;
  const tcp_client client = plain_client(40000);
  const std::uint64_t opened = f.script.now();
  const std::uint32_t iss = open_connection(f, client);
  f.script.advance(7'000'000);

  tcp_segment_spec data = client.segment(ack | psh, iss);
  data.payload = bytes_of("hello");
  f.script.send(data);
  REQUIRE(f.script.expect_sent(1)[0].payload.size() == 5);  // the echo, not acknowledged yet

  tcp::connection_summary s = tcp::summarize(*f.tcp.find(key_of(client)), f.script.now());
  CHECK(s.key == key_of(client));
  CHECK(s.state == tcp_state::established);
  CHECK(s.listener == 0);
  CHECK(s.age_ns == f.script.now() - opened);
  CHECK(s.bytes_in == 5);
  CHECK(s.bytes_out == 5);
  CHECK(s.send_queue == 5);  // sent, unacknowledged
  CHECK(s.receive_queue == 0);
  CHECK(s.srtt_us == 0);     // no sample yet
  CHECK(s.rto_us == 1'000'000);  // RFC 6298 §2.1 initial RTO
  CHECK(s.peer_window == data.window);
  // RFC 6928: min(10 MSS, max(2 MSS, 14600)), MSS being what a segment carries here.
  const std::uint32_t mss = f.tcp.find(key_of(client))->peer_mss;
  CHECK(s.cwnd == tcp::initial_window(mss, 10));

  f.script.advance(3'000'000);
  f.script.send(client.segment(ack, iss, 5, 5));
  s = tcp::summarize(*f.tcp.find(key_of(client)), f.script.now());
  CHECK(s.send_queue == 0);
  CHECK(s.srtt_us == 3000);  // the echo's round trip: 3 ms
  CHECK(s.rto_us == 200'000);  // 3 ms + 4 * 1.5 ms, raised to the 200 ms floor
  CHECK(s.bytes_out == 5);
}

TEST_CASE("snapshot_step: a bounded, resumable scan with filter, limit and a full match count", "[unit][tcp]") {
  app_fixture f;
  for (std::uint16_t port = 40000; port < 40005; ++port) {
    open_connection(f, plain_client(port));
  }
  open_connection(f, plain_client(41000, 7));
  open_connection(f, plain_client(41001, 7));
  REQUIRE(f.tcp.connection_count() == 7);
  const std::uint32_t slots = f.tcp.settings().connections;  // 64

  std::vector<tcp::connection_summary> out(3);
  tcp::connection_filter on_80;
  on_80.local_port = 80;

  SECTION("one slot per step: done exactly after every slot was looked at") {
    tcp::snapshot_scan scan;
    std::uint32_t steps = 0;
    while (!tcp::snapshot_step(f.tcp, on_80, scan, out, 1, f.script.now())) {
      ++steps;
      REQUIRE(steps < slots);
    }
    CHECK(steps + 1 == slots);
    CHECK(scan.next == slots);
    CHECK(scan.matched == 5);
    CHECK(scan.written == 3);  // the limit: the output's size
    for (const auto& s : out) {
      CHECK(s.key.local_port == 80);
      CHECK(s.state == tcp_state::established);
    }
    CHECK(out[0].key.remote_port != out[1].key.remote_port);
  }
  SECTION("a budget past the table ends in one step") {
    tcp::snapshot_scan scan;
    CHECK(tcp::snapshot_step(f.tcp, {}, scan, out, 1000, f.script.now()));
    CHECK(scan.matched == 7);
    CHECK(scan.written == 3);
  }
  SECTION("a step stops at its budget and the next resumes there") {
    tcp::snapshot_scan scan;
    CHECK_FALSE(tcp::snapshot_step(f.tcp, {}, scan, out, 6, f.script.now()));
    CHECK(scan.next == 6);
    CHECK(scan.matched == 6);  // handles 0..5 are live: the pool hands out the lowest first
    CHECK(tcp::snapshot_step(f.tcp, {}, scan, out, slots, f.script.now()));
    CHECK(scan.matched == 7);
  }
  SECTION("filters: remote port, remote address, state; an empty output only counts") {
    tcp::connection_filter one;
    one.remote_port = 41001;
    tcp::snapshot_scan scan;
    REQUIRE(tcp::snapshot_step(f.tcp, one, scan, out, slots, f.script.now()));
    CHECK(scan.matched == 1);
    CHECK(out[0].key.remote_port == 41001);
    CHECK(out[0].key.local_port == 7);

    tcp::connection_filter elsewhere;
    elsewhere.remote_ip = key_of(plain_client(1)).remote_ip + 1;
    scan = {};
    REQUIRE(tcp::snapshot_step(f.tcp, elsewhere, scan, out, slots, f.script.now()));
    CHECK(scan.matched == 0);

    tcp::connection_filter time_wait;
    time_wait.state = tcp_state::time_wait;
    scan = {};
    REQUIRE(tcp::snapshot_step(f.tcp, time_wait, scan, out, slots, f.script.now()));
    CHECK(scan.matched == 0);

    scan = {};
    REQUIRE(tcp::snapshot_step(f.tcp, {}, scan, std::span<tcp::connection_summary>(), slots, f.script.now()));
    CHECK(scan.matched == 7);
    CHECK(scan.written == 0);
  }
}
