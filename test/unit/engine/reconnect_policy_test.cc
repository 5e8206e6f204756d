#include "engine/reconnect_policy.hh"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace rampart::engine;
using namespace std::chrono_literals;

TEST_CASE("only a net_memif client given role=client reconnects on restart", "[engine][reconnect]") {
  const std::vector<std::string> vdevs{"net_tap0,iface=rampart0",
                                       "net_memif0,role=client,id=0,socket=/run/memif/a.sock",
                                       "net_memif1,id=1,socket=/run/memif/b.sock",
                                       "net_memif2,socket=/run/memif/role=client,role=server"};
  CHECK(reconnects_only_on_restart("net_memif", "net_memif0", vdevs));
  CHECK_FALSE(reconnects_only_on_restart("net_memif", "net_memif1", vdevs));  // memif's default role: server
  CHECK_FALSE(reconnects_only_on_restart("net_memif", "net_memif2", vdevs));  // "role=client" inside a path
  CHECK_FALSE(reconnects_only_on_restart("net_memif", "net_memif", vdevs));   // a prefix of another's name
  CHECK_FALSE(reconnects_only_on_restart("net_tap", "net_tap0", vdevs));
  CHECK_FALSE(reconnects_only_on_restart("net_memif", "net_memif3", vdevs));  // not among the vdevs
}

TEST_CASE("reconnect attempts back off from 100 ms, doubling to 5 s", "[engine][reconnect]") {
  reconnect_backoff backoff;
  const auto t0 = reconnect_backoff::clock::time_point{} + 1h;
  CHECK_FALSE(backoff.due(t0));  // link up: nothing due

  backoff.link_down(t0);
  CHECK_FALSE(backoff.due(t0 + 99ms));
  CHECK(backoff.due(t0 + 100ms));
  backoff.link_down(t0 + 100ms);  // still down: the outage keeps its schedule
  CHECK(backoff.due(t0 + 100ms));

  auto now = t0 + 100ms;
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 8; ++i) {
    backoff.attempted(now, "failed");
    delays.push_back(backoff.delay());
    CHECK_FALSE(backoff.due(now + backoff.delay() - 1ms));
    now += backoff.delay();
    CHECK(backoff.due(now));
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms, 1600ms, 3200ms, 5000ms, 5000ms, 5000ms});
  CHECK(backoff.attempts() == 8);

  backoff.link_up();
  CHECK_FALSE(backoff.due(now + 1h));
  CHECK(backoff.attempts() == 0);
  backoff.link_down(now);
  CHECK(backoff.due(now + 100ms));  // a new outage starts over
}

TEST_CASE("an attempt's outcome is reported once per change", "[engine][reconnect]") {
  reconnect_backoff backoff;
  const auto t0 = reconnect_backoff::clock::time_point{};
  backoff.link_down(t0);
  CHECK(backoff.attempted(t0, "connect refused"));
  CHECK_FALSE(backoff.attempted(t0, "connect refused"));
  CHECK(backoff.attempted(t0, "started"));
  CHECK(backoff.attempted(t0, "connect refused"));
  backoff.link_up();
  backoff.link_down(t0);
  CHECK(backoff.attempted(t0, "connect refused"));  // a new outage reports again
}

TEST_CASE("a port that started gets its handshake time before the next attempt", "[engine][reconnect]") {
  reconnect_backoff backoff;
  const auto t0 = reconnect_backoff::clock::time_point{} + 1h;
  backoff.started(t0);  // start-up: the first handshake
  backoff.link_down(t0);
  CHECK_FALSE(backoff.due(t0 + 100ms));
  CHECK_FALSE(backoff.due(t0 + 999ms));
  CHECK(backoff.due(t0 + 1000ms));

  const auto t1 = t0 + 1000ms;
  backoff.attempted(t1, "connected");
  backoff.started(t1);
  CHECK(backoff.delay() == 200ms);
  CHECK_FALSE(backoff.due(t1 + 200ms));  // the handshake may still be under way
  CHECK(backoff.due(t1 + 1000ms));
}
