#include <catch2/catch.hpp>

#include "net/checksum.hh"
#include "pipeline/ipv4_input.hh"
#include "pipeline_fixture.hh"

using namespace rampart;
using packet::action;
using stats::drop_reason;
using test::from_hex;

namespace {

// Checks the reply is a well-formed echo reply from us to the captured host carrying `data`.
void check_echo_reply(std::span<const std::byte> out, std::span<const std::byte> data,
                      std::uint16_t identifier, std::uint16_t sequence) {
  REQUIRE(out.size() == 14 + 20 + 8 + data.size());
  CHECK(test::to_hex(out.first(12)) == test::to_hex(test::from_hex("2edf 1048 5e7a 92ed 0340 2843")));
  CHECK(test::get16(out, 12) == 0x0800);
  const auto ip = out.subspan(14, 20);
  CHECK(std::to_integer<int>(ip[0]) == 0x45);
  CHECK(test::get16(ip, 2) == 20 + 8 + data.size());
  CHECK(test::get16(ip, 6) == 0x4000);  // DF, not a fragment
  CHECK(std::to_integer<int>(ip[8]) == 64);
  CHECK(std::to_integer<int>(ip[9]) == 1);
  CHECK(test::get32(ip, 12) == test::captured::peer_ip.value);
  CHECK(test::get32(ip, 16) == test::captured::host_ip.value);
  CHECK(test::reference_checksum(ip) == 0);  // verifies (independent implementation)
  const auto icmp = out.subspan(34);
  CHECK(std::to_integer<int>(icmp[0]) == 0);
  CHECK(std::to_integer<int>(icmp[1]) == 0);
  CHECK(test::reference_checksum(icmp) == 0);
  CHECK(test::get16(icmp, 4) == identifier);
  CHECK(test::get16(icmp, 6) == sequence);
  CHECK(test::to_hex(icmp.subspan(8)) == test::to_hex(data));
}

}  // namespace

TEST_CASE("ICMP echo request (captured) → echo reply", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  const auto request = from_hex(test::captured::icmp_echo_request);
  test::test_frame f(request);
  REQUIRE(fx.run(f).what == action::transmit);
  check_echo_reply(f.bytes_out(), std::span{request}.subspan(42), 10488, 1);
  // The ICMP part is byte for byte what Linux answered (its IP ID/flags differ: ours keep the
  // request's ID and set DF).
  const auto linux_reply = from_hex(test::captured::icmp_echo_reply);
  CHECK(test::to_hex(f.bytes_out().subspan(34)) == test::to_hex(std::span{linux_reply}.subspan(34)));
  CHECK(test::get16(f.bytes_out(), 18) == 0xb92c);
  CHECK(fx.stats->icmp_echo_replied.read() == 1);
  CHECK(fx.stats->dropped.read() == 0);
  CHECK_FALSE(f.frame().offload.ipv4_checksum);
}

TEST_CASE("ICMP echo with IPv4 checksum offload", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  fx.ctx->offload_caps.ipv4_checksum = true;
  test::test_frame f(from_hex(test::captured::icmp_echo_request));
  REQUIRE(fx.run(f).what == action::transmit);
  CHECK(test::get16(f.bytes_out(), 24) == 0);  // left to the NIC
  CHECK(f.frame().offload.ipv4_checksum);
  CHECK_FALSE(f.frame().offload.tcp_checksum);
  CHECK(f.frame().offload.l2_length == 14);
  CHECK(f.frame().offload.l3_length == 20);
  CHECK(test::reference_checksum(f.bytes_out().subspan(34)) == 0);  // ICMP still done in software
}

