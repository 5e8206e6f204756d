#include <catch2/catch.hpp>

#include "pipeline/classify.hh"
#include "pipeline_fixture.hh"

using namespace rampart;
using pipeline::l3_kind;
using stats::drop_reason;

TEST_CASE("classify by destination MAC and EtherType", "[unit][pipeline]") {
  const pipeline::port_identity id{test::captured::peer_mac, {test::captured::peer_ip, 24}};
  const test::bytes payload(46);
  const auto kind_of = [&](net::mac_address dst, std::uint16_t type) {
    return pipeline::classify(id, test::ethernet_frame(dst, test::captured::host_mac, type, payload));
  };
  CHECK(kind_of(id.mac, 0x0800).kind == l3_kind::ipv4);
  CHECK(kind_of(id.mac, 0x0806).kind == l3_kind::arp);
  CHECK(kind_of(net::mac_address::broadcast(), 0x0806).kind == l3_kind::arp);
  CHECK(kind_of(net::mac_address::broadcast(), 0x0800).kind == l3_kind::ipv4);

  const auto other = kind_of(test::mac(0x92, 0xed, 0x03, 0x40, 0x28, 0x44), 0x0800);
  CHECK(other.kind == l3_kind::drop);
  CHECK(other.reason == drop_reason::eth_not_for_us);
  const auto multicast = kind_of(test::mac(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01), 0x0800);
  CHECK(multicast.kind == l3_kind::drop);
  CHECK(multicast.reason == drop_reason::eth_not_for_us);
  for (std::uint16_t type : {0x86dd, 0x8100, 0x88cc, 0x0000}) {
    const auto c = kind_of(id.mac, type);
    CHECK(c.kind == l3_kind::drop);
    CHECK(c.reason == drop_reason::eth_unsupported_ethertype);
  }
  const auto frame = test::ethernet_frame(id.mac, test::captured::host_mac, 0x0800, payload);
  for (std::size_t length = 0; length < 14; ++length) {
    const auto c = pipeline::classify(id, std::span{frame}.first(length));
    CHECK(c.kind == l3_kind::drop);
    CHECK(c.reason == drop_reason::eth_truncated);
  }
}

TEST_CASE("classify IPv6: only with port.ipv6, and the groups it joins", "[unit][pipeline]") {
  pipeline::port_identity id{test::captured::peer_mac, {test::captured::peer_ip, 24}};
  const test::bytes payload(46);
  const auto kind_of = [&](net::mac_address dst, std::uint16_t type) {
    return pipeline::classify(id, test::ethernet_frame(dst, test::captured::host_mac, type, payload));
  };
  const auto all_nodes = test::mac(0x33, 0x33, 0, 0, 0, 1);
  const auto global_group = test::mac(0x33, 0x33, 0xff, 0, 0, 2);     // fd99::2
  const auto link_local_group = test::mac(0x33, 0x33, 0xff, 0x40, 0x28, 0x43);  // fe80::90ed:3ff:fe40:2843
  CHECK(kind_of(id.mac, 0x86dd).reason == drop_reason::eth_unsupported_ethertype);
  CHECK(kind_of(all_nodes, 0x86dd).reason == drop_reason::eth_not_for_us);

  id.ipv6 = pipeline::ipv6_identity{{*net::ipv6_address::parse("fd99::2"), 64},
                                    net::ipv6_address::link_local_of(test::captured::peer_mac)};
  for (const auto& mac : {id.mac, net::mac_address::broadcast(), all_nodes, global_group, link_local_group}) {
    CHECK(kind_of(mac, 0x86dd).kind == l3_kind::ipv6);
  }
  // Groups we did not join (all-routers, another solicited-node group, MLDv2 reports), and our
  // groups under another EtherType.
  for (const auto& mac : {test::mac(0x33, 0x33, 0, 0, 0, 2), test::mac(0x33, 0x33, 0xff, 0, 0, 3),
                          test::mac(0x33, 0x33, 0, 0, 0, 0x16)}) {
    CHECK(kind_of(mac, 0x86dd).reason == drop_reason::eth_not_for_us);
  }
  CHECK(kind_of(all_nodes, 0x0800).reason == drop_reason::eth_not_for_us);
  CHECK(kind_of(global_group, 0x0806).reason == drop_reason::eth_not_for_us);
  CHECK(kind_of(id.mac, 0x0800).kind == l3_kind::ipv4);
}
