#include "net/addresses.hh"

#include <catch2/catch.hpp>

using rampart::net::ipv4_address;
using rampart::net::ipv4_interface_address;
using rampart::net::mac_address;

TEST_CASE("mac_address parses and formats", "[unit][config][addresses]") {
  const auto mac = mac_address::parse("02:1A:fF:00:9b:7c");
  REQUIRE(mac);
  CHECK(mac->bytes == std::array<std::uint8_t, 6>{0x02, 0x1a, 0xff, 0x00, 0x9b, 0x7c});
  CHECK(mac->to_string() == "02:1a:ff:00:9b:7c");
  CHECK(mac_address::parse(mac->to_string()) == mac);
  CHECK(mac_address::parse("ff:ff:ff:ff:ff:ff")->is_broadcast());
  CHECK(mac_address::parse("01:00:5e:00:00:01")->is_multicast());
  CHECK(mac_address::parse("00:00:00:00:00:00")->is_zero());
  CHECK(mac_address{}.to_string() == "00:00:00:00:00:00");
}

TEST_CASE("mac_address rejects anything but six colon-separated hex pairs", "[unit][config][addresses]") {
  for (const char* text : {"", "02:1a:ff:00:9b", "02:1a:ff:00:9b:7c:00", "02-1a-ff-00-9b-7c",
                           "021a.ff00.9b7c", "2:1a:ff:00:9b:7c0", "02:1a:ff:00:9b:7g", "02:1a:ff:00:9b:7c ",
                           " 02:1a:ff:00:9b:7c", "02::1a:ff:00:9b:7c", "02:1a:ff:00:9b:", "0x:1a:ff:00:9b:7c"}) {
    INFO(text);
    CHECK_FALSE(mac_address::parse(text));
  }
}

TEST_CASE("ipv4_address parses dotted quads in host order", "[unit][config][addresses]") {
  CHECK(ipv4_address::parse("10.77.0.2")->value == 0x0a4d0002U);
  CHECK(ipv4_address::parse("0.0.0.0")->value == 0U);
  CHECK(ipv4_address::parse("255.255.255.255")->is_limited_broadcast());
  CHECK(ipv4_address::parse("224.0.0.1")->is_multicast());
  CHECK(ipv4_address::parse("127.0.0.1")->is_loopback());
  CHECK(ipv4_address::parse("192.168.100.200")->value == 0xc0a864c8U);
  for (const char* text : {"10.77.0.2", "0.0.0.0", "255.255.255.255", "1.2.3.4", "100.64.10.0"}) {
    INFO(text);
    CHECK(ipv4_address::parse(text)->to_string() == text);
  }
  CHECK(ipv4_address{0xc0000201U}.to_string() == "192.0.2.1");
}

TEST_CASE("ipv4_address rejects ambiguous and malformed text", "[unit][config][addresses]") {
  for (const char* text : {"", "10.77.0", "10.77.0.2.1", "10.77.0.256", "10.77.0.300", "010.1.1.1",
                           "10.01.1.1", "10.1.1.00", "10..0.2", ".10.77.0.2", "10.77.0.2.", "+10.77.0.2",
                           "10.-7.0.2", "10.77.0.2 ", " 10.77.0.2", "10.77.0.2/24", "10.77.0.x",
                           "1000.1.1.1", "0x0a.77.0.2", "10.77.0.2\n", "4294967295"}) {
    INFO(text);
    CHECK_FALSE(ipv4_address::parse(text));
  }
}

TEST_CASE("ipv4_interface_address parses a.b.c.d/len", "[unit][config][addresses]") {
  const auto ip = ipv4_interface_address::parse("10.77.0.2/24");
  REQUIRE(ip);
  CHECK(ip->address.value == 0x0a4d0002U);
  CHECK(ip->prefix_length == 24);
  CHECK(ip->netmask() == 0xffffff00U);
  CHECK(ip->subnet_broadcast().to_string() == "10.77.0.255");
  CHECK(ip->to_string() == "10.77.0.2/24");
  CHECK(ipv4_interface_address::parse("0.0.0.0/0")->netmask() == 0U);
  CHECK(ipv4_interface_address::parse("10.0.0.1/32")->netmask() == 0xffffffffU);
  CHECK(ipv4_interface_address::parse("10.0.0.1/8")->to_string() == "10.0.0.1/8");
}

TEST_CASE("ipv4_interface_address rejects bad prefixes", "[unit][config][addresses]") {
  for (const char* text : {"10.77.0.2", "10.77.0.2/", "10.77.0.2/33", "10.77.0.2/100", "10.77.0.2/024",
                           "10.77.0.2/08", "10.77.0.2/-1", "10.77.0.2/+8", "10.77.0.2/24 ", "10.77.0.2/24/8",
                           "10.77.0.300/24", "/24", "10.77.0.2 /24", "10.77.0.2/2x"}) {
    INFO(text);
    CHECK_FALSE(ipv4_interface_address::parse(text));
  }
}
