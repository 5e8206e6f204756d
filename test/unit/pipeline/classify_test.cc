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
