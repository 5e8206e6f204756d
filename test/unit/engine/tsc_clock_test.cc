#include <catch2/catch.hpp>

#include <cstdint>

#include "engine/tsc_clock.hh"

using rampart::engine::tsc_clock;

TEST_CASE("the TSC clock maps ticks to epoch nanoseconds", "[unit][engine]") {
  const std::uint64_t base_ns = 1'700'000'000'000'000'000ULL;  // Nov 2023
  const std::uint64_t base_tsc = 5'000'000'000ULL;
  const tsc_clock clock(base_tsc, base_ns, 2'600'000'000ULL);
  CHECK(clock.now_ns(base_tsc) == base_ns);
  // One second of ticks is 10^9 ns, to within the 32.32 fixed-point rounding (< 1 ns here).
  const std::uint64_t one_s = clock.now_ns(base_tsc + 2'600'000'000ULL) - base_ns;
  CHECK(one_s >= 999'999'999);
  CHECK(one_s <= 1'000'000'000);
  // 26 ticks at 2.6 GHz are 10 ns.
  const std::uint64_t ten_ns = clock.now_ns(base_tsc + 26) - base_ns;
  CHECK(ten_ns >= 9);
  CHECK(ten_ns <= 10);
}

TEST_CASE("long uptimes neither overflow nor drift beyond the documented bound", "[unit][engine]") {
  const std::uint64_t hz = 3'000'000'000ULL;
  const tsc_clock clock(0, 0, hz);
  // One hour: error below a microsecond.
  const std::uint64_t hour_ns = 3600ULL * 1'000'000'000ULL;
  const std::int64_t hour_err = static_cast<std::int64_t>(clock.now_ns(3600ULL * hz)) - static_cast<std::int64_t>(hour_ns);
  CHECK(hour_err <= 0);
  CHECK(hour_err > -1000);
  // Ten years: (delta * 10^9) alone would overflow 64 bits after ~6 s at 3 GHz; the 128-bit
  // product keeps the result within 2^-32 ns per tick (well under a second).
  const std::uint64_t years_ticks = 10ULL * 365 * 86400 * hz;
  const std::uint64_t years_ns = 10ULL * 365 * 86400 * 1'000'000'000ULL;
  const std::uint64_t got = clock.now_ns(years_ticks);
  CHECK(got <= years_ns);
  CHECK(years_ns - got < 1'000'000'000ULL);
  CHECK(got > years_ns / 2);  // would fail on a wrapped 64-bit product
}

TEST_CASE("a TSC read behind the base (another core) clamps to the base", "[unit][engine]") {
  const tsc_clock clock(1000, 42, 1'000'000'000ULL);
  CHECK(clock.now_ns(999) == 42);
  CHECK(clock.now_ns(0) == 42);
  CHECK(clock.now_ns(1001) == 43);
}

TEST_CASE("non-power-of-two frequencies are exact to the nanosecond over a second", "[unit][engine]") {
  for (const std::uint64_t hz : {1'000'000'000ULL, 1'999'999'999ULL, 2'100'000'123ULL, 4'000'000'000ULL}) {
    const tsc_clock clock(0, 0, hz);
    const std::uint64_t ns = clock.now_ns(hz);
    CHECK(ns >= 999'999'999);
    CHECK(ns <= 1'000'000'000);
  }
}
