#include "net/addresses.hh"

#include <catch2/catch.hpp>

using rampart::net::ipv4_address;
using rampart::net::ipv4_interface_address;
using rampart::net::ipv6_address;
using rampart::net::ipv6_interface_address;
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

TEST_CASE("ipv6_address parses and formats in RFC 5952's canonical form", "[unit][config][addresses]") {
  const auto a = ipv6_address::parse("FD77:0:0:0:0:0:0:2");
  REQUIRE(a);
  CHECK(a->bytes == std::array<std::uint8_t, 16>{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  CHECK(a->to_string() == "fd77::2");
  CHECK(ipv6_address::parse("2001:db8:0:0:1:0:0:1")->to_string() == "2001:db8::1:0:0:1");
  CHECK(ipv6_address::parse("::")->is_unspecified());
  CHECK(ipv6_address::parse("::1")->is_loopback());
  CHECK(ipv6_address::parse("ff02::1") == ipv6_address::all_nodes());
  CHECK(ipv6_address::parse("ff02::2") == ipv6_address::all_routers());
  CHECK(ipv6_address::parse("ff02::1")->is_multicast());
  CHECK(ipv6_address::parse("fe80::1")->is_link_local());
  CHECK(ipv6_address::parse("febf::1")->is_link_local());
  CHECK_FALSE(ipv6_address::parse("fec0::1")->is_link_local());
  CHECK(ipv6_address::parse("::ffff:10.77.0.2")->is_ipv4_mapped());
  CHECK_FALSE(ipv6_address::parse("::10.77.0.2")->is_ipv4_mapped());
  for (const char* text : {"", ":", "fd77::2::3", "fd77::g", "fd77::2%eth0", "1:2:3:4:5:6:7:8:9", " ::1",
                           "fd77::2/64", "10.77.0.2", "12345::"}) {
    INFO(text);
    CHECK_FALSE(ipv6_address::parse(text));
  }
}

TEST_CASE("ipv6_address derives the addresses NDP needs", "[unit][config][addresses]") {
  // RFC 4291 appendix A: 02:1a:ff:00:9b:7c → interface identifier 001a:ffff:fe00:9b7c.
  const auto mac = mac_address::parse("02:1a:ff:00:9b:7c");
  CHECK(ipv6_address::link_local_of(*mac).to_string() == "fe80::1a:ffff:fe00:9b7c");
  // RFC 4291 §2.7.1: the low 24 bits after ff02::1:ff00:0/104.
  const auto a = ipv6_address::parse("fd77::12:3456:789a");
  CHECK(a->solicited_node().to_string() == "ff02::1:ff56:789a");
  // RFC 2464 §7: 33:33 and the low 32 bits.
  CHECK(a->solicited_node().multicast_mac().to_string() == "33:33:ff:56:78:9a");
  CHECK(ipv6_address::all_nodes().multicast_mac().to_string() == "33:33:00:00:00:01");
}

TEST_CASE("ipv6_interface_address parses prefixes and says what is on link", "[unit][config][addresses]") {
  const auto ip = ipv6_interface_address::parse("fd77::2/64");
  REQUIRE(ip);
  CHECK(ip->prefix_length == 64);
  CHECK(ip->to_string() == "fd77::2/64");
  CHECK(ip->on_link(*ipv6_address::parse("fd77::ffff:1")));
  CHECK_FALSE(ip->on_link(*ipv6_address::parse("fd77:0:0:1::1")));
  CHECK(ipv6_interface_address::parse("fd77::2/60")->on_link(*ipv6_address::parse("fd77:0:0:f::1")));
  CHECK_FALSE(ipv6_interface_address::parse("fd77::2/61")->on_link(*ipv6_address::parse("fd77:0:0:f::1")));
  CHECK(ipv6_interface_address::parse("::/0")->on_link(*ipv6_address::parse("2001:db8::1")));
  CHECK(ipv6_interface_address::parse("fd77::2/128")->on_link(*ipv6_address::parse("fd77::2")));
  for (const char* text : {"fd77::2", "fd77::2/", "fd77::2/129", "fd77::2/064", "fd77::2/-1", "fd77::2/64 ",
                           "/64", "fd77::2/6x", "fd77::2%e/64"}) {
    INFO(text);
    CHECK_FALSE(ipv6_interface_address::parse(text));
  }
}
