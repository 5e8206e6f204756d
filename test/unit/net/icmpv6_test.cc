#include <catch2/catch.hpp>

#include "net/icmpv6.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

namespace {

namespace type = net::icmpv6_type;

const net::ipv6_address host = test::captured::host_ipv6;
const net::ipv6_address peer = test::captured::peer_ipv6;

// The ICMPv6 message of a captured frame.
test::bytes icmpv6_of(std::string_view captured_frame) {
  const auto frame = from_hex(captured_frame);
  return test::bytes(frame.begin() + 54, frame.end());
}

// A TCP over IPv6 packet from `source`: fixed header, then 20 bytes of TCP header
// (ports 443 -> 51000, sequence 0x01020304) and `data_bytes` of data.
test::bytes tcp_packet(const net::ipv6_address& source, const net::ipv6_address& destination,
                       std::size_t data_bytes = 0) {
  test::bytes tcp = from_hex("01bb c738 0102 0304 0000 0000 5010 ffff 0000 0000");
  tcp.resize(tcp.size() + data_bytes, std::byte{0x61});
  test::ipv6_fields f;
  f.next_header = 6;
  f.source = source;
  f.destination = destination;
  return test::ipv6_packet(f, tcp);
}

// What write_icmpv6_error must produce, by the independent builders of test/support.
test::bytes expected_error(std::uint8_t error_type, std::uint8_t code, std::uint32_t word,
                           const net::ipv6_address& source, const net::ipv6_address& destination,
                           std::span<const std::byte> quote) {
  test::ipv6_fields f;
  f.source = source;
  f.destination = destination;
  return test::ipv6_packet(f, test::icmpv6_message(error_type, code, word, quote, source, destination));
}

}  // namespace

TEST_CASE("ICMPv6 view of a captured echo request", "[unit][net]") {
  const auto message = icmpv6_of(test::captured::icmpv6_echo_request);
  const auto icmp = net::icmpv6_view::parse(host, peer, message);
  REQUIRE(icmp);
  CHECK(icmp->type() == type::echo_request);
  CHECK(icmp->code() == 0);
  CHECK(icmp->checksum() == 0xb740);
  CHECK(icmp->identifier() == 13119);
  CHECK(icmp->sequence() == 1);
  CHECK(icmp->data().size() == 40);
  CHECK(icmp->data()[39] == std::byte{0x27});
  CHECK_FALSE(net::is_icmpv6_error(icmp->type()));
  CHECK(net::is_icmpv6_error(type::packet_too_big));
}

TEST_CASE("ICMPv6 parse: truncated, bad checksum (pseudo-header included)", "[unit][net]") {
  const auto message = icmpv6_of(test::captured::icmpv6_echo_request);
  for (std::size_t length = 0; length < 8; ++length) {
    CHECK(net::icmpv6_view::parse(host, peer, std::span{message}.first(length)).error() ==
          drop_reason::icmpv6_truncated);
  }
  for (std::size_t length = 8; length < message.size(); ++length) {
    CHECK(net::icmpv6_view::parse(host, peer, std::span{message}.first(length)).error() ==
          drop_reason::icmpv6_bad_checksum);
  }
  // The same bytes from another address: the pseudo-header no longer matches.
  CHECK(net::icmpv6_view::parse(test::ipv6("fd99::3"), peer, message).error() == drop_reason::icmpv6_bad_checksum);
  const auto corrupt = test::icmpv6_message(type::echo_request, 0, 0x10002, test::bytes(3), host, peer, true);
  CHECK(net::icmpv6_view::parse(host, peer, corrupt).error() == drop_reason::icmpv6_bad_checksum);
  const auto odd = test::icmpv6_message(type::echo_request, 0, 0x10002, test::bytes(3), host, peer);
  CHECK(net::icmpv6_view::parse(host, peer, odd));
}

