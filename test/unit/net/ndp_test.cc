#include <catch2/catch.hpp>

#include <cstring>

#include "net/ndp.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

namespace {

namespace type = net::icmpv6_type;

const net::ipv6_address host = test::captured::host_ipv6;
const net::ipv6_address peer = test::captured::peer_ipv6;

// A received NDP packet: its fixed header, and its ICMPv6 message once checked.
struct received {
  test::bytes bytes;
  net::ipv6_header ip;
  net::icmpv6_view icmp;
};
received receive(test::bytes bytes) {
  const auto ip = net::ipv6_view::parse(bytes);
  REQUIRE(ip);
  const auto upper = net::find_upper_layer(*ip);
  REQUIRE(upper);
  const auto icmp = net::icmpv6_view::parse(ip->source(), ip->destination(), upper->message);
  REQUIRE(icmp);
  return {std::move(bytes), ip->header(), *icmp};
}

// An NS or NA built field by field: hop limit, ICMPv6 code, the flags word, target, options.
test::bytes ndp_packet(std::uint8_t ndp_type, const net::ipv6_address& source, const net::ipv6_address& destination,
                       const net::ipv6_address& target, std::string_view options_hex = "",
                       std::uint32_t flags = 0, std::uint8_t hop_limit = 255, std::uint8_t code = 0) {
  test::bytes body(target.bytes.size());
  std::memcpy(body.data(), target.bytes.data(), body.size());
  const auto options = from_hex(options_hex);
  body.insert(body.end(), options.begin(), options.end());
  test::ipv6_fields f;
  f.hop_limit = hop_limit;
  f.source = source;
  f.destination = destination;
  return test::ipv6_packet(f, test::icmpv6_message(ndp_type, code, flags, body, source, destination));
}

drop_reason ns_refusal(test::bytes bytes) {
  const auto r = receive(std::move(bytes));
  const auto ns = net::parse_neighbor_solicitation(r.ip, r.icmp);
  REQUIRE_FALSE(ns);
  return ns.error();
}
drop_reason na_refusal(test::bytes bytes) {
  const auto r = receive(std::move(bytes));
  const auto na = net::parse_neighbor_advertisement(r.ip, r.icmp);
  REQUIRE_FALSE(na);
  return na.error();
}

constexpr std::uint32_t solicited_override = 0x60000000;
constexpr std::string_view host_slla = "0101 2edf 1048 5e7a";

}  // namespace

TEST_CASE("NDP: Linux's solicitation, DAD probe and advertisements parse", "[unit][net]") {
  const auto ns_packet = receive(test::after_ethernet(test::captured::neighbor_solicitation));
  const auto ns = net::parse_neighbor_solicitation(ns_packet.ip, ns_packet.icmp);
  REQUIRE(ns);
  CHECK(ns->target == peer);
  CHECK(ns->source_link_layer == test::captured::host_mac);

  // Its Nonce option (RFC 7527) is unknown here, and skipped.
  const auto dad_packet = receive(test::after_ethernet(test::captured::dad_probe));
  const auto dad = net::parse_neighbor_solicitation(dad_packet.ip, dad_packet.icmp);
  REQUIRE(dad);
  CHECK(dad->target == peer);
  CHECK_FALSE(dad->source_link_layer);

  const auto na_packet = receive(test::after_ethernet(test::captured::neighbor_advertisement));
  const auto na = net::parse_neighbor_advertisement(na_packet.ip, na_packet.icmp);
  REQUIRE(na);
  CHECK(na->target == peer);
  CHECK_FALSE(na->router);
  CHECK(na->solicited);
  CHECK(na->override);
  CHECK(na->target_link_layer == test::captured::peer_mac);

  const auto unsolicited_packet = receive(test::after_ethernet(test::captured::unsolicited_neighbor_advertisement));
  const auto unsolicited = net::parse_neighbor_advertisement(unsolicited_packet.ip, unsolicited_packet.icmp);
  REQUIRE(unsolicited);
  CHECK_FALSE(unsolicited->solicited);
  CHECK(unsolicited->override);
  CHECK(unsolicited->target_link_layer == test::captured::peer_mac);

  // An NS without options, an NA with R set and no option.
  const auto bare = receive(ndp_packet(type::neighbor_solicitation, host, peer, peer));
  CHECK_FALSE(net::parse_neighbor_solicitation(bare.ip, bare.icmp)->source_link_layer);
  const auto router = receive(ndp_packet(type::neighbor_advertisement, peer, host, peer, "", 0x80000000));
  const auto router_na = net::parse_neighbor_advertisement(router.ip, router.icmp);
  REQUIRE(router_na);
  CHECK(router_na->router);
  CHECK_FALSE(router_na->solicited);
  CHECK_FALSE(router_na->override);
  CHECK_FALSE(router_na->target_link_layer);
}

