#include <catch2/catch.hpp>

#include <array>
#include <deque>

#include "pipeline_fixture.hh"

using namespace rampart;
using packet::action;
using stats::drop_reason;
using test::from_hex;

TEST_CASE("a burst mixing good and bad frames gets the right verdict per frame", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  auto bad_checksum = from_hex(test::captured::icmp_echo_request);
  bad_checksum[24] ^= std::byte{1};  // IPv4 header checksum
  auto fragment_fields = test::icmp_fields();
  fragment_fields.flags_fragment = 0x2000;
  auto for_other_mac = from_hex(test::captured::icmp_echo_request);
  for_other_mac[5] = std::byte{0x44};
  const auto ipv6 = test::ethernet_frame(test::captured::peer_mac, test::captured::host_mac, 0x86dd, test::bytes(40));

  std::deque<test::test_frame> frames;
  frames.emplace_back(from_hex(test::captured::arp_request));                     // 0 ARP reply
  frames.emplace_back(from_hex(test::captured::icmp_echo_request));               // 1 echo reply
  frames.emplace_back(bad_checksum);                                              // 2 bad checksum
  frames.emplace_back(from_hex(test::captured::tcp_syn));                         // 3 TCP, no handler
  frames.emplace_back(ipv6);                                                      // 4 IPv6
  frames.emplace_back(for_other_mac);                                             // 5 other MAC
  frames.emplace_back(test::ipv4_frame_to_us(fragment_fields, test::icmp_echo(8, 1, 1, test::bytes(8))));  // 6
  frames.emplace_back(from_hex(test::captured::icmp_echo_request));               // 7 echo reply
  frames.emplace_back(from_hex("0102 03"));                                       // 8 runt

  std::vector<packet::frame> burst;
  for (auto& f : frames) {
    burst.push_back(f.frame());
  }
  std::vector<packet::verdict> verdicts(burst.size(), packet::verdict{action::transmit, drop_reason::tx_ring_full});
  pipeline::process_burst(*fx.ctx, burst, verdicts, 42);

  const std::array<packet::verdict, 9> expected = {{
      {action::transmit, {}},
      {action::transmit, {}},
      {action::drop, drop_reason::ipv4_bad_checksum},
      {action::drop, drop_reason::tcp_unhandled},
      {action::drop, drop_reason::eth_unsupported_ethertype},
      {action::drop, drop_reason::eth_not_for_us},
      {action::drop, drop_reason::ipv4_fragment},
      {action::transmit, {}},
      {action::drop, drop_reason::eth_truncated},
  }};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("frame " << i);
    CHECK(verdicts[i].what == expected[i].what);
    if (expected[i].what == action::drop) {
      CHECK(verdicts[i].reason == expected[i].reason);
      CHECK(fx.drops(expected[i].reason) == 1);
    }
  }
  CHECK(fx.stats->dropped.read() == 6);
  CHECK(fx.stats->icmp_echo_replied.read() == 2);
  CHECK(fx.stats->arp_requests_answered.read() == 1);
  // The replies were written into the burst's frames (the engine sends burst[i]).
  CHECK(burst[0].length == 60);
  CHECK(burst[1].length == 82);
  CHECK(test::get16(std::span{burst[1].data, burst[1].length}, 34) == 0x0000);  // type 0, code 0
}

TEST_CASE("bursts longer than one TCP batch keep every verdict in place", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  constexpr std::size_t n = 150;  // more than two chunks of tcp_segment_batch::capacity
  std::deque<test::test_frame> frames;
  for (std::size_t i = 0; i < n; ++i) {
    frames.emplace_back(from_hex(i % 3 == 0 ? test::captured::icmp_echo_request : test::captured::tcp_syn));
  }
  std::vector<packet::frame> burst;
  for (auto& f : frames) {
    burst.push_back(f.frame());
  }
  std::vector<packet::verdict> verdicts(n);
  pipeline::process_burst(*fx.ctx, burst, verdicts, 1);
  std::size_t tcp = 0;
  for (std::size_t i = 0; i < n; ++i) {
    INFO("frame " << i);
    if (i % 3 == 0) {
      CHECK(verdicts[i].what == action::transmit);
    } else {
      ++tcp;
      CHECK(verdicts[i].what == action::drop);
      CHECK(verdicts[i].reason == drop_reason::tcp_unhandled);
    }
  }
  CHECK(fx.drops(drop_reason::tcp_unhandled) == tcp);
  CHECK(fx.stats->icmp_echo_replied.read() == n - tcp);
}

TEST_CASE("an empty burst does nothing", "[unit][pipeline]") {
  test::pipeline_fixture fx;
  pipeline::process_burst(*fx.ctx, {}, {}, 0);
  CHECK(fx.stats->dropped.read() == 0);
}
