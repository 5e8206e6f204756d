// /rampart/connections' pure parts: the parameters, the rows' JSON as DPDK 22.11 writes it (what
// the handler measures against the 16 KiB reply), and the worker's end of the listing channel.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/connection_listing.hh"
#include "engine/connection_query.hh"
#include "stats/counters.hh"
#include "tcp/lcore_tcp.hh"

using namespace rampart;
using namespace rampart::engine;
using tcp::tcp_state;

TEST_CASE("connection query: filters, limit, defaults", "[unit][engine]") {
  std::string error;
  auto q = parse_connection_query("", error);
  REQUIRE(q);
  CHECK(q->limit == connection_query::default_limit);
  CHECK_FALSE(q->filter.remote_ip);
  CHECK_FALSE(q->filter.state);

  q = parse_connection_query("remote=10.77.0.1,rport=40000,lport=7,state=time_wait,limit=50", error);
  REQUIRE(q);
  CHECK(*q->filter.remote_ip == 0x0a4d0001);
  CHECK(*q->filter.remote_port == 40000);
  CHECK(*q->filter.local_port == 7);
  CHECK(*q->filter.state == tcp_state::time_wait);
  CHECK(q->limit == 50);

  CHECK(parse_tcp_state("ESTABLISHED") == tcp_state::established);
  CHECK(parse_tcp_state("syn-received") == tcp_state::syn_received);
  CHECK(parse_tcp_state("Fin_Wait_2") == tcp_state::fin_wait_2);
  CHECK_FALSE(parse_tcp_state("listen"));
  CHECK_FALSE(parse_tcp_state("established "));
}

TEST_CASE("connection query: each bad parameter names what it takes", "[unit][engine]") {
  const std::pair<const char*, const char*> cases[] = {
      {"limit=51", "limit= takes 1..50"},        {"limit=0", "limit= takes 1..50"},
      {"limit=x", "limit= takes 1..50"},         {"remote=10.77.0", "remote= takes an IPv4 address"},
      {"rport=0", "rport= takes a port number"}, {"lport=65536", "lport= takes a port number"},
      {"state=open", "state= takes an RFC 9293 state"}, {"colour=red", "unknown parameter \"colour=red\""},
      {"lport", "lport= takes a port number"},
  };
  for (const auto& [params, message] : cases) {
    INFO(params);
    std::string error;
    CHECK_FALSE(parse_connection_query(params, error));
    CHECK_THAT(error, Catch::Contains(message));
  }
}

TEST_CASE("connection rows: DPDK's JSON text, unknown fields left out, within the reply budget",
          "[unit][engine]") {
  tcp::connection_summary s;
  s.key = {0x0a4d0001, 0x0a4d0002, 43210, 7};
  s.state = tcp_state::established;
  s.age_ns = 12'345'678'901;
  s.bytes_in = 1234;
  s.bytes_out = 1200;
  s.rto_us = 200'000;
  s.send_queue = 34;
  s.receive_queue = 0;
  s.peer_window = 64240;
  CHECK(row_json(s, 1, 0) ==
        R"(,"0":{"lcore":1,"local":"10.77.0.2:7","remote":"10.77.0.1:43210","state":"ESTABLISHED",)"
        R"("age_ms":12345,"bytes_in":1234,"bytes_out":1200,"rto_us":200000,"send_q":34,"recv_q":0,)"
        R"("peer_wnd":64240})");
  s.srtt_us = 3000;
  s.cwnd = 14600;
  const std::string with_all = row_json(s, 1, 7);
  CHECK_THAT(with_all, Catch::Contains(R"("bytes_out":1200,"srtt_us":3000,"rto_us")"));
  CHECK_THAT(with_all, Catch::EndsWith(R"("peer_wnd":64240,"cwnd":14600})"));

  // The largest row rampart can produce: max_limit of them still fit one reply when the counters
  // stay below 10^12 (a terabyte, 31 years of age), so "omitted" is for the extreme case only.
  s.key = {0xffffffff, 0xffffffff, 65535, 65535};
  s.state = tcp_state::syn_received;
  s.age_ns = 999'999'999'999'000'000;
  s.bytes_in = s.bytes_out = 999'999'999'999;
  s.srtt_us = s.rto_us = s.send_queue = s.receive_queue = s.peer_window = 4'000'000'000;
  s.cwnd = 4'000'000'000;
  CHECK(row_json(s, 127, 49).size() * connection_query::max_limit <= row_budget(4));
}

