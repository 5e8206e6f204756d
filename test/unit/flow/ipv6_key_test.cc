#include <catch2/catch.hpp>

#include <cstdint>

#include "flow/flow_key.hh"

using namespace rampart::flow;

TEST_CASE("make_ipv6_key: marker, local index, peer id and ports", "[unit][flow]") {
  for (const std::uint8_t local : {ipv6_local_global, ipv6_local_link_local}) {
    const flow_key key = make_ipv6_key(local, 0xdeadbeef, 40000, 443);
    CHECK(is_ipv6(key));
    CHECK(local_index_of(key) == local);
    CHECK(key.remote_ip == 0xdeadbeef);
    CHECK(key.remote_port == 40000);
    CHECK(key.local_port == 443);
  }
  CHECK(make_ipv6_key(ipv6_local_global, 1, 1, 1) != make_ipv6_key(ipv6_local_link_local, 1, 1, 1));
  // Every peer id, even one that equals an IPv4 address, gives an IPv6 key.
  CHECK(is_ipv6(make_ipv6_key(ipv6_local_global, 0x0a4d0002, 80, 80)));
}

TEST_CASE("is_ipv6: true for 255.255.255.0/24 only, never for a unicast IPv4 local address",
          "[unit][flow]") {
  const auto ipv4_key = [](std::uint32_t local) { return flow_key{0x0a4d0003, local, 40000, 80}; };
  // Exhaustive over the top /16, around the marker's edge.
  for (std::uint32_t local = 0xffff0000U; local != 0; ++local) {
    REQUIRE(is_ipv6(ipv4_key(local)) == (local >= ipv6_local_marker));
  }
  // A unicast host address lies below 224.0.0.0 (RFC 1122 §3.2.1.3): sweep that range with a
  // prime step (14.6M addresses, every /8 and every value of the low byte), plus its last one.
  std::uint64_t taken_for_ipv6 = 0;
  for (std::uint64_t local = 0; local < 0xe0000000ULL; local += 257) {
    taken_for_ipv6 += is_ipv6(ipv4_key(static_cast<std::uint32_t>(local))) ? 1 : 0;
  }
  CHECK(taken_for_ipv6 == 0);
  CHECK_FALSE(is_ipv6(ipv4_key(0xdfffffffU)));
}
