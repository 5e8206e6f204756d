#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <thread>

#include "packet_builder.hh"
#include "route/neighbour_table.hh"

using namespace rampart;
using test::ipv4;
using test::mac;

TEST_CASE("neighbour table learns, refreshes and looks up", "[unit][route]") {
  route::neighbour_table t;
  CHECK(t.size() == 0);
  CHECK_FALSE(t.lookup(ipv4(10, 0, 0, 1)));
  // refresh only updates what is known (RFC 826 merge flag).
  CHECK_FALSE(t.refresh(ipv4(10, 0, 0, 1), mac(2, 0, 0, 0, 0, 1), 1));
  CHECK(t.size() == 0);
  CHECK(t.learn(ipv4(10, 0, 0, 1), mac(2, 0, 0, 0, 0, 1), 1));
  CHECK(t.lookup(ipv4(10, 0, 0, 1)) == mac(2, 0, 0, 0, 0, 1));
  CHECK(t.refresh(ipv4(10, 0, 0, 1), mac(2, 0, 0, 0, 0, 9), 2));
  CHECK(t.lookup(ipv4(10, 0, 0, 1)) == mac(2, 0, 0, 0, 0, 9));
  CHECK(t.learn(ipv4(10, 0, 0, 1), mac(2, 0, 0, 0, 0, 7), 3));  // learn of a known IP updates
  CHECK(t.lookup(ipv4(10, 0, 0, 1)) == mac(2, 0, 0, 0, 0, 7));
  CHECK(t.size() == 1);
}

TEST_CASE("neighbour table refuses addresses that are never neighbours", "[unit][route]") {
  route::neighbour_table t;
  const auto good_mac = mac(2, 0, 0, 0, 0, 1);
  CHECK_FALSE(t.learn(ipv4(0, 0, 0, 0), good_mac, 1));              // ARP probe sender
  CHECK_FALSE(t.learn(ipv4(255, 255, 255, 255), good_mac, 1));
  CHECK_FALSE(t.learn(ipv4(224, 0, 0, 1), good_mac, 1));
  CHECK_FALSE(t.learn(ipv4(10, 0, 0, 1), mac(0, 0, 0, 0, 0, 0), 1));
  CHECK_FALSE(t.learn(ipv4(10, 0, 0, 1), mac(1, 0, 0x5e, 0, 0, 1), 1));  // multicast MAC
  CHECK_FALSE(t.learn(ipv4(10, 0, 0, 1), net::mac_address::broadcast(), 1));
  CHECK(t.size() == 0);
  REQUIRE(t.learn(ipv4(10, 0, 0, 1), good_mac, 1));
  CHECK_FALSE(t.refresh(ipv4(10, 0, 0, 1), net::mac_address::broadcast(), 2));
  CHECK(t.lookup(ipv4(10, 0, 0, 1)) == good_mac);
}

TEST_CASE("neighbour table evicts the least recently refreshed entry when full", "[unit][route]") {
  route::neighbour_table t;
  const auto cap = route::neighbour_table::capacity;
  for (std::size_t i = 0; i < cap; ++i) {
    REQUIRE(t.learn(ipv4(10, 1, 0, static_cast<std::uint8_t>(i + 1)), mac(2, 0, 0, 0, 1, static_cast<std::uint8_t>(i)),
                    100 + i));
  }
  CHECK(t.size() == cap);
  // Refresh the oldest (10.1.0.1, time 100): 10.1.0.2 (time 101) becomes the stalest.
  REQUIRE(t.refresh(ipv4(10, 1, 0, 1), mac(2, 0, 0, 0, 1, 0), 1000));
  REQUIRE(t.learn(ipv4(10, 2, 0, 1), mac(2, 0, 0, 0, 2, 1), 1001));
  CHECK(t.size() == cap);
  CHECK(t.lookup(ipv4(10, 2, 0, 1)));
  CHECK(t.lookup(ipv4(10, 1, 0, 1)));
  CHECK_FALSE(t.lookup(ipv4(10, 1, 0, 2)));
  CHECK(t.lookup(ipv4(10, 1, 0, 3)));
  // Next victim: 10.1.0.3 (time 102).
  REQUIRE(t.learn(ipv4(10, 2, 0, 2), mac(2, 0, 0, 0, 2, 2), 1002));
  CHECK_FALSE(t.lookup(ipv4(10, 1, 0, 3)));
  CHECK(t.lookup(ipv4(10, 2, 0, 1)));
}

TEST_CASE("neighbour table: another thread's peek never sees a torn entry", "[unit][route]") {
  // The owner keeps replacing entries (more addresses than slots, so slots are rewritten with
  // other addresses); every MAC is derived from its address, so a torn read shows as a mismatch.
  route::neighbour_table t;
  constexpr std::uint64_t capacity_of_table = route::neighbour_table::capacity;
  const auto mac_of = [](std::uint8_t host) { return mac(2, 0, 0, 0, host, static_cast<std::uint8_t>(~host)); };
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> written{0};
  std::thread owner([&] {
    for (std::uint64_t now = 1; !stop.load(std::memory_order_relaxed); ++now) {
      const auto host = static_cast<std::uint8_t>(now % 200 + 1);
      t.learn(ipv4(10, 3, 0, host), mac_of(host), now);
      written.store(now, std::memory_order_relaxed);
    }
  });
  while (written.load(std::memory_order_relaxed) < capacity_of_table) {
    std::this_thread::yield();  // reads race with rewrites only once the table is full
  }
  std::size_t found = 0;
  std::size_t torn = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto host = static_cast<std::uint8_t>(i % 200 + 1);
    if (const auto m = t.peek(ipv4(10, 3, 0, host))) {
      ++found;
      torn += *m == mac_of(host) ? 0 : 1;
    }
  }
  stop = true;
  owner.join();
  CHECK(torn == 0);
  CHECK(found > 0);
}

TEST_CASE("neighbour table: copy_entries lists what is learned", "[unit][route]") {
  route::neighbour_table t;
  REQUIRE(t.learn(ipv4(10, 0, 0, 1), mac(2, 0, 0, 0, 0, 1), 5));
  REQUIRE(t.learn(ipv4(10, 0, 0, 2), mac(2, 0, 0, 0, 0, 2), 6));
  std::array<route::neighbour_table::entry, route::neighbour_table::capacity> out;
  REQUIRE(t.copy_entries(out) == 2);
  CHECK(out[0].ip == ipv4(10, 0, 0, 1));
  CHECK(out[0].mac == mac(2, 0, 0, 0, 0, 1));
  CHECK(out[0].refreshed_ns == 5);
  CHECK(out[1].ip == ipv4(10, 0, 0, 2));
  CHECK(t.copy_entries(std::span(out).first(1)) == 1);
  CHECK(t.peek(ipv4(10, 0, 0, 2)) == mac(2, 0, 0, 0, 0, 2));
  CHECK_FALSE(t.peek(ipv4(10, 0, 0, 3)));
  CHECK_FALSE(t.peek(ipv4(0, 0, 0, 0)));
}
