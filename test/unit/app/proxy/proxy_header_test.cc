// PROXY protocol headers (HAProxy's spec, 2020/03/05), byte for byte: the spec's own example
// line and maximum lengths (§2.1), hand-computed v2 blocks (§2.2), RFC 5952 text for TCP6 checked
// against inet_ntop, and every truncation.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <random>
#include <string>
#include <vector>

#include "app/proxy/proxy_header.hh"

using namespace rampart::app::proxy;
using rampart::net::ipv4_address;

namespace {

ipv4_address ip(const char* text) { return *ipv4_address::parse(text); }

ipv6_address ip6(const char* text) {
  ipv6_address a{};
  REQUIRE(inet_pton(AF_INET6, text, a.data()) == 1);
  return a;
}

// Runs a writer into a buffer of exactly `size` bytes; the written bytes as a string.
template <class Write>
std::string written(Write write, std::size_t size = 256) {
  std::vector<std::byte> buffer(size);
  const std::size_t n = write(std::span(buffer));
  return {reinterpret_cast<const char*>(buffer.data()), n};
}

template <class Write>
void check_every_truncation(Write write, std::size_t length) {
  for (std::size_t size = 0; size < length; ++size) {
    INFO("buffer of " << size << " bytes");
    CHECK(written(write, size).empty());
  }
  CHECK(written(write, length).size() == length);
}

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (const int v : values) {
    s.push_back(static_cast<char>(v));
  }
  return s;
}

}  // namespace

TEST_CASE("v1 TCP4: the spec's example line", "[unit][app][proxy]") {
  const ipv4_endpoints e{ip("192.168.0.1"), ip("192.168.0.11"), 56324, 443};
  const auto write = [&](std::span<std::byte> out) { return write_proxy_v1(out, e); };
  CHECK(written(write) == "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  check_every_truncation(write, 47);
}

TEST_CASE("v1 TCP4: the longest line is the spec's 56 bytes; zeros have no leading zeros", "[unit][app][proxy]") {
  const ipv4_endpoints longest{ip("255.255.255.255"), ip("255.255.255.255"), 65535, 65535};
  const std::string line = written([&](std::span<std::byte> out) { return write_proxy_v1(out, longest); });
  CHECK(line == "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
  CHECK(line.size() == 56);
  const ipv4_endpoints zeros{ip("0.0.0.0"), ip("10.0.0.1"), 0, 80};
  CHECK(written([&](std::span<std::byte> out) { return write_proxy_v1(out, zeros); }) ==
        "PROXY TCP4 0.0.0.0 10.0.0.1 0 80\r\n");
}

TEST_CASE("v1 TCP6: the longest line is the spec's 104 bytes, within the 107 a receiver takes", "[unit][app][proxy]") {
  const ipv6_address all_ones = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  const ipv6_endpoints e{all_ones, all_ones, 65535, 65535};
  const auto write = [&](std::span<std::byte> out) { return write_proxy_v1(out, e); };
  const std::string line = written(write);
  CHECK(line ==
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "65535 65535\r\n");
  CHECK(line.size() == 104);
  CHECK(line.size() <= proxy_v1_max_length);
  check_every_truncation(write, 104);
  CHECK(written(write, proxy_v1_max_length) == line);
}

TEST_CASE("v1 TCP6: addresses in RFC 5952 form", "[unit][app][proxy]") {
  const auto text = [](const char* address) {
    const ipv6_endpoints e{ip6(address), ip6("::1"), 1, 2};
    std::string line = written([&](std::span<std::byte> out) { return write_proxy_v1(out, e); });
    return line.substr(11, line.find(' ', 11) - 11);
  };
  CHECK(text("::") == "::");
  CHECK(text("::1") == "::1");
  CHECK(text("1::") == "1::");
  CHECK(text("2001:0DB8:0000:0000:0000:0000:0000:0001") == "2001:db8::1");  // §4.1, §4.3
  CHECK(text("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1");            // §4.2.2: one 0 stays
  CHECK(text("2001:0:0:1:0:0:0:1") == "2001:0:0:1::1");                      // §4.2.3: the longest
  CHECK(text("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1");                // §4.2.3: the first
  CHECK(text("fe80::abcd:ef01:2345:6789") == "fe80::abcd:ef01:2345:6789");
}

TEST_CASE("v1 TCP6: the same text as inet_ntop for random addresses", "[unit][app][proxy]") {
  std::mt19937 random(16);
  for (int i = 0; i < 20000; ++i) {
    ipv6_address a{};
    for (int g = 0; g < 8; ++g) {
      // Half the groups zero, so runs of zeros of every length and place occur.
      const auto value = (random() & 1) != 0 ? 0U : random() & 0xffffU >> (random() % 16);
      a[2 * g] = static_cast<std::uint8_t>(value >> 8);
      a[2 * g + 1] = static_cast<std::uint8_t>(value);
    }
    // inet_ntop writes a dotted-quad tail when the first 80 bits are zero (IPv4-compatible and
    // -mapped addresses); the spec's grammar has hex groups only.
    if (std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; })) {
      continue;
    }
    char expected[INET6_ADDRSTRLEN];
    REQUIRE(inet_ntop(AF_INET6, a.data(), expected, sizeof expected) != nullptr);
    const ipv6_endpoints e{a, a, 0, 0};
    const std::string line = written([&](std::span<std::byte> out) { return write_proxy_v1(out, e); });
    INFO(expected);
    REQUIRE(line == "PROXY TCP6 " + std::string(expected) + " " + expected + " 0 0\r\n");
  }
}

TEST_CASE("v1 UNKNOWN: the short form, 15 bytes", "[unit][app][proxy]") {
  CHECK(written(write_proxy_v1_unknown) == "PROXY UNKNOWN\r\n");
  check_every_truncation(write_proxy_v1_unknown, 15);
}

TEST_CASE("v2 TCP over IPv4: signature, 0x21, 0x11, length 12, addresses, ports", "[unit][app][proxy]") {
  const ipv4_endpoints e{ip("172.19.0.1"), ip("172.19.0.3"), 42578, 80};
  const auto write = [&](std::span<std::byte> out) { return write_proxy_v2(out, e); };
  CHECK(written(write) == bytes({0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,  //
                                 0x21, 0x11, 0x00, 0x0c,                                                  //
                                 0xac, 0x13, 0x00, 0x01, 0xac, 0x13, 0x00, 0x03,                          //
                                 0xa6, 0x52, 0x00, 0x50}));
  check_every_truncation(write, proxy_v2_ipv4_length);
}

TEST_CASE("v2 TCP over IPv6: 0x21, length 36", "[unit][app][proxy]") {
  const ipv6_endpoints e{ip6("2001:db8::1"), ip6("2001:db8::2"), 0x1234, 443};
  const auto write = [&](std::span<std::byte> out) { return write_proxy_v2(out, e); };
  CHECK(written(write) ==
        bytes({0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,  //
               0x21, 0x21, 0x00, 0x24,                                                  //
               0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,           //
               0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,           //
               0x12, 0x34, 0x01, 0xbb}));
  check_every_truncation(write, proxy_v2_ipv6_length);
}

TEST_CASE("v2 LOCAL: version 2, command 0, AF_UNSPEC, no address", "[unit][app][proxy]") {
  CHECK(written(write_proxy_v2_local) ==
        bytes({0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00}));
  check_every_truncation(write_proxy_v2_local, 16);
}
