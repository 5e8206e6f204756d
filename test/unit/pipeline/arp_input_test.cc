#include <catch2/catch.hpp>

#include <algorithm>

#include "fake_io.hh"
#include "pipeline_fixture.hh"

using namespace rampart;
using packet::action;
using stats::drop_reason;
using test::from_hex;

namespace {

const auto other_mac = test::mac(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
const auto other_ip = test::ipv4(10, 99, 0, 7);

test::bytes arp_frame(std::uint16_t op, net::mac_address sender_mac, net::ipv4_address sender_ip,
                      net::ipv4_address target_ip, net::mac_address eth_dst = net::mac_address::broadcast()) {
  test::arp_fields f;
  f.operation = op;
  f.sender_mac = sender_mac;
  f.sender_ip = sender_ip;
  f.target_ip = target_ip;
  return test::ethernet_frame(eth_dst, sender_mac, 0x0806, test::arp_body(f), true);
}

}  // namespace

TEST_CASE("ARP request for our address: the exact reply, in place", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  test::test_frame f(from_hex(test::captured::arp_request));
  const auto v = fx.run(f, 5000);
  REQUIRE(v.what == action::transmit);
  // Linux's reply to the same request, padded with zeros to the 60-byte minimum.
  auto expected = from_hex(test::captured::arp_reply);
  expected.resize(60, std::byte{0});
  CHECK(test::to_hex(f.bytes_out()) == test::to_hex(expected));
  CHECK(f.frame().length == 60);
  CHECK_FALSE(f.frame().offload.ipv4_checksum);
  CHECK(fx.stats->arp_requests_answered.read() == 1);
  CHECK(fx.stats->arp_neighbours_learned.read() == 1);
  CHECK(fx.stats->dropped.read() == 0);
  // RFC 826: the requester is added since we are the target.
  CHECK(fx.ctx->neighbours.lookup(test::captured::host_ip) == test::captured::host_mac);
}

TEST_CASE("ARP reply padding never echoes the request's trailing bytes", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  auto request = from_hex(test::captured::arp_request);
  request.resize(60, std::byte{0x99});  // junk where Ethernet padding goes
  test::test_frame f(request);
  REQUIRE(fx.run(f).what == action::transmit);
  REQUIRE(f.frame().length == 60);
  for (std::size_t i = 42; i < 60; ++i) {
    CHECK(f.bytes_out()[i] == std::byte{0});
  }
}

TEST_CASE("ARP request for another address is dropped and does not add its sender", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  test::test_frame f(arp_frame(1, other_mac, other_ip, test::ipv4(10, 99, 0, 1)));
  const auto v = fx.run(f);
  CHECK(v.what == action::drop);
  CHECK(v.reason == drop_reason::arp_not_for_us);
  CHECK(fx.drops(drop_reason::arp_not_for_us) == 1);
  CHECK(fx.stats->dropped.read() == 1);
  CHECK(fx.ctx->neighbours.size() == 0);
  CHECK(fx.stats->arp_neighbours_learned.read() == 0);
}

TEST_CASE("gratuitous ARP from a known neighbour refreshes it", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  REQUIRE(fx.ctx->neighbours.learn(other_ip, other_mac, 1));
  const auto moved_mac = test::mac(0x02, 0x11, 0x22, 0x33, 0x44, 0x66);
  test::test_frame f(arp_frame(1, moved_mac, other_ip, other_ip));  // RFC 5227 announcement
  const auto v = fx.run(f);
  CHECK(v.what == action::drop);
  CHECK(v.reason == drop_reason::arp_not_for_us);
  CHECK(fx.ctx->neighbours.lookup(other_ip) == moved_mac);
  CHECK(fx.stats->arp_neighbours_learned.read() == 1);
}

TEST_CASE("ARP reply to us is learned and consumed", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  test::test_frame f(arp_frame(2, other_mac, other_ip, test::captured::peer_ip, test::captured::peer_mac));
  const auto v = fx.run(f);
  CHECK(v.what == action::consume);
  CHECK(fx.stats->consumed.read() == 1);
  CHECK(fx.stats->dropped.read() == 0);
  CHECK(fx.ctx->neighbours.lookup(other_ip) == other_mac);
  CHECK(fx.stats->arp_neighbours_learned.read() == 1);
  CHECK(fx.stats->arp_requests_answered.read() == 0);
}

TEST_CASE("ARP: unknown operation, malformed fields, probes, conflicts", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  SECTION("operation 3 (RARP request) for us") {
    test::test_frame f(arp_frame(3, other_mac, other_ip, test::captured::peer_ip));
    const auto v = fx.run(f);
    CHECK(v.what == action::drop);
    CHECK(v.reason == drop_reason::arp_unsupported_op);
    CHECK(fx.drops(drop_reason::arp_unsupported_op) == 1);
  }
  SECTION("bad hlen") {
    test::arp_fields a;
    a.hardware_length = 8;
    a.sender_mac = other_mac;
    a.sender_ip = other_ip;
    a.target_ip = test::captured::peer_ip;
    test::test_frame f(test::ethernet_frame(net::mac_address::broadcast(), other_mac, 0x0806, test::arp_body(a), true));
    const auto v = fx.run(f);
    CHECK(v.what == action::drop);
    CHECK(v.reason == drop_reason::arp_malformed);
    CHECK(fx.drops(drop_reason::arp_malformed) == 1);
    CHECK(fx.ctx->neighbours.size() == 0);
  }
  SECTION("ARP probe (sender IP zero) for our address is answered but teaches nothing") {
    test::test_frame f(arp_frame(1, other_mac, test::ipv4(0, 0, 0, 0), test::captured::peer_ip));
    const auto v = fx.run(f);
    CHECK(v.what == action::transmit);  // RFC 5227 §2.1.1: the prober must hear the owner
    CHECK(fx.ctx->neighbours.size() == 0);
    CHECK(fx.stats->arp_neighbours_learned.read() == 0);
  }
  SECTION("someone claiming our address is not learned") {
    test::test_frame f(arp_frame(1, other_mac, test::captured::peer_ip, test::captured::peer_ip));
    fx.run(f);
    CHECK(fx.ctx->neighbours.size() == 0);
  }
}

TEST_CASE("ARP request truncated at every length is never answered", "[unit][pipeline]") {
  const auto request = from_hex(test::captured::arp_request);
  for (std::size_t length = 0; length < request.size(); ++length) {
    INFO("length " << length);
    test::pipeline_fixture fx;
    test::test_frame f(std::span{request}.first(length));
    const auto v = fx.run(f);
    REQUIRE(v.what == action::drop);
    CHECK(v.reason == (length < 14 ? drop_reason::eth_truncated : drop_reason::arp_malformed));
    CHECK(fx.drops(v.reason) == 1);
    CHECK(fx.stats->dropped.read() == 1);
  }
}

TEST_CASE("an ARP reply to our request sends the frames that waited for its sender", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  test::heap_buffer_pool pool;
  test::capture_sink sink{pool};
  route::lcore_routes routes(route::route_table(fx.ctx->identity.ip, {}, std::nullopt), fx.ctx->neighbours,
                             fx.ctx->identity.mac, fx.ctx->identity.ip.address, pool, sink, *fx.stats);
  fx.ctx->routes = &routes;
  packet::buffer waiting = *pool.allocate();
  waiting.length = 60;
  std::fill_n(waiting.data, 60, std::byte{0});
  REQUIRE(routes.send(other_ip, waiting, {}, 0) == route::send_result::queued);
  REQUIRE(sink.take().size() == 1);  // the ARP request

  test::test_frame f(arp_frame(2, other_mac, other_ip, test::captured::peer_ip, test::captured::peer_mac));
  CHECK(fx.run(f).what == action::consume);
  const auto sent = sink.take();
  REQUIRE(sent.size() == 1);
  CHECK(test::to_hex(std::span{sent[0]}.first(6)) == test::to_hex(test::from_hex("02 11 22 33 44 55")));
  CHECK(fx.stats->neighbour_resolutions.read() == 1);
  CHECK(pool.in_use() == 0);
}