TEST_CASE("NDP writers reproduce Linux's messages", "[unit][net]") {
  test::bytes out(128, std::byte{0xee});
  net::neighbor_advertisement answer;
  answer.target = peer;
  answer.solicited = true;
  answer.override = true;
  answer.target_link_layer = test::captured::peer_mac;
  std::size_t n = net::write_neighbor_advertisement(out, peer, host, answer);
  CHECK(test::to_hex(std::span{out}.first(n)) == test::to_hex(test::after_ethernet(test::captured::neighbor_advertisement)));

  net::neighbor_advertisement announcement;
  announcement.target = peer;
  announcement.override = true;
  announcement.target_link_layer = test::captured::peer_mac;
  n = net::write_neighbor_advertisement(out, peer, net::ipv6_address::all_nodes(), announcement);
  CHECK(test::to_hex(std::span{out}.first(n)) ==
        test::to_hex(test::after_ethernet(test::captured::unsolicited_neighbor_advertisement)));

  n = net::write_neighbor_solicitation(out, host, peer.solicited_node(), {peer, test::captured::host_mac});
  CHECK(test::to_hex(std::span{out}.first(n)) == test::to_hex(test::after_ethernet(test::captured::neighbor_solicitation)));

  // A DAD probe: Linux's without its Nonce option.
  n = net::write_neighbor_solicitation(out, net::ipv6_address{}, peer.solicited_node(), {peer, std::nullopt});
  CHECK(n == 64);
  CHECK(test::to_hex(std::span{out}.first(n)) ==
        test::to_hex(ndp_packet(type::neighbor_solicitation, net::ipv6_address{}, peer.solicited_node(), peer)));

  test::bytes short_out(71);
  CHECK(net::write_neighbor_advertisement(short_out, peer, host, answer) == 0);
  CHECK(net::write_neighbor_solicitation(short_out, host, peer.solicited_node(), {peer, test::captured::host_mac}) == 0);
}

TEST_CASE("NDP refuses what RFC 4861 7.1.1 and 7.1.2 call invalid", "[unit][net]") {
  const auto group = peer.solicited_node();
  for (const std::uint8_t ndp_type : {type::neighbor_solicitation, type::neighbor_advertisement}) {
    const auto refusal = ndp_type == type::neighbor_solicitation ? ns_refusal : na_refusal;
    // Forwarded by a router: hop limit below 255.
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "", 0, 254)) == drop_reason::ndp_bad_hop_limit);
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "", 0, 64)) == drop_reason::ndp_bad_hop_limit);
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "", 0, 255, 1)) == drop_reason::ndp_bad_code);
    CHECK(refusal(ndp_packet(ndp_type, host, group, net::ipv6_address::all_nodes())) ==
          drop_reason::ndp_multicast_target);
    // Options: length 0, past the end, a link-layer address not Ethernet's 8 bytes, a lone byte.
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "0e00 0000 0000 0000")) == drop_reason::ndp_bad_option);
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "0e02 0000 0000 0000")) == drop_reason::ndp_bad_option);
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "0102 2edf 1048 5e7a 0000 0000 0000 0000")) ==
          drop_reason::ndp_bad_option);
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "0202 2edf 1048 5e7a 0000 0000 0000 0000")) ==
          drop_reason::ndp_bad_option);
    CHECK(refusal(ndp_packet(ndp_type, host, group, peer, "0101 2edf 1048 5e7a 01")) == drop_reason::ndp_bad_option);
    // Shorter than 24 bytes: a message of 20 whose checksum verifies.
    test::ipv6_fields f;
    f.hop_limit = 255;
    f.source = host;
    f.destination = group;
    CHECK(refusal(test::ipv6_packet(f, test::icmpv6_message(ndp_type, 0, 0, test::bytes(12), host, group))) ==
          drop_reason::ndp_truncated);
  }
}

TEST_CASE("NDP: DAD probes from :: (RFC 4861 7.1.1)", "[unit][net]") {
  const net::ipv6_address unspecified{};
  // To the target's own solicited-node group, no option: valid.
  const auto probe = receive(ndp_packet(type::neighbor_solicitation, unspecified, peer.solicited_node(), peer));
  CHECK(net::parse_neighbor_solicitation(probe.ip, probe.icmp));
  CHECK(ns_refusal(ndp_packet(type::neighbor_solicitation, unspecified, peer, peer)) == drop_reason::ndp_bad_dad_probe);
  CHECK(ns_refusal(ndp_packet(type::neighbor_solicitation, unspecified, test::ipv6("fd99::7").solicited_node(), peer)) ==
        drop_reason::ndp_bad_dad_probe);
  CHECK(ns_refusal(ndp_packet(type::neighbor_solicitation, unspecified, peer.solicited_node(), peer, host_slla)) ==
        drop_reason::ndp_bad_dad_probe);
}

TEST_CASE("NDP: an advertisement to a group must not claim to be solicited (RFC 4861 7.1.2)", "[unit][net]") {
  CHECK(na_refusal(ndp_packet(type::neighbor_advertisement, peer, net::ipv6_address::all_nodes(), peer, "",
                              solicited_override)) == drop_reason::ndp_solicited_to_multicast);
  const auto unicast = receive(ndp_packet(type::neighbor_advertisement, peer, host, peer, "", solicited_override));
  CHECK(net::parse_neighbor_advertisement(unicast.ip, unicast.icmp)->solicited);
}
