#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <string>

#include "flood.hh"
#include "frames.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"

using namespace rampart;
using load::rx_frame;

namespace {

const net::mac_address mac_a{{0x02, 0, 0, 0, 0, 0xa}};
const net::mac_address mac_b{{0x02, 0, 0, 0, 0, 0xb}};
const net::ipv4_address ip_a{0x0a4e0001U};  // 10.78.0.1
const net::ipv4_address ip_b{0x0a4e0002U};  // 10.78.0.2

}  // namespace

TEST_CASE("build_tcp_frame and parse_frame round-trip a data segment with options", "[unit][load]") {
  const std::string data = "GET / HTTP/1.1\r\n\r\n";
  load::tcp_segment_spec s;
  s.link = {mac_a, mac_b};
  s.source_ip = ip_a;
  s.destination_ip = ip_b;
  s.header.source_port = 40000;
  s.header.destination_port = 80;
  s.header.sequence = net::seq32{0xfffffff0U};
  s.header.acknowledgment = net::seq32{12345};
  s.header.flags = net::tcp_flag::ack | net::tcp_flag::psh;
  s.header.window = 502;
  s.options.timestamps = net::tcp_timestamps{7, 9};
  s.payload = std::as_bytes(std::span(data.data(), data.size()));
  std::array<std::byte, 256> buf{};
  const std::size_t length = load::build_tcp_frame(buf, s);
  REQUIRE(length == 14 + 20 + 32 + data.size());
  const rx_frame f = load::parse_frame(std::span(buf.data(), length));
  REQUIRE(f.what == rx_frame::kind::tcp);
  CHECK(f.tcp.source_mac == mac_a);
  CHECK(f.tcp.source_ip == ip_a);
  CHECK(f.tcp.destination_ip == ip_b);
  CHECK(f.tcp.header.source_port == 40000);
  CHECK(f.tcp.header.sequence == net::seq32{0xfffffff0U});
  CHECK(f.tcp.header.acknowledgment == net::seq32{12345});
  CHECK(f.tcp.header.flags == (net::tcp_flag::ack | net::tcp_flag::psh));
  CHECK(f.tcp.options == s.options);
  CHECK(std::string(reinterpret_cast<const char*>(f.tcp.payload.data()), f.tcp.payload.size()) == data);

  buf[14 + 20 + 32] ^= std::byte{1};  // one payload bit: the TCP checksum no longer verifies
  CHECK(load::parse_frame(std::span(buf.data(), length)).what == rx_frame::kind::malformed);
  CHECK(load::build_tcp_frame(std::span(buf.data(), 60), s) == 0);  // too short
}

TEST_CASE("a short segment is padded to the Ethernet minimum and still parses", "[unit][load]") {
  load::tcp_segment_spec s;
  s.link = {mac_a, mac_b};
  s.source_ip = ip_a;
  s.destination_ip = ip_b;
  s.header.flags = net::tcp_flag::rst;
  std::array<std::byte, 128> buf;
  buf.fill(std::byte{0xee});
  CHECK(load::build_tcp_frame(buf, s) == 60);
  CHECK(buf[54] == std::byte{0});
  CHECK(buf[59] == std::byte{0});
  CHECK(load::parse_frame(std::span(buf.data(), 60)).what == rx_frame::kind::tcp);
}

TEST_CASE("SYN flood frames: random sources inside the prefix, Linux options, valid checksums", "[unit][load]") {
  load::flood_target t{{mac_a, mac_b}, ip_b, 80, {{0x0a630000U}, 24}};  // 10.99.0.0/24
  load::xorshift64 rng(7);
  std::set<std::uint32_t> sources;
  std::set<std::uint16_t> ports;
  std::array<std::byte, 128> buf{};
  for (int i = 0; i < 2000; ++i) {
    const std::size_t length = load::build_syn_flood_frame(buf, t, rng);
    const rx_frame f = load::parse_frame(std::span(buf.data(), length));
    REQUIRE(f.what == rx_frame::kind::tcp);
    REQUIRE(f.tcp.header.flags == net::tcp_flag::syn);
    REQUIRE(load::in_prefix(f.tcp.source_ip, t.sources));
    REQUIRE((f.tcp.source_ip.value & 0xff) != 0);
    REQUIRE((f.tcp.source_ip.value & 0xff) != 0xff);
    REQUIRE(f.tcp.header.source_port >= 1024);
    REQUIRE(f.tcp.header.destination_port == 80);
    REQUIRE(f.tcp.options.mss == std::uint16_t{1460});
    REQUIRE(f.tcp.options.timestamps.has_value());
    sources.insert(f.tcp.source_ip.value);
    ports.insert(f.tcp.header.source_port);
  }
  CHECK(sources.size() == 254);  // 2000 draws cover the /24's hosts
  CHECK(ports.size() > 1900);
}