TEST_CASE("listing channel: the worker serves a request in bounded steps, then publishes it",
          "[unit][engine]") {
  stats::lcore_stats stats;
  tcp::tcp_settings settings;
  settings.connections = 10000;
  const std::vector<tcp::listener_settings> listeners;
  tcp::lcore_tcp tcp(settings, listeners, stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4});

  listing_channel channel;
  listing_request request;
  CHECK_FALSE(channel.pending());
  request.limit = 10;
  request.done.store(false);
  request.scan.matched = 99;  // left over from an earlier request: the worker starts afresh
  REQUIRE(channel.post(request));
  CHECK(channel.pending());
  // 10000 slots at scan_budget (4096) a turn: three turns, done only after the third.
  channel.serve(tcp, 0);
  CHECK_FALSE(request.done.load());
  CHECK(request.scan.next == listing_channel::scan_budget);
  CHECK(channel.pending());
  channel.serve(tcp, 0);
  CHECK_FALSE(request.done.load());
  channel.serve(tcp, 0);
  CHECK(request.done.load());
  CHECK(request.scan.next == 10000);
  CHECK(request.scan.matched == 0);
  CHECK_FALSE(channel.pending());
  channel.serve(tcp, 0);  // nothing posted: nothing happens
  CHECK(request.scan.next == 10000);
}

TEST_CASE("connection lister: ok, timeout, then busy until the late answer, stopped", "[unit][engine]") {
  stats::lcore_stats stats;
  tcp::tcp_settings settings;
  settings.connections = 64;
  const std::vector<tcp::listener_settings> listeners;
  tcp::lcore_tcp tcp(settings, listeners, stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4});

  listing_channel serving;  // served by a thread, as a worker loop would
  listing_channel stuck;    // served only when the test says so
  bool third_runs = false;
  connection_lister lister({{1, &serving}, {2, &stuck}, {3, nullptr}},
                           [&](unsigned lcore) { return lcore != 3 || third_runs; });
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    while (!stop.load()) {
      if (serving.pending()) {
        serving.serve(tcp, 0);
      }
      std::this_thread::yield();
    }
  });

  std::vector<std::pair<unsigned, lcore_listing::status>> seen;
  const auto record = [&](std::span<const lcore_listing> answers) {
    seen.clear();
    for (const lcore_listing& a : answers) {
      seen.emplace_back(a.lcore, a.result);
    }
  };
  using s = lcore_listing::status;
  lister.collect({}, std::chrono::milliseconds(200), record);
  CHECK(seen == decltype(seen){{1, s::ok}, {2, s::timeout}, {3, s::stopped}});
  // Lcore 2 still holds the first request: it is not asked again, and says busy at once.
  const auto start = std::chrono::steady_clock::now();
  lister.collect({}, std::chrono::milliseconds(5000), record);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000));
  CHECK(seen == decltype(seen){{1, s::ok}, {2, s::busy}, {3, s::stopped}});
  // It answers late (into the request's own memory); the next listing asks it again.
  while (stuck.pending()) {
    stuck.serve(tcp, 0);
  }
  std::thread late([&] {
    while (!stop.load()) {
      if (stuck.pending()) {
        stuck.serve(tcp, 0);
      }
      std::this_thread::yield();
    }
  });
  lister.collect({}, std::chrono::milliseconds(2000), record);
  CHECK(seen == decltype(seen){{1, s::ok}, {2, s::ok}, {3, s::stopped}});
  stop.store(true);
  worker.join();
  late.join();
}