TEST_CASE("ICMP echo data is echoed whatever its length", "[unit][pipeline]") {
  for (std::size_t length : {0, 1, 17, 18, 19, 1472}) {
    INFO("data length " << length);
    test::pipeline_fixture fx;
    test::bytes data(length);
    for (std::size_t i = 0; i < length; ++i) {
      data[i] = std::byte(i * 7 + 3);
    }
    auto ip = test::icmp_fields();
    ip.tos = 0xb9;  // DSCP 46 + ECN CE
    test::test_frame f(test::ipv4_frame_to_us(ip, test::icmp_echo(8, 0x4242, 77, data)));
    REQUIRE(fx.run(f).what == action::transmit);
    // Short replies are not padded here: Ethernet padding belongs to the NIC, and the request's
    // padding must not count as ICMP data.
    check_echo_reply(f.bytes_out(), data, 0x4242, 77);
    CHECK(std::to_integer<int>(f.bytes_out()[15]) == 0xb8);  // DSCP kept, ECN not reflected
  }
}

TEST_CASE("ICMP echo with IP options: options dropped, data intact", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  auto ip = test::icmp_fields();
  ip.options = from_hex("0101 0100");
  const auto data = from_hex("de ad be ef 01");
  test::test_frame f(test::ipv4_frame_to_us(ip, test::icmp_echo(8, 9, 10, data)));
  REQUIRE(fx.run(f).what == action::transmit);
  check_echo_reply(f.bytes_out(), data, 9, 10);
}

TEST_CASE("ICMP checksum fix-up is right when the sum hits the 0xffff corner", "[unit][pipeline]") {
  // Search for data that makes the request's checksum 0xf7ff: the reply's type word loses
  // 0x0800, so RFC 1624 eqn. 2 would give 0xffff where the answer is 0x0000 — eqn. 3 gets it.
  test::bytes data(2);
  for (std::uint32_t w = 0; w <= 0xffff; ++w) {
    data[0] = std::byte(w >> 8);
    data[1] = std::byte(w & 0xff);
    if (test::get16(test::icmp_echo(8, 1, 1, data), 2) == 0xf7ff) {
      break;
    }
  }
  const auto request = test::icmp_echo(8, 1, 1, data);
  REQUIRE(test::get16(request, 2) == 0xf7ff);
  test::pipeline_fixture fx;
  test::test_frame f(test::ipv4_frame_to_us(test::icmp_fields(), request));
  REQUIRE(fx.run(f).what == action::transmit);
  CHECK(test::get16(f.bytes_out(), 36) == 0x0000);  // what a full recomputation gives
  CHECK(test::reference_checksum(f.bytes_out().subspan(34)) == 0);
}

