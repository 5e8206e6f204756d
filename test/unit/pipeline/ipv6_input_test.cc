// IPv6 through the whole pipeline: frames in, frames out, compared byte for byte with what Linux
// sent in the same exchange (packet_builder.hh, "captured"), and every drop reason of ipv6_input
// and icmpv6_input hit.
#include <catch2/catch.hpp>

#include <cstring>

#include "net/icmpv6.hh"
#include "pipeline_fixture.hh"

using namespace rampart;
using packet::action;
using stats::drop_reason;
using test::from_hex;

namespace {

namespace type = net::icmpv6_type;

const net::ipv6_address host = test::captured::host_ipv6;
const net::ipv6_address ours = test::captured::peer_ipv6;
const net::ipv6_address our_link_local = net::ipv6_address::link_local_of(test::captured::peer_mac);
const net::ipv6_address host_link_local = net::ipv6_address::link_local_of(test::captured::host_mac);

// The fixture's identity with fd99::2/64: the captured Linux peer plays rampart's part.
test::pipeline_fixture ipv6_fixture() {
  test::pipeline_fixture fx;
  fx.ctx->identity.ipv6 = pipeline::ipv6_identity{{ours, 64}, our_link_local};
  return fx;
}

// A frame from the captured host to `mac` carrying an IPv6 packet.
test::bytes frame_to(const net::mac_address& mac, const test::bytes& packet) {
  return test::ethernet_frame(mac, test::captured::host_mac, 0x86dd, packet);
}

// An ICMPv6 packet: word is the 32 bits after the checksum, body what follows.
test::bytes icmpv6_packet(const net::ipv6_address& source, const net::ipv6_address& destination, std::uint8_t icmp_type,
                          std::uint32_t word, const test::bytes& body, std::uint8_t hop_limit = 64) {
  test::ipv6_fields f;
  f.hop_limit = hop_limit;
  f.source = source;
  f.destination = destination;
  return test::ipv6_packet(f, test::icmpv6_message(icmp_type, 0, word, body, source, destination));
}

test::bytes echo_request(const net::ipv6_address& source, const net::ipv6_address& destination) {
  return icmpv6_packet(source, destination, type::echo_request, 0x00070001, from_hex("6162 6364 65"));
}

// An NS or NA body: the target, then options.
test::bytes ndp_body(const net::ipv6_address& target, std::string_view options_hex = "") {
  test::bytes body(16);
  std::memcpy(body.data(), target.bytes.data(), 16);
  const auto options = from_hex(options_hex);
  body.insert(body.end(), options.begin(), options.end());
  return body;
}

// A TCP SYN over IPv6 (20-byte header, checksum not checked before the drop).
test::bytes tcp_packet(const net::ipv6_address& source, const net::ipv6_address& destination) {
  test::ipv6_fields f;
  f.next_header = 6;
  f.source = source;
  f.destination = destination;
  return test::ipv6_packet(f, from_hex("c738 0050 0000 03e8 0000 0000 5002 ffff 0000 0000"));
}

drop_reason dropped(test::pipeline_fixture& fx, const test::bytes& frame) {
  test::test_frame f(frame);
  const auto v = fx.run(f);
  CHECK(v.what == action::drop);
  return v.reason;
}

}  // namespace

TEST_CASE("IPv6 echo request (captured) → echo reply as Linux's", "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  test::test_frame f(from_hex(test::captured::icmpv6_echo_request));
  REQUIRE(fx.run(f).what == action::transmit);
  // Linux's reply, but for its flow label: ours is 0 (RFC 6437 §3 lets a source leave it unset).
  auto expected = from_hex(test::captured::icmpv6_echo_reply);
  expected[15] = std::byte{0x00};
  expected[16] = std::byte{0x00};
  expected[17] = std::byte{0x00};
  CHECK(test::to_hex(f.bytes_out()) == test::to_hex(expected));
  CHECK(fx.stats->icmpv6_echo_replied.read() == 1);
  CHECK(fx.stats->dropped.read() == 0);
}

