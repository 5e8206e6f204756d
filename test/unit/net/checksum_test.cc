#include <catch2/catch.hpp>

#include <random>

#include "net/checksum.hh"
#include "packet_builder.hh"

using namespace rampart;
using rampart::test::from_hex;

TEST_CASE("RFC 1071 §3 numerical example", "[unit][net]") {
  // 00 01 f2 03 f4 f5 f6 f7: the sum is 2ddf0, folded ddf2, so the checksum is 220d.
  const auto data = from_hex("0001 f203 f4f5 f6f7");
  CHECK(net::checksum_fold(net::checksum_add(data)) == 0xddf2);
  CHECK(net::internet_checksum(data) == 0x220d);
}

TEST_CASE("checksum of a captured IPv4 header", "[unit][net]") {
  auto header = from_hex("4500 0044 b92c 4000 4001 6cc4 0a63 0001 0a63 0002");
  CHECK(net::checksum_verifies(header));
  test::set16(header, 10, 0);
  CHECK(net::internet_checksum(header) == 0x6cc4);
  test::set16(header, 10, 0x6cc5);
  CHECK_FALSE(net::checksum_verifies(header));
}

TEST_CASE("checksum of a captured TCP SYN with its pseudo-header", "[unit][net]") {
  const auto frame = from_hex(test::captured::tcp_syn);
  auto segment = test::bytes(frame.begin() + 34, frame.end());
  REQUIRE(segment.size() == 40);
  const auto src = test::ipv4(10, 99, 0, 1);
  const auto dst = test::ipv4(10, 99, 0, 2);
  // Linux sent it with TX checksum offload (CHECKSUM_PARTIAL on veth), so the field holds
  // what RTE_MBUF_F_TX_TCP_CKSUM also expects: the folded pseudo-header sum,
  // 0a63 + 0001 + 0a63 + 0002 + 0006 + 0028 = 0x14f7.
  CHECK(test::get16(segment, 16) == 0x14f7);
  CHECK(net::ipv4_pseudo_header_sum(src, dst, 6, 40) == 0x14f7U);
  CHECK_FALSE(net::ipv4_l4_checksum_verifies(src, dst, 6, segment));
  // The finished checksum, cross-checked with the test's naive implementation.
  test::set16(segment, 16, 0);
  const std::uint16_t full = net::ipv4_l4_checksum(src, dst, 6, segment);
  CHECK(full == test::reference_checksum(segment, 0x14f7));
  CHECK(full == 0x8de8);
  test::set16(segment, 16, full);
  CHECK(net::ipv4_l4_checksum_verifies(src, dst, 6, segment));
  // The same bytes from another source must not verify: the pseudo-header is covered.
  CHECK_FALSE(net::ipv4_l4_checksum_verifies(test::ipv4(10, 99, 0, 3), dst, 6, segment));
}

TEST_CASE("checksum agrees with a naive RFC 1071 loop at every length", "[unit][net]") {
  std::mt19937 rng(1071);
  test::bytes data(1600);
  for (auto& b : data) {
    b = std::byte(rng() & 0xff);
  }
  for (std::size_t length = 0; length <= data.size(); ++length) {
    const std::span<const std::byte> s{data.data(), length};
    INFO("length " << length);
    REQUIRE(net::internet_checksum(s) == test::reference_checksum(s));
  }
}

TEST_CASE("partial sums over even-length pieces add up to the whole", "[unit][net]") {
  const auto data = from_hex("4500 0044 b92c 4000 4001 0000 0a63 0001 0a63 0002 ff");
  const std::span<const std::byte> s{data};
  const std::uint32_t split = net::checksum_add(s.subspan(6), net::checksum_add(s.first(6)));
  CHECK(net::checksum_fold(split) == net::checksum_fold(net::checksum_add(s)));
  // The odd trailing byte counts as the high byte of a word padded with zero.
  CHECK(net::checksum_add(from_hex("ff")) == 0xff00U);
}

TEST_CASE("RFC 1624 incremental update", "[unit][net]") {
  SECTION("the RFC 1624 §4 example where eqn. 2 would give 0xffff") {
    // Sum of the other octets 0xcd7a; m = 0x5555 → m' = 0x3285. HC = 0xdd2f, HC' = 0x0000.
    CHECK(net::checksum_update16(0xdd2f, 0x5555, 0x3285) == 0x0000);
  }
  SECTION("matches recomputation for random headers and fields") {
    std::mt19937 rng(1624);
    for (int round = 0; round < 2000; ++round) {
      test::bytes header(20);
      for (auto& b : header) {
        b = std::byte(rng() & 0xff);
      }
      test::set16(header, 10, 0);
      const std::uint16_t before = net::internet_checksum(header);
      test::set16(header, 10, before);
      const std::size_t word = 2 * (rng() % 10);
      if (word == 10) {
        continue;  // the checksum field itself
      }
      const std::uint16_t old_value = test::get16(header, word);
      const auto new_value = static_cast<std::uint16_t>(rng());
      test::set16(header, word, new_value);
      test::set16(header, 10, 0);
      const std::uint16_t recomputed = net::internet_checksum(header);
      const std::uint16_t updated = net::checksum_update16(before, old_value, new_value);
      INFO("round " << round);
      // One's complement has two zeros (0x0000, 0xffff); apart from that the update must equal
      // the recomputation, and in every case the updated header must verify.
      test::set16(header, 10, updated);
      REQUIRE(net::checksum_verifies(header));
      if (recomputed != 0xffff && updated != 0xffff) {
        REQUIRE(updated == recomputed);
      }
    }
  }
  SECTION("32-bit update, as for an address rewrite") {
    auto header = from_hex("4500 0044 b92c 4000 4001 6cc4 0a63 0001 0a63 0002");
    const std::uint16_t updated = net::checksum_update32(0x6cc4, 0x0a630001, 0xc0a80101);
    test::set16(header, 12, 0xc0a8);
    test::set16(header, 14, 0x0101);
    test::set16(header, 10, 0);
    CHECK(updated == net::internet_checksum(header));
  }
}
