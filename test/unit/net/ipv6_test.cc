#include <catch2/catch.hpp>

#include "net/checksum.hh"
#include "net/ipv6.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

namespace {

namespace next = net::ipv6_next_header;

// An extension header of `length` bytes (a multiple of 8): next header, the length field, then
// `fields` (options, or the routing / fragment fields), zero-filled: zeros are Pad1 options.
test::bytes extension(std::uint8_t next_header, std::size_t length, std::initializer_list<std::uint8_t> fields = {}) {
  test::bytes out(length);
  out[0] = std::byte{next_header};
  out[1] = std::byte(static_cast<std::uint8_t>(length / 8 - 1));
  std::size_t i = 2;
  for (const std::uint8_t b : fields) {
    out[i++] = std::byte{b};
  }
  return out;
}

// A packet whose fixed header says first_header, carrying `headers` and then 20 bytes of the
// upper layer.
test::bytes packet_with(std::uint8_t first_header, std::initializer_list<test::bytes> headers) {
  test::bytes payload;
  for (const auto& h : headers) {
    payload.insert(payload.end(), h.begin(), h.end());
  }
  payload.resize(payload.size() + 20);
  test::ipv6_fields f;
  f.next_header = first_header;
  f.source = test::ipv6("fd99::1");
  f.destination = test::ipv6("fd99::2");
  return test::ipv6_packet(f, payload);
}

net::parse_result<net::ipv6_upper_layer> walk(const test::bytes& packet) {
  const auto ip = net::ipv6_view::parse(packet);
  REQUIRE(ip);
  return net::find_upper_layer(*ip);
}

drop_reason refusal(const test::bytes& packet) {
  const auto upper = walk(packet);
  REQUIRE_FALSE(upper);
  return upper.error();
}

}  // namespace

TEST_CASE("IPv6 view of a captured echo request", "[unit][net]") {
  const auto bytes = test::after_ethernet(test::captured::icmpv6_echo_request);
  const auto ip = net::ipv6_view::parse(bytes);
  REQUIRE(ip);
  CHECK(ip->header().traffic_class == 0);
  CHECK(ip->header().flow_label == 0x7370f);
  CHECK(ip->header().payload_length == 48);
  CHECK(ip->header().next_header == next::icmpv6);
  CHECK(ip->hop_limit() == 64);
  CHECK(ip->source() == test::ipv6("fd99::1"));
  CHECK(ip->destination() == test::ipv6("fd99::2"));
  CHECK(ip->packet().size() == 88);
  CHECK(ip->payload().size() == 48);

  const auto upper = net::find_upper_layer(*ip);
  REQUIRE(upper);
  CHECK(upper->protocol == next::icmpv6);
  CHECK(upper->offset == 40);
  CHECK(upper->message.data() == bytes.data() + 40);
  CHECK(upper->message.size() == 48);
  CHECK_FALSE(upper->atomic_fragment);
  CHECK(net::ipv6_l4_checksum_verifies(ip->source(), ip->destination(), next::icmpv6, upper->message));
}

TEST_CASE("IPv6 view: traffic class, Ethernet padding left out", "[unit][net]") {
  test::ipv6_fields f;
  f.flow_label = 0xabcde;
  f.source = test::ipv6("fd99::1");
  f.destination = test::ipv6("fd99::2");
  auto bytes = test::ipv6_packet(f, test::bytes(6));
  bytes[0] = std::byte{0x6b};  // traffic class 0xb8 (DSCP EF): 6 | b8 | abcde
  bytes[1] = std::byte{0x8a};
  bytes.resize(46 + 10);  // a 60-byte frame's padding
  const auto ip = net::ipv6_view::parse(bytes);
  REQUIRE(ip);
  CHECK(ip->header().traffic_class == 0xb8);
  CHECK(ip->header().flow_label == 0xabcde);
  CHECK(ip->packet().size() == 46);
  CHECK(ip->payload().size() == 6);
}

TEST_CASE("IPv6 parse: truncated, bad version, payload length beyond the bytes", "[unit][net]") {
  const auto bytes = test::after_ethernet(test::captured::icmpv6_echo_request);
  for (std::size_t length = 0; length < 40; ++length) {
    CHECK(net::ipv6_view::parse(std::span{bytes}.first(length)).error() == drop_reason::ipv6_truncated);
  }
  for (const std::uint8_t version : {0, 4, 7, 15}) {
    auto wrong = bytes;
    wrong[0] = std::byte(static_cast<std::uint8_t>(version << 4));
    CHECK(net::ipv6_view::parse(wrong).error() == drop_reason::ipv6_bad_version);
  }
  CHECK(net::ipv6_view::parse(std::span{bytes}.first(87)).error() == drop_reason::ipv6_bad_payload_length);
  test::ipv6_fields f;
  f.payload_length = 0xffff;  // the largest, never present
  CHECK(net::ipv6_view::parse(test::ipv6_packet(f, test::bytes(1400))).error() ==
        drop_reason::ipv6_bad_payload_length);
}

