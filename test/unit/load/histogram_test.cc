#include <catch2/catch.hpp>

#include <cmath>

#include "histogram.hh"

using rampart::load::histogram;

TEST_CASE("histogram buckets: every value lies in its bucket, which is at most 1/32 wide", "[unit][load]") {
  std::uint64_t v = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::size_t index = histogram::index_of(v);
    REQUIRE(index < histogram::bucket_count);
    const std::uint64_t high = histogram::highest_in(index);
    REQUIRE(high >= v);
    const std::uint64_t low = index == 0 ? 0 : histogram::highest_in(index - 1) + 1;
    REQUIRE(low <= v);
    if (v >= 32) {
      REQUIRE(static_cast<double>(high - low + 1) <= static_cast<double>(low) / 32.0 + 1e-9);
    } else {
      REQUIRE(high == v);
    }
    v = v < 1000 ? v + 1 : v + v / 997 + 1;
    if (v > (std::uint64_t{1} << 62)) {
      break;
    }
  }
  CHECK(histogram::index_of(~std::uint64_t{0}) == histogram::bucket_count - 1);
  CHECK(histogram::highest_in(histogram::bucket_count - 1) == ~std::uint64_t{0});
}

TEST_CASE("histogram percentiles are exact below 32 and within 3.2% above", "[unit][load]") {
  histogram small;
  for (std::uint64_t v = 0; v < 32; ++v) {
    small.record(v);
  }
  CHECK(small.percentile(0.5) == 15);  // the 16th of 32 samples
  CHECK(small.percentile(1.0) == 31);
  CHECK(small.percentile(0.0) == 0);

  histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) {
    h.record(v * 1000);  // 1 µs .. 100 ms, in ns
  }
  CHECK(h.count() == 100000);
  CHECK(h.min() == 1000);
  CHECK(h.max() == 100'000'000);
  CHECK(h.mean() == Approx(50'000'500.0));
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const double truth = q * 100000 * 1000;
    const auto p = static_cast<double>(h.percentile(q));
    CHECK(p >= truth);
    CHECK(p <= truth * 1.032);
  }
  CHECK(h.percentile(1.0) == 100'000'000);
}

TEST_CASE("histogram: empty gives zeros; merge equals recording both", "[unit][load]") {
  histogram empty;
  CHECK(empty.percentile(0.99) == 0);
  CHECK(empty.min() == 0);
  CHECK(empty.mean() == 0.0);
  CHECK(empty.nonempty_buckets().empty());

  histogram a, b, both;
  for (std::uint64_t v = 0; v < 5000; v += 7) {
    a.record(v);
    both.record(v);
  }
  for (std::uint64_t v = 100000; v < 900000; v += 1013) {
    b.record(v);
    both.record(v);
  }
  a.merge(b);
  CHECK(a.count() == both.count());
  CHECK(a.min() == both.min());
  CHECK(a.max() == both.max());
  for (const double q : {0.1, 0.5, 0.99, 0.999}) {
    CHECK(a.percentile(q) == both.percentile(q));
  }
  const auto buckets = a.nonempty_buckets();
  std::uint64_t total = 0;
  for (const auto& bucket : buckets) {
    total += bucket.count;
  }
  CHECK(total == a.count());
}
