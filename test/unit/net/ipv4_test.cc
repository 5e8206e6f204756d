#include <catch2/catch.hpp>

#include "net/checksum.hh"
#include "net/ipv4.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

namespace {

test::bytes captured_datagram() {
  const auto frame = from_hex(test::captured::icmp_echo_request);
  return test::bytes(frame.begin() + 14, frame.end());
}

drop_reason parse_error(std::span<const std::byte> bytes) {
  const auto ip = net::ipv4_view::parse(bytes);
  REQUIRE_FALSE(ip);
  return ip.error();
}

test::ipv4_fields good_fields() {
  test::ipv4_fields f;
  f.source = test::ipv4(10, 99, 0, 1);
  f.destination = test::ipv4(10, 99, 0, 2);
  return f;
}

}  // namespace

TEST_CASE("IPv4 view of a captured echo request", "[unit][net]") {
  const auto datagram = captured_datagram();
  const auto ip = net::ipv4_view::parse(datagram);
  REQUIRE(ip);
  const net::ipv4_header h = ip->header();
  CHECK(h.header_length == 20);
  CHECK(h.dscp_ecn == 0);
  CHECK(h.total_length == 68);
  CHECK(h.identification == 0xb92c);
  CHECK(h.dont_fragment);
  CHECK_FALSE(h.more_fragments);
  CHECK(h.fragment_offset == 0);
  CHECK_FALSE(h.is_fragment());
  CHECK(h.ttl == 64);
  CHECK(h.protocol == net::ip_protocol::icmp);
  CHECK(h.source == test::captured::host_ip);
  CHECK(h.destination == test::captured::peer_ip);
  CHECK(ip->payload().size() == 48);
  CHECK(ip->payload().data() == datagram.data() + 20);
  CHECK(ip->options().empty());
}

TEST_CASE("IPv4 parse truncated at every length", "[unit][net]") {
  const auto datagram = captured_datagram();
  for (std::size_t length = 0; length < datagram.size(); ++length) {
    INFO("length " << length);
    const drop_reason expected = length < 20 ? drop_reason::ipv4_truncated : drop_reason::ipv4_bad_total_length;
    CHECK(parse_error(std::span{datagram}.first(length)) == expected);
  }
  CHECK(net::ipv4_view::parse(datagram));
}

TEST_CASE("IPv4 parse: each malformed header gives its reason", "[unit][net]") {
  const test::bytes payload(8, std::byte{0x5a});
  SECTION("version 6") {
    auto f = good_fields();
    f.version = 6;
    CHECK(parse_error(test::ipv4_datagram(f, payload)) == drop_reason::ipv4_bad_version);
  }
  SECTION("IHL below 5") {
    auto f = good_fields();
    f.ihl = 4;
    CHECK(parse_error(test::ipv4_datagram(f, payload)) == drop_reason::ipv4_bad_ihl);
  }
  SECTION("IHL beyond the bytes present") {
    auto f = good_fields();
    f.ihl = 15;  // 60-byte header in a 28-byte datagram
    CHECK(parse_error(test::ipv4_datagram(f, payload)) == drop_reason::ipv4_bad_ihl);
  }
  SECTION("total length below the header length") {
    auto f = good_fields();
    f.total_length = 19;
    CHECK(parse_error(test::ipv4_datagram(f, payload)) == drop_reason::ipv4_bad_total_length);
  }
  SECTION("total length beyond the bytes present") {
    auto f = good_fields();
    f.total_length = 29;
    CHECK(parse_error(test::ipv4_datagram(f, payload)) == drop_reason::ipv4_bad_total_length);
  }
  SECTION("bad header checksum") {
    auto f = good_fields();
    f.correct_checksum = false;
    CHECK(parse_error(test::ipv4_datagram(f, payload)) == drop_reason::ipv4_bad_checksum);
  }
  SECTION("a corrupted address breaks the checksum") {
    auto d = captured_datagram();
    d[15] = std::byte{0x02};
    CHECK(parse_error(d) == drop_reason::ipv4_bad_checksum);
  }
}

TEST_CASE("IPv4 parse ignores trailing Ethernet padding", "[unit][net]") {
  // A 28-byte datagram in a minimum frame carries 18 bytes of padding.
  auto d = test::ipv4_datagram(good_fields(), test::bytes(8, std::byte{1}));
  d.resize(46, std::byte{0xaa});
  const auto ip = net::ipv4_view::parse(d);
  REQUIRE(ip);
  CHECK(ip->total_length() == 28);
  CHECK(ip->datagram().size() == 28);
  CHECK(ip->payload().size() == 8);
  CHECK(ip->header().payload_length() == 8);
}

TEST_CASE("IPv4 parse reports fragments and options", "[unit][net]") {
  auto f = good_fields();
  f.flags_fragment = 0x2000;  // MF, offset 0: first fragment
  auto ip = net::ipv4_view::parse(test::ipv4_datagram(f, test::bytes(8)));
  REQUIRE(ip);
  CHECK(ip->header().more_fragments);
  CHECK(ip->is_fragment());
  f.flags_fragment = 0x00b9;  // last fragment at offset 185*8
  const auto last = test::ipv4_datagram(f, test::bytes(8));
  ip = net::ipv4_view::parse(last);
  REQUIRE(ip);
  CHECK(ip->header().fragment_offset == 0xb9);
  CHECK_FALSE(ip->header().dont_fragment);
  CHECK(ip->is_fragment());

  auto with_options = good_fields();
  with_options.options = from_hex("0101 0100");  // NOP NOP NOP EOL
  const auto d = test::ipv4_datagram(with_options, test::bytes(8, std::byte{7}));
  ip = net::ipv4_view::parse(d);
  REQUIRE(ip);
  CHECK(ip->header_length() == 24);
  CHECK(ip->options().size() == 4);
  CHECK(ip->payload().size() == 8);
  CHECK(ip->payload()[0] == std::byte{7});
}

TEST_CASE("IPv4 writer", "[unit][net]") {
  net::ipv4_header h;
  h.total_length = 68;
  h.identification = 0xb92c;
  h.dont_fragment = true;
  h.ttl = 64;
  h.protocol = net::ip_protocol::icmp;
  h.source = test::captured::host_ip;
  h.destination = test::captured::peer_ip;
  test::bytes out(20);
  REQUIRE(net::write_ipv4_header(out, h, true) == 20);
  // Exactly the captured header, checksum included.
  const auto captured = captured_datagram();
  CHECK(test::to_hex(out) == test::to_hex(std::span{captured}.first(20)));
  REQUIRE(net::write_ipv4_header(out, h, false) == 20);
  CHECK(test::get16(out, 10) == 0);
  h.more_fragments = true;
  h.fragment_offset = 3;
  h.dont_fragment = false;
  REQUIRE(net::write_ipv4_header(out, h, true) == 20);
  CHECK(test::get16(out, 6) == 0x2003);
  CHECK(net::checksum_verifies(out));
  test::bytes short_out(19);
  CHECK(net::write_ipv4_header(short_out, h, true) == 0);
}