TEST_CASE("IPv4/ICMP drops: each malformed or unwanted datagram gets its reason", "[unit][pipeline]") {
  const auto data = from_hex("0102 0304 0506 0708");
  const auto echo = test::icmp_echo(8, 1, 1, data);
  struct case_t {
    const char* name;
    test::bytes frame;
    drop_reason expected;
  };
  const auto with = [&](auto mutate, std::span<const std::byte> payload) {
    auto f = test::icmp_fields();
    mutate(f);
    return test::ipv4_frame_to_us(f, payload);
  };
  const auto nothing = [](auto&) {};
  std::vector<case_t> cases;
  cases.push_back({"bad version", with([](auto& f) { f.version = 6; }, echo), drop_reason::ipv4_bad_version});
  cases.push_back({"IHL 4", with([](auto& f) { f.ihl = 4; }, echo), drop_reason::ipv4_bad_ihl});
  cases.push_back({"IHL beyond frame", with([](auto& f) { f.ihl = 15; }, test::bytes(4)), drop_reason::ipv4_bad_ihl});
  cases.push_back({"total length 19", with([](auto& f) { f.total_length = 19; }, echo), drop_reason::ipv4_bad_total_length});
  {
    // Unpadded so nothing follows the datagram: total length one past the bytes present.
    auto f = test::icmp_fields();
    f.total_length = 20 + static_cast<std::int32_t>(echo.size()) + 1;
    cases.push_back({"total length too large", test::ipv4_frame_to_us(f, echo, false), drop_reason::ipv4_bad_total_length});
  }
  cases.push_back({"bad IPv4 checksum", with([](auto& f) { f.correct_checksum = false; }, echo), drop_reason::ipv4_bad_checksum});
  cases.push_back({"first fragment", with([](auto& f) { f.flags_fragment = 0x2000; }, echo), drop_reason::ipv4_fragment});
  cases.push_back({"later fragment", with([](auto& f) { f.flags_fragment = 0x0010; }, echo), drop_reason::ipv4_fragment});
  for (auto src : {test::ipv4(0, 0, 0, 0), test::ipv4(0, 1, 2, 3), test::ipv4(127, 0, 0, 1), test::ipv4(224, 0, 0, 1),
                   test::ipv4(239, 255, 255, 250), test::ipv4(240, 0, 0, 1), test::ipv4(255, 255, 255, 255),
                   test::ipv4(10, 99, 0, 255), test::captured::peer_ip}) {
    cases.push_back({"martian source", with([src](auto& f) { f.source = src; }, echo), drop_reason::ipv4_martian_source});
  }
  for (auto dst : {test::ipv4(10, 99, 0, 3), test::ipv4(10, 99, 0, 255), test::ipv4(255, 255, 255, 255),
                   test::ipv4(224, 0, 0, 1)}) {
    cases.push_back({"not our address", with([dst](auto& f) { f.destination = dst; }, echo), drop_reason::ipv4_not_our_address});
  }
  cases.push_back({"UDP", with([](auto& f) { f.protocol = 17; }, test::bytes(8)), drop_reason::ipv4_unsupported_protocol});
  cases.push_back({"ICMP truncated", with(nothing, std::span{echo}.first(4)), drop_reason::icmp_truncated});
  cases.push_back({"ICMP bad checksum", with(nothing, test::icmp_echo(8, 1, 1, data, true)), drop_reason::icmp_bad_checksum});
  cases.push_back({"ICMP echo reply", with(nothing, test::icmp_echo(0, 1, 1, data)), drop_reason::icmp_unsupported_type});
  cases.push_back({"ICMP timestamp", with(nothing, test::icmp_echo(13, 1, 1, data)), drop_reason::icmp_unsupported_type});

  for (auto& c : cases) {
    INFO(c.name);
    test::pipeline_fixture fx;
    test::test_frame f(c.frame);
    const auto v = fx.run(f);
    CHECK(v.what == action::drop);
    CHECK(v.reason == c.expected);
    CHECK(fx.drops(c.expected) == 1);
    CHECK(fx.stats->dropped.read() == 1);
    CHECK(fx.stats->icmp_echo_replied.read() == 0);
  }
}

TEST_CASE("a /31 or /32 address has no subnet broadcast to refuse", "[unit][pipeline]") {
  const auto ours = test::ipv4(10, 99, 0, 2);
  CHECK(pipeline::is_martian_source(test::ipv4(10, 99, 0, 255), {ours, 24}));
  CHECK_FALSE(pipeline::is_martian_source(test::ipv4(10, 99, 0, 3), {ours, 31}));
  CHECK_FALSE(pipeline::is_martian_source(test::ipv4(10, 99, 0, 255), {ours, 32}));
  CHECK_FALSE(pipeline::is_martian_source(test::ipv4(192, 0, 2, 1), {ours, 24}));
}

TEST_CASE("captured echo request truncated at every length", "[unit][pipeline]") {
  const auto request = from_hex(test::captured::icmp_echo_request);
  for (std::size_t length = 0; length < request.size(); ++length) {
    INFO("length " << length);
    test::pipeline_fixture fx;
    test::test_frame f(std::span{request}.first(length));
    const auto v = fx.run(f);
    REQUIRE(v.what == action::drop);
    const drop_reason expected = length < 14   ? drop_reason::eth_truncated
                                 : length < 34 ? drop_reason::ipv4_truncated
                                               : drop_reason::ipv4_bad_total_length;
    CHECK(v.reason == expected);
    CHECK(fx.drops(expected) == 1);
  }
}