TEST_CASE("ACK flood frames carry a random acknowledgment and no SYN", "[unit][load]") {
  load::flood_target t{{mac_a, mac_b}, ip_b, 80, {{0x0a630000U}, 16}};
  load::xorshift64 rng(9);
  std::set<std::uint32_t> acks;
  std::array<std::byte, 128> buf{};
  for (int i = 0; i < 100; ++i) {
    const rx_frame f = load::parse_frame(std::span(buf.data(), load::build_ack_flood_frame(buf, t, rng)));
    REQUIRE(f.what == rx_frame::kind::tcp);
    REQUIRE(f.tcp.header.flags == net::tcp_flag::ack);
    acks.insert(f.tcp.header.acknowledgment.raw());
  }
  CHECK(acks.size() == 100);

  t.cookie_tick = 0x12345677;  // only the low 6 bits travel: 0x37
  for (int i = 0; i < 100; ++i) {
    const rx_frame f = load::parse_frame(std::span(buf.data(), load::build_ack_flood_frame(buf, t, rng)));
    REQUIRE(((f.tcp.header.acknowledgment.raw() - 1) >> 26) == 0x37);
  }
}

TEST_CASE("ping flood frames: echo requests the SYN's size from the prefix, valid checksums", "[unit][load]") {
  load::flood_target t{{mac_a, mac_b}, ip_b, 80, {{0x0a630000U}, 24}};
  load::xorshift64 rng(11);
  std::array<std::byte, 128> syn{};
  std::array<std::byte, 128> ping{};
  std::set<std::uint32_t> identifiers;
  for (int i = 0; i < 100; ++i) {
    const std::size_t length = load::build_ping_flood_frame(ping, t, rng);
    REQUIRE(length == load::build_syn_flood_frame(syn, t, rng));  // 74 bytes: the same I/O per frame
    const std::span<const std::byte> ip = std::span(ping).subspan(14, length - 14);
    REQUIRE(ip[9] == std::byte{1});                                    // ICMP
    REQUIRE(net::internet_checksum(ip.first(20)) == 0);                 // IPv4 header checksum verifies
    REQUIRE(net::internet_checksum(ip.subspan(20)) == 0);               // ICMP checksum verifies
    REQUIRE(ip[20] == std::byte{8});                                    // echo request
    REQUIRE(load::in_prefix(net::ipv4_address{net::load_be32(ip.data() + 12)}, t.sources));
    REQUIRE(net::load_be32(ip.data() + 16) == ip_b.value);
    identifiers.insert(net::load_be16(ip.data() + 24));
    // A request is not an answer: the generator counts only echo replies.
    REQUIRE(load::parse_frame(std::span(ping.data(), length)).what == rx_frame::kind::other);
  }
  CHECK(identifiers.size() > 95);
}

TEST_CASE("an echo reply parses with its addresses; a bad ICMP checksum is malformed", "[unit][load]") {
  load::icmp_echo_spec s;
  s.link = {mac_b, mac_a};
  s.source_ip = ip_b;
  s.destination_ip = ip_a;
  s.type = 0;  // echo reply
  s.identifier = 7;
  s.data_length = 32;
  std::array<std::byte, 128> buf{};
  const std::size_t length = load::build_icmp_echo_frame(buf, s);
  REQUIRE(length == 74);
  const rx_frame f = load::parse_frame(std::span(buf.data(), length));
  REQUIRE(f.what == rx_frame::kind::echo_reply);
  CHECK(f.echo_reply.source_ip == ip_b);
  CHECK(f.echo_reply.destination_ip == ip_a);
  buf[14 + 20 + 8] ^= std::byte{1};  // one data bit
  CHECK(load::parse_frame(std::span(buf.data(), length)).what == rx_frame::kind::malformed);
  CHECK(load::build_icmp_echo_frame(std::span(buf.data(), 60), s) == 0);  // too short
}

TEST_CASE("ARP frames round-trip; non-TCP IPv4 is other", "[unit][load]") {
  std::array<std::byte, 64> buf{};
  const net::arp_packet request{net::arp_op::request, mac_a, ip_a, {}, ip_b};
  REQUIRE(load::build_arp_frame(buf, net::mac_address::broadcast(), request) == 60);
  const rx_frame f = load::parse_frame(buf);
  REQUIRE(f.what == rx_frame::kind::arp);
  CHECK(f.arp.operation == net::arp_op::request);
  CHECK(f.arp.sender_mac == mac_a);
  CHECK(f.arp.target_ip == ip_b);
  std::array<std::byte, 10> runt{};
  CHECK(load::parse_frame(runt).what == rx_frame::kind::malformed);
}
