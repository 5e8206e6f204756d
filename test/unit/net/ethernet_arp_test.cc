#include <catch2/catch.hpp>

#include "net/arp.hh"
#include "net/ethernet.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

TEST_CASE("Ethernet view of a captured ARP request", "[unit][net]") {
  const auto frame = from_hex(test::captured::arp_request);
  const auto eth = net::ethernet_view::parse(frame);
  REQUIRE(eth);
  CHECK(eth->destination().is_broadcast());
  CHECK(eth->source() == test::captured::host_mac);
  CHECK(eth->ether_type() == net::ether_type::arp);
  CHECK(eth->payload().size() == 28);
  CHECK(eth->payload().data() == frame.data() + 14);
}

TEST_CASE("Ethernet parse refuses fewer than 14 bytes", "[unit][net]") {
  const auto frame = from_hex(test::captured::arp_request);
  for (std::size_t length = 0; length < 14; ++length) {
    const auto eth = net::ethernet_view::parse(std::span{frame}.first(length));
    REQUIRE_FALSE(eth);
    CHECK(eth.error() == drop_reason::eth_truncated);
  }
  CHECK(net::ethernet_view::parse(std::span{frame}.first(14)));
}

TEST_CASE("Ethernet header writer", "[unit][net]") {
  test::bytes out(14);
  REQUIRE(net::write_ethernet_header(out, {test::captured::host_mac, test::captured::peer_mac, 0x0800}) == 14);
  CHECK(test::to_hex(out) == "2e df 10 48 5e 7a 92 ed 03 40 28 43 08 00");
  test::bytes short_out(13);
  CHECK(net::write_ethernet_header(short_out, {}) == 0);
}

TEST_CASE("ARP view of a captured request", "[unit][net]") {
  const auto frame = from_hex(test::captured::arp_request);
  const auto arp = net::arp_view::parse(std::span{frame}.subspan(14));
  REQUIRE(arp);
  const net::arp_packet p = arp->packet();
  CHECK(p.operation == net::arp_op::request);
  CHECK(p.sender_mac == test::captured::host_mac);
  CHECK(p.sender_ip == test::captured::host_ip);
  CHECK(p.target_mac.is_zero());
  CHECK(p.target_ip == test::captured::peer_ip);
}

TEST_CASE("ARP parse: truncated at every length and each malformed field", "[unit][net]") {
  const auto frame = from_hex(test::captured::arp_request);
  const auto body = std::span{frame}.subspan(14);
  for (std::size_t length = 0; length < 28; ++length) {
    const auto arp = net::arp_view::parse(body.first(length));
    REQUIRE_FALSE(arp);
    CHECK(arp.error() == drop_reason::arp_malformed);
  }
  const auto with = [](auto mutate) {
    test::arp_fields f;
    f.sender_mac = test::captured::host_mac;
    f.sender_ip = test::captured::host_ip;
    f.target_ip = test::captured::peer_ip;
    mutate(f);
    return test::arp_body(f);
  };
  CHECK(net::arp_view::parse(with([](auto&) {})));
  const auto bad_htype = with([](auto& f) { f.hardware_type = 6; });
  const auto bad_ptype = with([](auto& f) { f.protocol_type = 0x86dd; });
  const auto bad_hlen = with([](auto& f) { f.hardware_length = 8; });
  const auto bad_plen = with([](auto& f) { f.protocol_length = 16; });
  for (const auto& body_bytes : {bad_htype, bad_ptype, bad_hlen, bad_plen}) {
    const auto arp = net::arp_view::parse(body_bytes);
    REQUIRE_FALSE(arp);
    CHECK(arp.error() == drop_reason::arp_malformed);
  }
  // An unknown operation is not the parser's business (RFC 826 merges first).
  const auto op9_bytes = with([](auto& f) { f.operation = 9; });
  const auto op9 = net::arp_view::parse(op9_bytes);
  REQUIRE(op9);
  CHECK(op9->operation() == 9);
}

TEST_CASE("ARP writer emits what Linux sent", "[unit][net]") {
  const auto expected = from_hex(test::captured::arp_reply);
  test::bytes out(28);
  const net::arp_packet reply{net::arp_op::reply, test::captured::peer_mac, test::captured::peer_ip,
                              test::captured::host_mac, test::captured::host_ip};
  REQUIRE(net::write_arp(out, reply) == 28);
  CHECK(test::to_hex(out) == test::to_hex(std::span{expected}.subspan(14)));
  test::bytes short_out(27);
  CHECK(net::write_arp(short_out, reply) == 0);
}