TEST_CASE("IPv6 echo: link-local, all-nodes, extension headers, DSCP", "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  const auto reply_to = [&](const test::bytes& frame) {
    test::test_frame f(frame);
    REQUIRE(fx.run(f).what == action::transmit);
    return test::bytes(f.bytes_out().begin(), f.bytes_out().end());
  };
  // To our link-local address, from the host's.
  const auto expected_ll = test::ethernet_frame(test::captured::host_mac, test::captured::peer_mac, 0x86dd,
                                                icmpv6_packet(our_link_local, host_link_local, type::echo_reply,
                                                              0x00070001, from_hex("6162 6364 65")));
  CHECK(test::to_hex(reply_to(frame_to(test::captured::peer_mac, echo_request(host_link_local, our_link_local)))) ==
        test::to_hex(expected_ll));
  // To all-nodes: answered from our address of the requester's scope.
  const auto all_nodes_mac = test::mac(0x33, 0x33, 0, 0, 0, 1);
  const auto all_nodes = net::ipv6_address::all_nodes();
  CHECK(test::to_hex(reply_to(frame_to(all_nodes_mac, echo_request(host_link_local, all_nodes)))) ==
        test::to_hex(expected_ll));
  const auto expected_global = test::ethernet_frame(
      test::captured::host_mac, test::captured::peer_mac, 0x86dd,
      icmpv6_packet(ours, host, type::echo_reply, 0x00070001, from_hex("6162 6364 65")));
  CHECK(test::to_hex(reply_to(frame_to(all_nodes_mac, echo_request(host, all_nodes)))) ==
        test::to_hex(expected_global));
  // Behind a destination options header and an atomic fragment header: neither is echoed.
  test::bytes headers = from_hex("2c00 0000 0000 0000  3a00 0000 0000 abcd");  // dest opts → fragment → ICMPv6
  const auto echo = echo_request(host, ours);
  headers.insert(headers.end(), echo.begin() + 40, echo.end());
  test::ipv6_fields f;
  f.next_header = 60;
  f.source = host;
  f.destination = ours;
  CHECK(test::to_hex(reply_to(frame_to(test::captured::peer_mac, test::ipv6_packet(f, headers)))) ==
        test::to_hex(expected_global));
  // DSCP EF (0xb8) is reflected, ECN (the low 2 bits) not.
  auto marked = frame_to(test::captured::peer_mac, echo_request(host, ours));
  marked[14] = std::byte{0x6b};
  marked[15] = std::byte{0xb0};
  const auto reply = reply_to(marked);
  CHECK(test::to_hex(std::span{reply}.subspan(14, 4)) == test::to_hex(from_hex("6b80 0000")));
  CHECK(fx.stats->icmpv6_echo_replied.read() == 5);
}

TEST_CASE("Neighbor Solicitation (captured) → Linux's Neighbor Advertisement", "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  test::test_frame f(from_hex(test::captured::neighbor_solicitation));
  REQUIRE(fx.run(f).what == action::transmit);
  CHECK(test::to_hex(f.bytes_out()) == test::to_hex(from_hex(test::captured::neighbor_advertisement)));
  CHECK(fx.stats->ndp_solicitations_answered.read() == 1);
}

TEST_CASE("Neighbor Solicitation for our link-local address, without a link-layer option", "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  // Unicast (a reachability probe, RFC 4861 §7.3.1): no option, so the answer goes to the
  // frame's source MAC.
  test::test_frame f(frame_to(test::captured::peer_mac,
                              icmpv6_packet(host_link_local, our_link_local, type::neighbor_solicitation, 0,
                                            ndp_body(our_link_local), 255)));
  REQUIRE(fx.run(f).what == action::transmit);
  const auto expected = test::ethernet_frame(
      test::captured::host_mac, test::captured::peer_mac, 0x86dd,
      icmpv6_packet(our_link_local, host_link_local, type::neighbor_advertisement, 0x60000000,
                    ndp_body(our_link_local, "0201 92ed 0340 2843"), 255));
  CHECK(test::to_hex(f.bytes_out()) == test::to_hex(expected));
}

TEST_CASE("A duplicate address probe for our address (captured) → Linux's advertisement to all-nodes",
          "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  // Linux probed fd99::2 before it owned it, then announced it; owning it, we answer the probe
  // with the announcement (RFC 4861 §7.2.4: S clear, to all-nodes).
  test::test_frame f(from_hex(test::captured::dad_probe));
  REQUIRE(fx.run(f).what == action::transmit);
  CHECK(test::to_hex(f.bytes_out()) == test::to_hex(from_hex(test::captured::unsolicited_neighbor_advertisement)));
  CHECK(fx.stats->ndp_solicitations_answered.read() == 1);
}