TEST_CASE("IPv6 walk: a captured MLD report's hop-by-hop Router Alert is skipped", "[unit][net]") {
  const auto bytes = test::after_ethernet(test::captured::mld_report);
  const auto upper = walk(bytes);
  REQUIRE(upper);
  CHECK(upper->protocol == next::icmpv6);
  CHECK(upper->offset == 48);
  CHECK(upper->message.size() == 28);
  CHECK(std::to_integer<int>(upper->message[0]) == 143);
}

TEST_CASE("IPv6 walk: options of type 00 are skipped, the others refuse the packet", "[unit][net]") {
  CHECK(walk(packet_with(next::destination_options, {extension(next::tcp, 8)}))->offset == 48);
  CHECK(walk(packet_with(next::hop_by_hop, {extension(next::tcp, 8, {1, 4})}))->offset == 48);  // PadN
  CHECK(walk(packet_with(next::hop_by_hop, {extension(next::tcp, 8, {0x1e, 2, 9, 9})})));  // unknown, 00
  for (const std::uint8_t type : {0x40, 0x80, 0xc2 /* Jumbo Payload */, 0xc9 /* Home Address */}) {
    CHECK(refusal(packet_with(next::destination_options, {extension(next::tcp, 8, {type, 4})})) ==
          drop_reason::ipv6_unrecognized_option);
  }
  // An option whose data runs past its header, or whose length byte is missing.
  CHECK(refusal(packet_with(next::destination_options, {extension(next::tcp, 8, {0x1e, 5})})) ==
        drop_reason::ipv6_extension_header_truncated);
  CHECK(refusal(packet_with(next::destination_options, {extension(next::tcp, 8, {0, 0, 0, 0, 0, 1})})) ==
        drop_reason::ipv6_extension_header_truncated);
}

TEST_CASE("IPv6 walk: headers cut short by the packet", "[unit][net]") {
  test::ipv6_fields f;
  f.next_header = next::destination_options;
  for (std::size_t length = 0; length < 8; ++length) {
    CHECK(refusal(test::ipv6_packet(f, test::bytes(length))) == drop_reason::ipv6_extension_header_truncated);
  }
  // Its length says 16 bytes; 8 are there.
  auto sixteen = extension(next::tcp, 8);
  sixteen[1] = std::byte{1};
  CHECK(refusal(test::ipv6_packet(f, sixteen)) == drop_reason::ipv6_extension_header_truncated);
  // A jumbogram: payload length 0, then its hop-by-hop header (RFC 2675, not supported).
  f.next_header = next::hop_by_hop;
  f.payload_length = 0;
  CHECK(refusal(test::ipv6_packet(f, extension(next::tcp, 8, {0xc2, 4, 0, 1, 0, 0}))) ==
        drop_reason::ipv6_extension_header_truncated);
}

TEST_CASE("IPv6 walk: bounded at 8 headers and 256 bytes", "[unit][net]") {
  const auto dest = [](std::uint8_t next_header, std::size_t length = 8) {
    return extension(next_header, length);
  };
  const std::uint8_t d = next::destination_options;
  const auto eight = packet_with(d, {dest(d), dest(d), dest(d), dest(d), dest(d), dest(d), dest(d), dest(next::tcp)});
  CHECK(walk(eight)->offset == 40 + 64);
  const auto nine =
      packet_with(d, {dest(d), dest(d), dest(d), dest(d), dest(d), dest(d), dest(d), dest(d), dest(next::tcp)});
  CHECK(refusal(nine) == drop_reason::ipv6_extension_chain_too_long);
  CHECK(walk(packet_with(d, {dest(next::tcp, 256)}))->offset == 40 + 256);
  CHECK(refusal(packet_with(d, {dest(d, 8), dest(next::tcp, 256)})) == drop_reason::ipv6_extension_chain_too_long);
  CHECK(refusal(packet_with(d, {dest(next::tcp, 264)})) == drop_reason::ipv6_extension_chain_too_long);
}

TEST_CASE("IPv6 walk: hop-by-hop only first (RFC 8200 4.1)", "[unit][net]") {
  CHECK(walk(packet_with(next::hop_by_hop, {extension(next::destination_options, 8), extension(next::tcp, 8)})));
  CHECK(refusal(packet_with(next::destination_options, {extension(next::hop_by_hop, 8), extension(next::tcp, 8)})) ==
        drop_reason::ipv6_hop_by_hop_not_first);
  CHECK(refusal(packet_with(next::hop_by_hop, {extension(next::hop_by_hop, 8), extension(next::tcp, 8)})) ==
        drop_reason::ipv6_hop_by_hop_not_first);
}

