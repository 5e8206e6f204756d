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