TEST_CASE("The announcements the engine sends: unsolicited NA, DAD probe", "[unit][pipeline]") {
  const auto fx = ipv6_fixture();
  test::bytes buffer(128, std::byte{0xee});
  REQUIRE(pipeline::build_unsolicited_neighbor_advertisement(fx.ctx->identity, ours, buffer) == 86);
  CHECK(test::to_hex(std::span{buffer}.first(86)) ==
        test::to_hex(from_hex(test::captured::unsolicited_neighbor_advertisement)));
  CHECK(buffer[86] == std::byte{0xee});

  REQUIRE(pipeline::build_duplicate_address_probe(fx.ctx->identity, ours, buffer) == 78);
  // Linux's probe without its Nonce option (RFC 7527).
  const auto expected = test::ethernet_frame(
      test::mac(0x33, 0x33, 0xff, 0x00, 0x00, 0x02), test::captured::peer_mac, 0x86dd,
      icmpv6_packet(net::ipv6_address{}, ours.solicited_node(), type::neighbor_solicitation, 0, ndp_body(ours), 255));
  CHECK(test::to_hex(std::span{buffer}.first(78)) == test::to_hex(expected));

  for (std::size_t size : {0, 13, 85}) {
    test::bytes small(size);
    CHECK(pipeline::build_unsolicited_neighbor_advertisement(fx.ctx->identity, ours, small) == 0);
  }
  for (std::size_t size : {0, 13, 77}) {
    test::bytes small(size);
    CHECK(pipeline::build_duplicate_address_probe(fx.ctx->identity, ours, small) == 0);
  }
}

TEST_CASE("Neighbor Advertisements: a conflict for our address, the others discarded", "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  const auto all_nodes_mac = test::mac(0x33, 0x33, 0, 0, 0, 1);
  const auto announce = [&](const net::ipv6_address& source, const net::ipv6_address& target, std::string_view tlla) {
    return frame_to(all_nodes_mac, icmpv6_packet(source, net::ipv6_address::all_nodes(), type::neighbor_advertisement,
                                                 0x20000000, ndp_body(target, tlla), 255));
  };
  // Another node defends or claims fd99::2 (its source is the address it claims).
  test::test_frame conflict(announce(ours, ours, "0201 2edf 1048 5e7a"));
  CHECK(fx.run(conflict).what == action::consume);
  CHECK(fx.stats->ndp_address_conflicts.read() == 1);
  // Without a target link-layer option, the frame's source MAC is the claimant.
  test::test_frame bare(announce(host, our_link_local, ""));
  CHECK(fx.run(bare).what == action::consume);
  CHECK(fx.stats->ndp_address_conflicts.read() == 2);
  // Our own announcement looped back, and another host's: no entry to update (RFC 4861 §7.2.5).
  CHECK(dropped(fx, announce(ours, ours, "0201 92ed 0340 2843")) == drop_reason::ndp_advertisement_no_entry);
  CHECK(dropped(fx, announce(host, host, "0201 2edf 1048 5e7a")) == drop_reason::ndp_advertisement_no_entry);
  CHECK(fx.stats->ndp_address_conflicts.read() == 2);
}

