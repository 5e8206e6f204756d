#include "engine/capture.hh"

#include <vector>

#include <catch2/catch.hpp>

using namespace rampart;
using namespace rampart::engine;

namespace {

// Ethernet + IPv4 (IHL 5) + the first 4 bytes of a TCP/UDP header.
std::vector<std::uint8_t> frame(std::uint32_t src, std::uint32_t dst, std::uint8_t protocol, std::uint16_t sport,
                                std::uint16_t dport, std::uint16_t fragment = 0) {
  std::vector<std::uint8_t> f(14 + 20 + 8, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[14 + 6] = static_cast<std::uint8_t>(fragment >> 8);
  f[14 + 7] = static_cast<std::uint8_t>(fragment);
  f[14 + 9] = protocol;
  for (int i = 0; i < 4; ++i) {
    f[14 + 12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    f[14 + 16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  f[34] = static_cast<std::uint8_t>(sport >> 8);
  f[35] = static_cast<std::uint8_t>(sport);
  f[36] = static_cast<std::uint8_t>(dport >> 8);
  f[37] = static_cast<std::uint8_t>(dport);
  return f;
}

bool matches(const capture_filter& filter, const std::vector<std::uint8_t>& f) {
  return filter.matches(f.data(), static_cast<std::uint32_t>(f.size()));
}

}  // namespace

TEST_CASE("capture filter: host and port", "[unit][engine]") {
  const auto tcp80 = frame(0x0a4d0001, 0x0a4d0002, 6, 40000, 80);
  const auto udp53 = frame(0x0a4d0003, 0x0a4d0002, 17, 53, 9999);
  const auto icmp = frame(0x0a4d0001, 0x0a4d0002, 1, 0, 0);
  std::vector<std::uint8_t> arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  CHECK(matches({}, arp));
  capture_filter host{net::ipv4_address{0x0a4d0001}, std::nullopt};
  CHECK(matches(host, tcp80));
  CHECK(matches(host, icmp));
  CHECK_FALSE(matches(host, udp53));
  CHECK_FALSE(matches(host, arp));
  capture_filter port{std::nullopt, 80};
  CHECK(matches(port, tcp80));
  CHECK_FALSE(matches(port, icmp));
  CHECK_FALSE(matches(port, frame(0x0a4d0001, 0x0a4d0002, 6, 40000, 80, 0x0010)));  // not the first fragment
  CHECK(matches(capture_filter{std::nullopt, 53}, udp53));
  CHECK_FALSE(matches(capture_filter{net::ipv4_address{0x0a4d0001}, 53}, udp53));
  CHECK_FALSE(port.matches(tcp80.data(), 30));  // truncated
}

TEST_CASE("capture request parameters", "[unit][engine]") {
  std::string error;
  const auto r = parse_capture_request("100,/srv/cap/a.pcapng,host=10.0.0.1,port=443", "/srv/cap", error);
  REQUIRE(r);
  CHECK(r->frames == 100);
  CHECK(r->path == "/srv/cap/a.pcapng");
  CHECK(r->filter.address->value == 0x0a000001);
  CHECK(r->filter.port == 443);
  for (const auto& [params, message] : std::vector<std::pair<const char*, const char*>>{
           {"", "usage: /rampart/capture"},
           {"10", "usage: /rampart/capture"},
           {"0,/tmp/a", "number of frames, 1..1000000"},
           {"1000001,/tmp/a", "number of frames"},
           {"x,/tmp/a", "number of frames"},
           {"5,/tmp/a.pcapng", "\"/tmp/a.pcapng\" is not a file directly in stats.capture_directory"},
           {"5,a,host=1.2.3", "host= takes an IPv4 address"},
           {"5,a,port=0", "port= takes a port number"},
           {"5,a,vlan=3", "unknown parameter \"vlan=3\""}}) {
    INFO(params);
    error.clear();
    CHECK_FALSE(parse_capture_request(params, "/srv/cap", error));
    CHECK(error.find(message) != std::string::npos);
  }
}

TEST_CASE("a capture file is a name directly in the capture directory", "[unit][engine]") {
  std::string error;
  CHECK(capture_file_path("a.pcapng", "/srv/cap", error) == "/srv/cap/a.pcapng");
  CHECK(capture_file_path("/srv/cap/a.pcapng", "/srv/cap", error) == "/srv/cap/a.pcapng");
  CHECK(capture_file_path("/srv//cap/./a.pcapng", "/srv/cap/", error) == "/srv/cap/a.pcapng");
  CHECK(capture_file_path("sub/../a.pcapng", "/srv/cap", error) == "/srv/cap/a.pcapng");
  CHECK(error.empty());
  for (const char* refused : {"/tmp/a.pcapng", "../a.pcapng", "/srv/cap/../etc/passwd", "/srv/capture/a",
                              "sub/a.pcapng", "/srv/cap/sub/a.pcapng", "", ".", "..", "/srv/cap", "/srv/cap/"}) {
    INFO(refused);
    error.clear();
    CHECK_FALSE(capture_file_path(refused, "/srv/cap", error));
    CHECK(error == "\"" + std::string(refused) + "\" is not a file directly in stats.capture_directory");
  }
}
