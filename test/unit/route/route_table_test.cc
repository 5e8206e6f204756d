#include <catch2/catch.hpp>

#include <vector>

#include "packet_builder.hh"
#include "route/route_table.hh"

using namespace rampart;
using test::ipv4;

namespace {

const net::ipv4_interface_address port{ipv4(10, 77, 0, 2), 24};

route::static_route via(net::ipv4_address network, std::uint8_t length, net::ipv4_address next_hop) {
  return {{network, length}, next_hop};
}

}  // namespace

TEST_CASE("route table: a destination on the port's subnet is its own next hop", "[unit][route]") {
  const route::route_table t(port, {}, std::nullopt);
  CHECK(t.next_hop(ipv4(10, 77, 0, 3)) == ipv4(10, 77, 0, 3));
  CHECK(t.next_hop(ipv4(10, 77, 0, 254)) == ipv4(10, 77, 0, 254));
  CHECK_FALSE(t.next_hop(ipv4(10, 78, 0, 3)));  // no gateway, no route: unreachable
}

TEST_CASE("route table: the default gateway takes what nothing more specific holds", "[unit][route]") {
  const route::route_table t(port, {}, ipv4(10, 77, 0, 1));
  CHECK(t.next_hop(ipv4(192, 0, 2, 7)) == ipv4(10, 77, 0, 1));
  CHECK(t.next_hop(ipv4(10, 77, 0, 9)) == ipv4(10, 77, 0, 9));  // the subnet stays on-link
}

TEST_CASE("route table: the longest matching prefix wins, whatever the order given", "[unit][route]") {
  const std::vector<route::static_route> routes{
      via(ipv4(10, 0, 0, 0), 8, ipv4(10, 77, 0, 251)),
      via(ipv4(10, 1, 2, 0), 24, ipv4(10, 77, 0, 253)),
      via(ipv4(10, 1, 0, 0), 16, ipv4(10, 77, 0, 252)),
      // More specific than the subnet: a part of it behind a router.
      via(ipv4(10, 77, 0, 128), 25, ipv4(10, 77, 0, 250)),
  };
  const route::route_table t(port, routes, ipv4(10, 77, 0, 1));
  CHECK(t.next_hop(ipv4(10, 1, 2, 3)) == ipv4(10, 77, 0, 253));
  CHECK(t.next_hop(ipv4(10, 1, 3, 3)) == ipv4(10, 77, 0, 252));
  CHECK(t.next_hop(ipv4(10, 2, 0, 1)) == ipv4(10, 77, 0, 251));
  CHECK(t.next_hop(ipv4(11, 0, 0, 1)) == ipv4(10, 77, 0, 1));
  CHECK(t.next_hop(ipv4(10, 77, 0, 200)) == ipv4(10, 77, 0, 250));
  CHECK(t.next_hop(ipv4(10, 77, 0, 100)) == ipv4(10, 77, 0, 100));  // the /24 beats 10/8
}

TEST_CASE("route table: no next hop for what is no unicast host", "[unit][route]") {
  const route::route_table t(port, {}, ipv4(10, 77, 0, 1));
  CHECK_FALSE(t.next_hop(ipv4(0, 0, 0, 0)));
  CHECK_FALSE(t.next_hop(ipv4(255, 255, 255, 255)));
  CHECK_FALSE(t.next_hop(ipv4(224, 0, 0, 5)));
  CHECK_FALSE(t.next_hop(ipv4(127, 0, 0, 1)));
  CHECK_FALSE(t.next_hop(ipv4(10, 77, 0, 2)));    // our own address
  CHECK_FALSE(t.next_hop(ipv4(10, 77, 0, 255)));  // the subnet's broadcast
  // RFC 3021: on a /31 both addresses are hosts.
  const route::route_table point_to_point({ipv4(10, 9, 0, 0), 31}, {}, std::nullopt);
  CHECK(point_to_point.next_hop(ipv4(10, 9, 0, 1)) == ipv4(10, 9, 0, 1));
}