TEST_CASE("IPv6 walk: routing headers (RFC 8200 4.4, RFC 5095)", "[unit][net]") {
  // type, segments left
  CHECK(refusal(packet_with(next::routing, {extension(next::tcp, 24, {0, 1})})) == drop_reason::ipv6_routing_type0);
  CHECK(refusal(packet_with(next::routing, {extension(next::tcp, 24, {4, 2})})) ==
        drop_reason::ipv6_routing_segments_left);
  CHECK(refusal(packet_with(next::routing, {extension(next::tcp, 24, {2, 1})})) ==
        drop_reason::ipv6_routing_segments_left);
  // With no segments left the header is ignored, RH0 as any unknown type.
  const auto done = walk(packet_with(next::routing, {extension(next::tcp, 24, {0, 0})}));
  REQUIRE(done);
  CHECK(done->protocol == next::tcp);
  CHECK(done->offset == 64);
}

TEST_CASE("IPv6 walk: atomic fragments pass, others are dropped (RFC 8021, RFC 6946)", "[unit][net]") {
  // Fragment header: next header, reserved, offset (13 bits) | res (2) | M, identification.
  const auto atomic = walk(packet_with(next::fragment, {extension(next::icmpv6, 8, {0x00, 0x00, 0xde, 0xad})}));
  REQUIRE(atomic);
  CHECK(atomic->protocol == next::icmpv6);
  CHECK(atomic->offset == 48);
  CHECK(atomic->atomic_fragment);
  // The reserved bits are ignored (RFC 8200 4.5).
  CHECK(walk(packet_with(next::fragment, {extension(next::tcp, 8, {0x00, 0x06})}))->atomic_fragment);
  // The fragment header's second byte is reserved, not a length.
  auto reserved = extension(next::tcp, 8);
  reserved[1] = std::byte{0xff};
  CHECK(walk(packet_with(next::fragment, {reserved}))->offset == 48);
  CHECK(refusal(packet_with(next::fragment, {extension(next::tcp, 8, {0x00, 0x01})})) == drop_reason::ipv6_fragment);
  CHECK(refusal(packet_with(next::fragment, {extension(next::tcp, 8, {0x00, 0x08})})) == drop_reason::ipv6_fragment);
  CHECK(refusal(packet_with(next::fragment, {extension(next::tcp, 8, {0xff, 0xf8})})) == drop_reason::ipv6_fragment);
}

TEST_CASE("IPv6 walk: No Next Header and other upper layers", "[unit][net]") {
  CHECK(refusal(packet_with(next::no_next_header, {})) == drop_reason::ipv6_no_next_header);
  CHECK(refusal(packet_with(next::destination_options, {extension(next::no_next_header, 8)})) ==
        drop_reason::ipv6_no_next_header);
  for (const std::uint8_t protocol : {17 /* UDP */, 50 /* ESP */, 51 /* AH */, 135 /* mobility */, 4 /* IPv4 */}) {
    CHECK(refusal(packet_with(protocol, {})) == drop_reason::ipv6_unsupported_next_header);
  }
  CHECK(walk(packet_with(next::tcp, {}))->protocol == next::tcp);
}

TEST_CASE("IPv6 header writer reproduces Linux's echo reply header", "[unit][net]") {
  const auto expected = test::after_ethernet(test::captured::icmpv6_echo_reply);
  net::ipv6_header h;
  h.flow_label = 0x923fc;
  h.payload_length = 48;
  h.next_header = next::icmpv6;
  h.source = test::ipv6("fd99::2");
  h.destination = test::ipv6("fd99::1");
  test::bytes out(40);
  REQUIRE(net::write_ipv6_header(out, h) == 40);
  CHECK(test::to_hex(out) == test::to_hex(std::span{expected}.first(40)));
  h.traffic_class = 0xb8;
  h.hop_limit = 255;
  REQUIRE(net::write_ipv6_header(out, h) == 40);
  CHECK(test::to_hex(std::span{out}.first(8)) == test::to_hex(from_hex("6b89 23fc 0030 3aff")));
  test::bytes short_out(39);
  CHECK(net::write_ipv6_header(short_out, h) == 0);
}

TEST_CASE("IPv6 pseudo-header sum against the naive reference", "[unit][net]") {
  const auto source = test::ipv6("fd99::1");
  const auto destination = test::ipv6("2001:db8:ffff::8:1");
  const auto message = test::bytes(70000, std::byte{0x5a});  // a length above 16 bits
  std::uint32_t expected = 58 + (70000 >> 16) + (70000 & 0xffff);
  for (const auto* a : {&source, &destination}) {
    for (std::size_t i = 0; i < 16; i += 2) {
      expected += static_cast<std::uint32_t>(a->bytes[i]) << 8 | a->bytes[i + 1];
    }
  }
  CHECK(net::checksum_fold(net::ipv6_pseudo_header_sum(source, destination, 58, 70000)) ==
        net::checksum_fold(expected));
  CHECK(net::ipv6_l4_checksum(source, destination, 58, message) == test::reference_checksum(message, expected));
}
