#include <catch2/catch.hpp>

#include "net/checksum.hh"
#include "net/icmp.hh"
#include "packet_builder.hh"

using namespace rampart;
using stats::drop_reason;
using test::from_hex;

namespace {
test::bytes icmp_of(std::string_view captured_frame) {
  const auto frame = from_hex(captured_frame);
  return test::bytes(frame.begin() + 34, frame.end());
}
}  // namespace

TEST_CASE("ICMP view of a captured echo request", "[unit][net]") {
  const auto message = icmp_of(test::captured::icmp_echo_request);
  const auto icmp = net::icmp_view::parse(message);
  REQUIRE(icmp);
  CHECK(icmp->type() == net::icmp_type::echo_request);
  CHECK(icmp->code() == 0);
  CHECK(icmp->checksum() == 0x61c1);
  CHECK(icmp->identifier() == 10488);
  CHECK(icmp->sequence() == 1);
  CHECK(icmp->data().size() == 40);
  CHECK(icmp->data()[39] == std::byte{0x27});
}

TEST_CASE("ICMP parse: truncated, bad checksum", "[unit][net]") {
  const auto message = icmp_of(test::captured::icmp_echo_request);
  for (std::size_t length = 0; length < 8; ++length) {
    const auto icmp = net::icmp_view::parse(std::span{message}.first(length));
    REQUIRE_FALSE(icmp);
    CHECK(icmp.error() == drop_reason::icmp_truncated);
  }
  // Cutting the data breaks the checksum, which covers the whole message.
  for (std::size_t length = 8; length < message.size(); ++length) {
    const auto icmp = net::icmp_view::parse(std::span{message}.first(length));
    REQUIRE_FALSE(icmp);
    CHECK(icmp.error() == drop_reason::icmp_bad_checksum);
  }
  const auto corrupt = test::icmp_echo(8, 1, 2, test::bytes(3), true);
  CHECK(net::icmp_view::parse(corrupt).error() == drop_reason::icmp_bad_checksum);
  CHECK(net::icmp_view::parse(test::icmp_echo(8, 1, 2, test::bytes(3))));  // odd length is fine
}

TEST_CASE("ICMP echo writer reproduces Linux's reply", "[unit][net]") {
  const auto request = icmp_of(test::captured::icmp_echo_request);
  const auto expected = icmp_of(test::captured::icmp_echo_reply);
  test::bytes out(request.size());
  const auto data = std::span{request}.subspan(8);
  REQUIRE(net::write_icmp_echo(out, net::icmp_type::echo_reply, 10488, 1, data) == 48);
  CHECK(test::to_hex(out) == test::to_hex(expected));
  // In place: the data already sits where it belongs.
  auto in_place = request;
  REQUIRE(net::write_icmp_echo(in_place, net::icmp_type::echo_reply, 10488, 1,
                               std::span{in_place}.subspan(8)) == 48);
  CHECK(test::to_hex(in_place) == test::to_hex(expected));
  test::bytes short_out(47);
  CHECK(net::write_icmp_echo(short_out, 0, 1, 1, data) == 0);
}

namespace {

// The first bytes of one of our segments as a router quotes them: IPv4 header (IHL 5 + extra
// option words) from 10.99.0.2:80 to 10.99.0.1:44768, then 20 bytes of TCP header (seq 0x01020304).
test::bytes quoted_segment(std::uint8_t option_words = 0) {
  test::ipv4_fields f;
  f.protocol = 6;
  f.source = test::captured::peer_ip;
  f.destination = test::captured::host_ip;
  f.options.assign(std::size_t{option_words} * 4, std::byte{1});  // NOPs
  test::tcp_fields t;
  t.source_port = 80;
  t.destination_port = 44768;
  t.sequence = 0x01020304;
  t.flags = 0x18;
  t.data.assign(1000, std::byte{0x55});
  return test::ipv4_datagram(f, test::tcp_segment(t, f.source, f.destination));
}

net::parse_result<net::icmp_quoted_tcp> parse_error(const test::bytes& message) {
  const auto icmp = net::icmp_view::parse(message);
  REQUIRE(icmp);
  return net::parse_icmp_quoted_tcp(*icmp);
}

}  // namespace