TEST_CASE("ICMPv6 echo writer reproduces Linux's reply", "[unit][net]") {
  const auto request = icmpv6_of(test::captured::icmpv6_echo_request);
  const auto expected = icmpv6_of(test::captured::icmpv6_echo_reply);
  test::bytes out(request.size());
  REQUIRE(net::write_icmpv6_echo(out, peer, host, type::echo_reply, 13119, 1, std::span{request}.subspan(8)) == 48);
  CHECK(test::to_hex(out) == test::to_hex(expected));
  auto in_place = request;
  REQUIRE(net::write_icmpv6_echo(in_place, peer, host, type::echo_reply, 13119, 1,
                                 std::span{in_place}.subspan(8)) == 48);
  CHECK(test::to_hex(in_place) == test::to_hex(expected));
  test::bytes short_out(47);
  CHECK(net::write_icmpv6_echo(short_out, peer, host, type::echo_reply, 13119, 1, std::span{request}.subspan(8)) == 0);
}

TEST_CASE("ICMPv6 errors quote the offending packet up to 1280 bytes (RFC 4443 2.4 c)", "[unit][net]") {
  const auto small = test::after_ethernet(test::captured::icmpv6_echo_request);
  const auto small_view = net::ipv6_view::parse(small);
  REQUIRE(small_view);
  test::bytes out(2048);
  const std::size_t n = net::write_icmpv6_packet_too_big(out, peer, 1280, *small_view);
  CHECK(n == 48 + small.size());
  CHECK(test::to_hex(std::span{out}.first(n)) == test::to_hex(expected_error(type::packet_too_big, 0, 1280, peer, host, small)));

  const auto large = tcp_packet(host, peer, 1440);  // 1500 bytes
  const auto large_view = net::ipv6_view::parse(large);
  REQUIRE(large_view);
  const std::size_t cut = net::write_icmpv6_destination_unreachable(
      out, peer, net::icmpv6_unreachable_code::port_unreachable, *large_view);
  CHECK(cut == 1280);
  CHECK(test::to_hex(std::span{out}.first(cut)) ==
        test::to_hex(expected_error(type::destination_unreachable, 4, 0, peer, host, std::span{large}.first(1232))));

  // Written over the packet it answers: the same bytes.
  auto in_place = large;
  in_place.resize(2048);
  const auto in_place_view = net::ipv6_view::parse(std::span{in_place}.first(large.size()));
  REQUIRE(in_place_view);
  REQUIRE(net::write_icmpv6_destination_unreachable(in_place, peer, 4, *in_place_view) == 1280);
  CHECK(test::to_hex(std::span{in_place}.first(1280)) == test::to_hex(std::span{out}.first(1280)));

  // A smaller buffer quotes what it holds; below both headers and a quoted fixed header, nothing.
  test::bytes hundred(100);
  CHECK(net::write_icmpv6_packet_too_big(hundred, peer, 1280, *large_view) == 100);
  CHECK(test::to_hex(hundred) ==
        test::to_hex(expected_error(type::packet_too_big, 0, 1280, peer, host, std::span{large}.first(52))));
  test::bytes too_short(87);
  CHECK(net::write_icmpv6_packet_too_big(too_short, peer, 1280, *large_view) == 0);
}

