#include <catch2/catch.hpp>

#include "packet_builder.hh"
#include "pipeline/pipeline.hh"

using namespace rampart;

TEST_CASE("gratuitous ARP announcement bytes (RFC 5227 §3)", "[unit][pipeline]") {
  const pipeline::port_identity id{test::captured::peer_mac, {test::captured::peer_ip, 24}};
  test::bytes buffer(128, std::byte{0xee});
  REQUIRE(pipeline::build_gratuitous_arp(id, buffer) == 60);
  CHECK(test::to_hex(std::span{buffer}.first(60)) ==
        test::to_hex(test::from_hex("ffff ffff ffff 92ed 0340 2843 0806"   // broadcast, from us, ARP
                                    "0001 0800 0604 0001"                  // Ethernet/IPv4, request
                                    "92ed 0340 2843 0a63 0002"             // sender: us
                                    "0000 0000 0000 0a63 0002"             // target: zero MAC, our IP
                                    "0000 0000 0000 0000 0000 0000 0000 0000 0000")));  // padding
  CHECK(buffer[60] == std::byte{0xee});
  test::bytes small(59);
  CHECK(pipeline::build_gratuitous_arp(id, small) == 0);
}
