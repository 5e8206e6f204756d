#include <catch2/catch.hpp>

#include <random>

#include "pacer.hh"

using rampart::load::rate_pacer;

namespace {

// Drives the pacer from a simulated clock with random gaps between loop turns and sends what
// is due (at most `burst` a turn); returns the packets sent in each simulated second.
std::vector<std::uint64_t> run(rate_pacer& p, std::uint64_t hz, std::uint64_t seconds, std::uint64_t max_gap,
                               std::uint64_t burst) {
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> per_second(seconds, 0);
  std::uint64_t now = 0;
  while (now < seconds * hz) {
    const std::uint64_t n = std::min(p.due(now), burst);
    p.sent(n);
    per_second[now / hz] += n;
    now += 1 + rng() % max_gap;
  }
  return per_second;
}

}  // namespace

TEST_CASE("pacer: every second within 1% of the rate when the loop keeps up", "[unit][load]") {
  for (const std::uint64_t rate : {1000ULL, 33333ULL, 1'000'000ULL}) {
    const std::uint64_t hz = 2'100'000'000;
    rate_pacer p(rate, hz, 0, std::max<std::uint64_t>(32, rate / 100));
    // Turns up to 20 µs apart, bursts of 32: enough for 1.6 Mpps.
    const auto per_second = run(p, hz, 5, 42'000, 32);
    for (const std::uint64_t n : per_second) {
      CHECK(std::fabs(static_cast<double>(n) - static_cast<double>(rate)) <= static_cast<double>(rate) * 0.01);
    }
    CHECK(p.forfeited() == 0);
  }
}

TEST_CASE("pacer: an unreachable rate forfeits the surplus instead of bursting", "[unit][load]") {
  const std::uint64_t hz = 1'000'000'000;
  rate_pacer p(10'000'000, hz, 0, 1000);  // 10 Mpps, but 32 per turn, turns 10 µs apart on average: 3.2 Mpps
  const auto per_second = run(p, hz, 2, 20'000, 32);
  CHECK(per_second[1] < 4'000'000);
  CHECK(p.forfeited() > 10'000'000);
  CHECK(p.due(2 * hz) <= 1000);  // never more than the backlog at once
}

TEST_CASE("pacer: the count follows floor(elapsed x rate), no drift", "[unit][load]") {
  rate_pacer p(3, 1000, 500, 100);  // 3/s, clock of 1000 ticks/s starting at 500
  CHECK(p.due(400) == 0);
  CHECK(p.due(500) == 0);
  CHECK(p.due(833) == 0);
  CHECK(p.due(834) == 1);
  p.sent(1);
  CHECK(p.due(834) == 0);
  CHECK(p.due(1500) == 2);  // 3 due by one second after start
  p.sent(2);
  CHECK(p.target_at(1'000'500) == 3000);
}
