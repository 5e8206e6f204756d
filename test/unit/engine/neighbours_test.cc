// The worker's route table from the config (route_settings.hh) and the neighbour mailbox
// (neighbour_mailbox.hh) with a thread playing the worker.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "config/config.hh"
#include "engine/neighbour_mailbox.hh"
#include "engine/route_settings.hh"
#include "fake_io.hh"
#include "packet_builder.hh"

using namespace rampart;
using namespace std::chrono_literals;
using test::ipv4;

namespace {

config::engine_config parse(const std::string& yaml) {
  std::istringstream in(yaml);
  return config::parse_config(in, "n.yaml");
}

const std::string routed = R"(port:
  ip: 10.77.0.2/24
  gateway: 10.77.0.1
routes:
  - {prefix: 10.88.0.0/16, via: 10.77.0.254}
)";

// One worker's routes over heap buffers.
struct worker_routes {
  test::heap_buffer_pool pool;
  test::capture_sink sink{pool};
  stats::lcore_stats stats;
  route::neighbour_table table;
  route::lcore_routes routes{engine::route_table_of(parse(routed)), table, test::mac(2, 0, 0, 0, 0, 2),
                             ipv4(10, 77, 0, 2), pool, sink, stats};
};

}  // namespace

TEST_CASE("the route table holds the subnet, the routes and the gateway of the config", "[unit][engine]") {
  const route::route_table t = engine::route_table_of(parse(routed));
  CHECK(t.next_hop(ipv4(10, 77, 0, 9)) == ipv4(10, 77, 0, 9));
  CHECK(t.next_hop(ipv4(10, 88, 1, 1)) == ipv4(10, 77, 0, 254));
  CHECK(t.next_hop(ipv4(192, 0, 2, 1)) == ipv4(10, 77, 0, 1));
  CHECK_FALSE(engine::route_table_of(parse("port:\n  ip: 10.77.0.2/24\n")).next_hop(ipv4(192, 0, 2, 1)));
}

TEST_CASE("neighbour mailbox: the worker resolves and lists on request", "[unit][engine]") {
  worker_routes w;
  engine::neighbour_mailbox mailbox;
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    while (!stop.load()) {
      if (mailbox.pending()) {
        mailbox.serve(w.routes, 1000);
      }
    }
  });
  std::optional<route::resolution> resolved;
  std::size_t rows = 0;
  CHECK(mailbox.ask(ipv4(192, 0, 2, 1), 5s, [&](const auto& answer) {
    resolved = answer.resolved;
    rows = answer.rows.size();
  }));
  REQUIRE(resolved);
  CHECK(resolved->what == route::resolution::status::pending);
  CHECK(rows == 1);  // the gateway, resolving
  CHECK(w.stats.arp_requests_sent.read() == 1);
  CHECK(mailbox.ask(std::nullopt, 5s, [&](const auto& answer) {
    resolved = answer.resolved;
    REQUIRE(answer.rows.size() == 1);
    CHECK(answer.rows[0].ip == ipv4(10, 77, 0, 1));
  }));
  CHECK_FALSE(resolved);
  CHECK(w.stats.arp_requests_sent.read() == 1);
  stop = true;
  worker.join();
}

TEST_CASE("neighbour mailbox: a worker that does not answer times out; its late answer is awaited",
          "[unit][engine]") {
  worker_routes w;
  engine::neighbour_mailbox mailbox;
  bool used = false;
  CHECK_FALSE(mailbox.ask(std::nullopt, 10ms, [&](const auto&) { used = true; }));
  CHECK_FALSE(used);
  CHECK(mailbox.pending());
  // Still posted: a second requester gives up too, without posting over it.
  CHECK_FALSE(mailbox.ask(ipv4(10, 77, 0, 9), 10ms, [&](const auto&) { used = true; }));
  mailbox.serve(w.routes, 0);  // the late answer to the first request: nothing resolved
  CHECK(w.stats.arp_requests_sent.read() == 0);
  CHECK_FALSE(mailbox.pending());
}
