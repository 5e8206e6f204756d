#include <catch2/catch.hpp>

#include "net/seq32.hh"

using rampart::net::seq32;

TEST_CASE("seq32 compares modulo 2^32 (RFC 9293 §3.4)", "[unit][net]") {
  CHECK(seq32{1} < seq32{2});
  CHECK(seq32{2} > seq32{1});
  CHECK_FALSE(seq32{2} < seq32{1});
  // Across the wrap: 0xffffff00 is before 0x10 although it is numerically larger.
  CHECK(seq32{0xffffff00U} < seq32{0x10});
  CHECK(seq32{0x10} > seq32{0xffffff00U});
  CHECK(seq32{0xffffffffU} + 1 == seq32{0});
  CHECK(seq32{0} - 1 == seq32{0xffffffffU});
  CHECK(seq32{5} - seq32{0xfffffffbU} == 10);
  CHECK(seq32{0xfffffffbU} - seq32{5} == -10);
  CHECK(seq32{7} <= seq32{7});
  CHECK(seq32{7} >= seq32{7});
  CHECK_FALSE(seq32{7} < seq32{7});
  seq32 s{0xfffffffeU};
  s += 3;
  CHECK(s.raw() == 1);
}

TEST_CASE("seq32 window tests across the wrap", "[unit][net]") {
  const seq32 low{0xfffffff0U};
  const seq32 high = low + 0x20;  // 0x10
  CHECK(seq32{0xfffffff0U}.in_half_open(low, high));
  CHECK(seq32{0}.in_half_open(low, high));
  CHECK(seq32{0xf}.in_half_open(low, high));
  CHECK_FALSE(seq32{0x10}.in_half_open(low, high));
  CHECK(seq32{0x10}.in_closed(low, high));
  CHECK_FALSE(seq32{0xffffffefU}.in_half_open(low, high));
  CHECK_FALSE(seq32{0x11}.in_closed(low, high));
}