TEST_CASE("IPv6 input drops, each under its reason", "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  const auto us = test::captured::peer_mac;
  // Addresses.
  CHECK(dropped(fx, frame_to(us, echo_request(test::ipv6("ff02::1"), ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, echo_request(test::ipv6("::1"), ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, echo_request(test::ipv6("::ffff:10.99.0.1"), ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, echo_request(net::ipv6_address{}, ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, echo_request(ours, ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, echo_request(our_link_local, ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, tcp_packet(net::ipv6_address{}, ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, tcp_packet(ours, ours))) == drop_reason::ipv6_martian_source);
  CHECK(dropped(fx, frame_to(us, echo_request(host, test::ipv6("fd99::3")))) == drop_reason::ipv6_not_our_address);
  CHECK(dropped(fx, frame_to(us, echo_request(host, test::ipv6("ff02::2")))) == drop_reason::ipv6_not_our_address);
  CHECK(dropped(fx, frame_to(us, echo_request(host, test::ipv6("ff02::1:ff00:3")))) == drop_reason::ipv6_not_our_address);
  CHECK(dropped(fx, frame_to(us, tcp_packet(host, net::ipv6_address::all_nodes()))) ==
        drop_reason::ipv6_not_our_address);
  CHECK(dropped(fx, frame_to(test::mac(0x33, 0x33, 0, 0, 0, 1), echo_request(host, ours))) ==
        drop_reason::ipv6_link_multicast);
  CHECK(dropped(fx, frame_to(net::mac_address::broadcast(), echo_request(host, ours))) ==
        drop_reason::ipv6_link_multicast);
  // TCP, until lib/tcp serves IPv6.
  CHECK(dropped(fx, frame_to(us, tcp_packet(host, ours))) == drop_reason::ipv6_tcp_unhandled);
  // The header and extension checks of lib/net, reached through the pipeline.
  CHECK(dropped(fx, frame_to(us, test::bytes(39))) == drop_reason::ipv6_truncated);
  test::ipv6_fields fragment;
  fragment.next_header = 44;
  fragment.source = host;
  fragment.destination = ours;
  CHECK(dropped(fx, frame_to(us, test::ipv6_packet(fragment, from_hex("3a00 0001 0000 0007")))) ==
        drop_reason::ipv6_fragment);
  test::ipv6_fields routing = fragment;
  routing.next_header = 43;
  auto type0 = from_hex("3a02 0001");  // to ICMPv6, 24 bytes, type 0, one segment left
  type0.resize(24);
  CHECK(dropped(fx, frame_to(us, test::ipv6_packet(routing, type0))) == drop_reason::ipv6_routing_type0);
  CHECK(fx.stats->dropped.read() == 18);
  CHECK(fx.stats->icmpv6_echo_replied.read() == 0);
}

TEST_CASE("ICMPv6 input drops, each under its reason", "[unit][pipeline]") {
  auto fx = ipv6_fixture();
  const auto us = test::captured::peer_mac;
  auto bad = frame_to(us, echo_request(host, ours));
  bad.back() ^= std::byte{1};
  CHECK(dropped(fx, bad) == drop_reason::icmpv6_bad_checksum);
  CHECK(dropped(fx, frame_to(us, icmpv6_packet(host, ours, type::echo_reply, 0x00070001, {}))) ==
        drop_reason::icmpv6_unsupported_type);
  CHECK(dropped(fx, frame_to(test::mac(0x33, 0x33, 0, 0, 0, 1),
                             icmpv6_packet(host_link_local, net::ipv6_address::all_nodes(), 134, 0x40000000,
                                           test::bytes(8), 255))) == drop_reason::icmpv6_unsupported_type);
  // Errors: a quote of TCP from us is ours, but nothing acts on it yet; from another, not ours.
  const auto quote_of = [](const net::ipv6_address& source) {
    const auto segment = tcp_packet(source, host);
    return test::bytes(segment.begin(), segment.begin() + 48);
  };
  CHECK(dropped(fx, frame_to(us, icmpv6_packet(host, ours, type::packet_too_big, 1280, quote_of(ours)))) ==
        drop_reason::icmpv6_error_ignored);
  CHECK(dropped(fx, frame_to(us, icmpv6_packet(host, ours, type::packet_too_big, 1280, quote_of(test::ipv6("fd99::9"))))) ==
        drop_reason::icmpv6_error_not_ours);
  CHECK(dropped(fx, frame_to(us, icmpv6_packet(host, ours, type::destination_unreachable, 0, test::bytes(20)))) ==
        drop_reason::icmpv6_error_truncated);
  // Neighbor Discovery.
  const auto group_mac = test::mac(0x33, 0x33, 0xff, 0x00, 0x00, 0x02);
  CHECK(dropped(fx, frame_to(group_mac, icmpv6_packet(host, ours.solicited_node(), type::neighbor_solicitation, 0,
                                                      ndp_body(test::ipv6("fd99::1:2")), 255))) ==
        drop_reason::ndp_target_not_ours);
  CHECK(dropped(fx, frame_to(group_mac, icmpv6_packet(host, ours.solicited_node(), type::neighbor_solicitation, 0,
                                                      ndp_body(ours), 64))) == drop_reason::ndp_bad_hop_limit);
  // A probe whose answer (86 bytes) does not fit the 80-byte buffer it came in.
  const auto probe = frame_to(group_mac, icmpv6_packet(net::ipv6_address{}, ours.solicited_node(),
                                                       type::neighbor_solicitation, 0, ndp_body(ours), 255));
  test::test_frame small(probe, 80);
  const auto v = fx.run(small);
  CHECK(v.what == action::drop);
  CHECK(v.reason == drop_reason::icmpv6_reply_too_large);
  CHECK(fx.stats->ndp_solicitations_answered.read() == 0);
}

TEST_CASE("IPv6 without port.ipv6: dropped by EtherType, groups not joined", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  CHECK(dropped(fx, from_hex(test::captured::icmpv6_echo_request)) == drop_reason::eth_unsupported_ethertype);
  CHECK(dropped(fx, from_hex(test::captured::neighbor_solicitation)) == drop_reason::eth_not_for_us);
}
