#include "histogram.hh"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rampart::load {

std::size_t histogram::index_of(std::uint64_t value) noexcept {
  if (value < sub_count) {
    return static_cast<std::size_t>(value);
  }
  const unsigned top = 63U - static_cast<unsigned>(std::countl_zero(value));  // >= sub_bits
  const unsigned shift = top - sub_bits;
  const std::uint64_t mantissa = value >> shift;  // in [32, 64)
  return static_cast<std::size_t>((shift + 1) * sub_count + (mantissa - sub_count));
}

std::uint64_t histogram::highest_in(std::size_t index) noexcept {
  if (index < sub_count) {
    return index;
  }
  const std::uint64_t shift = index / sub_count - 1;
  const std::uint64_t mantissa = index % sub_count + sub_count;
  // ((mantissa + 1) << shift) - 1 overflows only for the very last bucket; it ends at 2^64 - 1.
  if (mantissa + 1 == 2 * sub_count && shift + sub_bits + 1 == 64) {
    return ~std::uint64_t{0};
  }
  return ((mantissa + 1) << shift) - 1;
}

void histogram::record(std::uint64_t value) noexcept {
  ++_buckets[index_of(value)];
  ++_count;
  _min = std::min(_min, value);
  _max = std::max(_max, value);
  _sum += static_cast<long double>(value);
}

void histogram::merge(const histogram& other) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) {
    _buckets[i] += other._buckets[i];
  }
  _count += other._count;
  _min = std::min(_min, other._min);
  _max = std::max(_max, other._max);
  _sum += other._sum;
}

double histogram::mean() const noexcept {
  return _count == 0 ? 0.0 : static_cast<double>(_sum / static_cast<long double>(_count));
}

std::uint64_t histogram::percentile(double q) const noexcept {
  if (_count == 0) {
    return 0;
  }
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the sample wanted, 1-based; at least the first sample.
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(_count))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += _buckets[i];
    if (seen >= rank) {
      return std::clamp(highest_in(i), min(), _max);
    }
  }
  return _max;
}

std::vector<histogram::bucket> histogram::nonempty_buckets() const {
  std::vector<bucket> out;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    if (_buckets[i] != 0) {
      out.push_back({highest_in(i), _buckets[i]});
    }
  }
  return out;
}

}  // namespace rampart::load