TEST_CASE("TCP segments are collected for lib/tcp with their offsets", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  auto ip = test::icmp_fields();
  ip.protocol = 6;
  ip.options = from_hex("0101 0101");  // IHL 6: l4 offset must follow it
  test::tcp_fields t;
  t.data = from_hex("aa bb");
  const auto segment = test::tcp_segment(t, ip.source, ip.destination);
  test::test_frame f(test::ipv4_frame_to_us(ip, segment));  // 14 + 24 + 22 = 60: no padding
  packet::tcp_segment_batch batch;
  const auto v = pipeline::ipv4_input(*fx.ctx, f.frame(), 5, batch, 0);
  CHECK_FALSE(v);
  REQUIRE(batch.count == 1);
  const auto& s = batch.view()[0];
  CHECK(s.frame_index == 5);
  CHECK(s.l3_offset == 14);
  CHECK(s.l4_offset == 38);
  CHECK(s.l4_length == 22);
  CHECK(s.ip.source == ip.source);
  CHECK(s.ip.destination == ip.destination);
  CHECK(s.ip.identification == 0x1234);

  // With padding after a 20-byte segment, l4_length still excludes it.
  auto ip5 = test::icmp_fields();
  ip5.protocol = 6;
  test::tcp_fields bare;
  test::test_frame padded(test::ipv4_frame_to_us(ip5, test::tcp_segment(bare, ip5.source, ip5.destination)));
  REQUIRE(padded.frame().length == 60);
  CHECK_FALSE(pipeline::ipv4_input(*fx.ctx, padded.frame(), 6, batch, 0));
  REQUIRE(batch.count == 2);
  CHECK(batch.view()[1].l4_length == 20);
  CHECK(batch.view()[1].l4_offset == 34);

  // Without a TCP handler, process_burst drops them as tcp_unhandled.
  const auto verdict = fx.run(f);
  CHECK(verdict.what == action::drop);
  CHECK(verdict.reason == drop_reason::tcp_unhandled);
  CHECK(fx.drops(drop_reason::tcp_unhandled) == 1);
}

// Regression (test/fuzz/regressions/frame/icmp_echo_all_zero_reply_checksum): an echo request
// whose every other word is zero makes a reply that sums to zero; its checksum must be 0xffff.
// RFC 1624 eqn. 3 gives 0x0000 there, which no receiver verifies.
TEST_CASE("ICMP echo whose reply sums to zero carries checksum 0xffff", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  const test::bytes zeros(18, std::byte{0});
  test::test_frame f(test::ipv4_frame_to_us(test::icmp_fields(), test::icmp_echo(8, 0, 0, zeros)));
  REQUIRE(fx.run(f).what == action::transmit);
  const auto icmp = f.bytes_out().subspan(34);
  CHECK(test::get16(icmp, 2) == 0xffff);
  CHECK(test::reference_checksum(icmp) == 0);
  check_echo_reply(f.bytes_out(), zeros, 0, 0);
}

// Regression (test/fuzz/regressions/frame/tcp_reply_source_mac_broadcast): RFC 1122 §3.3.6.
// Broadcast frames pass classify (ARP needs them) and are refused by ipv4_input; multicast
// frames never get that far.
TEST_CASE("unicast datagram in a link-layer broadcast or multicast frame is dropped", "[unit][pipeline]") {
  const std::pair<net::mac_address, drop_reason> cases[] = {
      {net::mac_address::broadcast(), drop_reason::ipv4_link_broadcast},
      {net::mac_address{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}, drop_reason::eth_not_for_us},
  };
  for (const auto& [destination, reason] : cases) {
    test::pipeline_fixture fx;
    const auto datagram = test::ipv4_datagram(test::icmp_fields(), test::icmp_echo(8, 1, 1, test::bytes(8, std::byte{7})));
    test::test_frame f(test::ethernet_frame(destination, test::captured::host_mac, 0x0800, datagram, true));
    const auto v = fx.run(f);
    CHECK(v.what == action::drop);
    CHECK(v.reason == reason);
    CHECK(fx.drops(reason) == 1);
    CHECK(fx.stats->icmp_echo_replied.read() == 0);
  }
}