TEST_CASE("ICMPv6 error allowed: RFC 4443 2.4 (e)", "[unit][net]") {
  net::ipv6_header unicast;
  unicast.source = host;
  unicast.destination = peer;
  const auto allowed = [](std::uint8_t error_type, std::uint8_t code, const net::ipv6_header& offending,
                          bool link_multicast, std::optional<std::uint8_t> icmp_type) {
    return net::icmpv6_error_allowed(error_type, code, offending, link_multicast, icmp_type);
  };
  CHECK(allowed(type::destination_unreachable, 4, unicast, false, std::nullopt));
  CHECK(allowed(type::destination_unreachable, 4, unicast, false, type::echo_request));
  // (e.1), (e.2): never about an error or a redirect.
  CHECK_FALSE(allowed(type::destination_unreachable, 4, unicast, false, type::packet_too_big));
  CHECK_FALSE(allowed(type::packet_too_big, 0, unicast, false, type::parameter_problem));
  CHECK_FALSE(allowed(type::destination_unreachable, 4, unicast, false, type::redirect));
  // (e.3): to a multicast address; (e.4, e.5): by link-layer multicast or broadcast; except
  // Packet Too Big and Parameter Problem code 2.
  net::ipv6_header to_group = unicast;
  to_group.destination = net::ipv6_address::all_nodes();
  CHECK_FALSE(allowed(type::destination_unreachable, 4, to_group, false, std::nullopt));
  CHECK_FALSE(allowed(type::destination_unreachable, 4, unicast, true, std::nullopt));
  CHECK_FALSE(allowed(type::parameter_problem, 0, to_group, false, std::nullopt));
  CHECK(allowed(type::packet_too_big, 0, to_group, true, std::nullopt));
  CHECK(allowed(type::parameter_problem, net::icmpv6_code_unrecognized_option, to_group, true, std::nullopt));
  // (e.6): a source that names no single node.
  net::ipv6_header from_nobody = unicast;
  from_nobody.source = net::ipv6_address{};
  CHECK_FALSE(allowed(type::packet_too_big, 0, from_nobody, false, std::nullopt));
  from_nobody.source = net::ipv6_address::all_routers();
  CHECK_FALSE(allowed(type::packet_too_big, 0, from_nobody, false, std::nullopt));
}

TEST_CASE("ICMPv6 quoted TCP: Packet Too Big about one of our segments", "[unit][net]") {
  const auto ours = tcp_packet(peer, host, 1440);
  const auto message = test::icmpv6_message(type::packet_too_big, 0, 1400, std::span{ours}.first(1232),
                                            test::ipv6("fd99::ff"), peer);
  const auto icmp = net::icmpv6_view::parse(test::ipv6("fd99::ff"), peer, message);
  REQUIRE(icmp);
  const auto quoted = net::parse_icmpv6_quoted_tcp(*icmp);
  REQUIRE(quoted);
  CHECK(quoted->type == type::packet_too_big);
  CHECK(quoted->code == 0);
  CHECK(quoted->mtu == 1400);
  CHECK(quoted->source == peer);
  CHECK(quoted->destination == host);
  CHECK(quoted->source_port == 443);
  CHECK(quoted->destination_port == 51000);
  CHECK(quoted->sequence == net::seq32{0x01020304});

  // Other types carry no MTU: the word is unused.
  const auto unreachable = test::icmpv6_message(type::destination_unreachable, 1, 0x5555, std::span{ours}.first(48),
                                                test::ipv6("fd99::ff"), peer);
  const auto unreachable_view = net::icmpv6_view::parse(test::ipv6("fd99::ff"), peer, unreachable);
  REQUIRE(unreachable_view);
  CHECK(net::parse_icmpv6_quoted_tcp(*unreachable_view)->mtu == 0);
}

TEST_CASE("ICMPv6 quoted TCP: truncated, bad quote, not TCP", "[unit][net]") {
  const auto ours = tcp_packet(peer, host);
  const auto refusal = [](std::span<const std::byte> quote) {
    const auto message = test::icmpv6_message(type::packet_too_big, 0, 1280, quote, host, peer);
    const auto icmp = net::icmpv6_view::parse(host, peer, message);
    REQUIRE(icmp);
    return net::parse_icmpv6_quoted_tcp(*icmp).error();
  };
  for (std::size_t length = 0; length < 48; length += 7) {
    CHECK(refusal(std::span{ours}.first(length)) == drop_reason::icmpv6_error_truncated);
  }
  CHECK(refusal(std::span{ours}.first(47)) == drop_reason::icmpv6_error_truncated);
  auto ipv4 = ours;
  ipv4[0] = std::byte{0x45};
  CHECK(refusal(ipv4) == drop_reason::icmpv6_error_bad_quote);
  auto echo = ours;
  echo[6] = std::byte{58};
  CHECK(refusal(echo) == drop_reason::icmpv6_error_not_tcp);
  auto with_options = ours;
  with_options[6] = std::byte{60};
  CHECK(refusal(with_options) == drop_reason::icmpv6_error_not_tcp);
}
