#include <catch2/catch.hpp>

#include "stats/cost.hh"

using rampart::stats::cost_of;

TEST_CASE("cost_of: cycles per packet and busy fraction", "[unit][stats]") {
  // 2 workers over 1,000,000 cycles each; together busy 500,000 cycles for 2,000 packets.
  const auto c = cost_of(500'000, 2'000, 1'000'000, 2);
  CHECK(c.cycles_per_packet == Approx(250.0));
  CHECK(c.busy_fraction == Approx(0.25));
}

TEST_CASE("cost_of: no packets, no time, no workers give zeros, not NaN", "[unit][stats]") {
  CHECK(cost_of(0, 0, 1'000, 1).cycles_per_packet == 0.0);
  CHECK(cost_of(100, 10, 0, 1).busy_fraction == 0.0);
  CHECK(cost_of(100, 10, 1'000, 0).busy_fraction == 0.0);
  CHECK(cost_of(100, 10, 0, 1).cycles_per_packet == Approx(10.0));
}

TEST_CASE("cost_of: a turn straddling the interval is clamped to fully busy", "[unit][stats]") {
  CHECK(cost_of(1'100, 10, 1'000, 1).busy_fraction == 1.0);
}
