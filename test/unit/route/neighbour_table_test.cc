#include <catch2/catch.hpp>

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
