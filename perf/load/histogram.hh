#pragma once
// A latency histogram with log-linear buckets (the HdrHistogram idea): values below 32 have a
// bucket each; above, each power of two is split into 32 equal buckets, so a bucket spans at
// most 1/32 of its lower bound and a reported percentile is within 3.2% of the true value.
// Fixed size (1920 counters), no allocation after construction, mergeable.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rampart::load {

class histogram {
 public:
  static constexpr unsigned sub_bits = 5;
  static constexpr std::uint64_t sub_count = 1U << sub_bits;  // 32
  static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub_count;

  void record(std::uint64_t value) noexcept;
  void merge(const histogram& other) noexcept;
  void reset() noexcept { *this = histogram{}; }

  std::uint64_t count() const noexcept { return _count; }
  std::uint64_t min() const noexcept { return _count == 0 ? 0 : _min; }
  std::uint64_t max() const noexcept { return _max; }
  double mean() const noexcept;

  // The value at quantile q (0 < q <= 1): the highest value of the bucket holding the
  // ceil(q * count)-th smallest sample, clamped to [min, max]. 0 when empty. q outside (0, 1]
  // is clamped into it.
  std::uint64_t percentile(double q) const noexcept;

  struct bucket {
    std::uint64_t highest = 0;  // highest value the bucket holds
    std::uint64_t count = 0;
  };
  // The non-empty buckets, lowest first.
  std::vector<bucket> nonempty_buckets() const;

  // Bucket arithmetic, public for the tests.
  static std::size_t index_of(std::uint64_t value) noexcept;
  static std::uint64_t highest_in(std::size_t index) noexcept;

 private:
  std::array<std::uint64_t, bucket_count> _buckets{};
  std::uint64_t _count = 0;
  std::uint64_t _min = ~std::uint64_t{0};
  std::uint64_t _max = 0;
  long double _sum = 0;
};

}  // namespace rampart::load