TEST_CASE("ICMP error quote: fragmentation needed names the segment and the next-hop MTU", "[unit][net]") {
  const test::bytes quote = quoted_segment();
  // Routers quote 28 bytes (RFC 792), or as much as fits in 576 (RFC 1812 §4.3.2.3): both parse.
  for (const std::size_t length : {std::size_t{28}, std::size_t{40}, std::size_t{548}}) {
    INFO(length);
    const auto q = parse_error(test::icmp_error(3, 4, 1400, std::span{quote}.first(length)));
    REQUIRE(q);
    CHECK(q->type == 3);
    CHECK(q->code == 4);
    CHECK(q->next_hop_mtu == 1400);
    CHECK(q->source == test::captured::peer_ip);
    CHECK(q->destination == test::captured::host_ip);
    CHECK(q->source_port == 80);
    CHECK(q->destination_port == 44768);
    CHECK(q->sequence.raw() == 0x01020304);
  }
  // The MTU field means something only for type 3 code 4.
  const auto other = parse_error(test::icmp_error(3, 3, 1400, std::span{quote}.first(28)));
  REQUIRE(other);
  CHECK(other->next_hop_mtu == 0);
  const auto exceeded = parse_error(test::icmp_error(11, 0, 0, std::span{quote}.first(28)));
  REQUIRE(exceeded);
  CHECK(exceeded->type == 11);
  CHECK(net::is_icmp_error(3));
  CHECK(net::is_icmp_error(4));
  CHECK(net::is_icmp_error(11));
  CHECK(net::is_icmp_error(12));
  CHECK_FALSE(net::is_icmp_error(0));
  CHECK_FALSE(net::is_icmp_error(5));  // redirect: not about a lost datagram
  CHECK_FALSE(net::is_icmp_error(8));
}

TEST_CASE("ICMP error quote: every truncation of the IP header and 8 bytes is refused", "[unit][net]") {
  for (const std::uint8_t option_words : {std::uint8_t{0}, std::uint8_t{2}, std::uint8_t{10}}) {
    const test::bytes quote = quoted_segment(option_words);
    const std::size_t needed = 20 + std::size_t{option_words} * 4 + 8;
    for (std::size_t length = 0; length <= needed + 4; ++length) {
      INFO("options " << int{option_words} << " words, quote of " << length << " bytes");
      const auto q = parse_error(test::icmp_error(3, 4, 1400, std::span{quote}.first(length)));
      if (length < needed) {
        REQUIRE_FALSE(q);
        CHECK(q.error() == drop_reason::icmp_error_truncated);
      } else {
        REQUIRE(q);
        CHECK(q->sequence.raw() == 0x01020304);
        CHECK(q->source_port == 80);
      }
    }
  }
}

TEST_CASE("ICMP error quote: not IPv4, bad IHL, later fragment, not TCP", "[unit][net]") {
  const test::bytes quote = quoted_segment();
  const auto refused = [&](std::size_t offset, std::byte value, drop_reason reason) {
    test::bytes bad(quote.begin(), quote.begin() + 28);
    bad[offset] = value;
    const auto q = parse_error(test::icmp_error(3, 4, 1400, bad));
    REQUIRE_FALSE(q);
    CHECK(q.error() == reason);
  };
  refused(0, std::byte{0x65}, drop_reason::icmp_error_bad_quote);  // version 6
  refused(0, std::byte{0x44}, drop_reason::icmp_error_bad_quote);  // IHL 4
  refused(0, std::byte{0x40}, drop_reason::icmp_error_bad_quote);  // IHL 0
  refused(7, std::byte{0x08}, drop_reason::icmp_error_bad_quote);  // fragment offset 8
  refused(9, std::byte{17}, drop_reason::icmp_error_not_tcp);      // UDP
  refused(9, std::byte{1}, drop_reason::icmp_error_not_tcp);       // an error about our ICMP
  // MF alone on the first fragment still quotes the TCP header: accepted.
  test::bytes first_fragment(quote.begin(), quote.begin() + 28);
  first_fragment[6] = std::byte{0x20};
  CHECK(parse_error(test::icmp_error(3, 4, 1400, first_fragment)));
}
