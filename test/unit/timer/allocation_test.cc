// "No allocation after construction": count global operator new calls while a wheel churns.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "allocation_counter.hh"
#include "timer/timer_wheel.hh"

using rampart::flow::test::allocations;
using rampart::timer::timer_node;
using rampart::timer::timer_wheel;

TEST_CASE("arm, re-arm, cancel and advance allocate nothing", "[unit][timer]") {
  const auto before_counter = allocations();
  auto probe = std::make_unique<int>(1);  // the counter works (else the check below is vacuous)
  REQUIRE(allocations() == before_counter + 1);

  constexpr std::uint64_t ms = 1'000'000;
  std::uint64_t now = 5'000'000'000;
  timer_wheel wheel(now);
  std::vector<timer_node> nodes(10000);
  std::mt19937_64 rng(7);
  std::uint64_t fired = 0;
  const std::uint64_t before = allocations();
  for (int i = 0; i < 300000; ++i) {
    timer_node& n = nodes[rng() % nodes.size()];
    if (rng() % 8 == 0) {
      wheel.cancel(n);
    } else {
      wheel.arm(n, now + 200 * ms + rng() % (800 * ms));
    }
    if (i % 32 == 0) {
      now += 500'000;
      fired += wheel.advance(now, [&](timer_node& t) { wheel.arm(t, now + 7200'000 * ms); });
    }
  }
  CHECK(allocations() == before);
  CHECK(fired > 0);
  for (timer_node& n : nodes) {
    wheel.cancel(n);
  }
}
