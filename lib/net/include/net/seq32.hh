#pragma once
// TCP sequence numbers: 32-bit values that wrap (RFC 9293 §3.4). Comparisons are modular: a is
// "less than" b when (int32)(a - b) < 0, which is meaningful only while the two lie within 2^31
// of each other — true for any pair inside one connection's windows. There is deliberately no
// operator<=>: the order is not transitive over the whole circle, so sorting seq32 is a bug.
#include <cstdint>

namespace rampart::net {

class seq32 {
 public:
  constexpr seq32() noexcept = default;
  constexpr explicit seq32(std::uint32_t raw) noexcept : _raw(raw) {}

  constexpr std::uint32_t raw() const noexcept { return _raw; }

  // Advancing wraps modulo 2^32 (unsigned arithmetic: defined behaviour).
  constexpr seq32 operator+(std::uint32_t n) const noexcept { return seq32{_raw + n}; }
  constexpr seq32 operator-(std::uint32_t n) const noexcept { return seq32{_raw - n}; }
  constexpr seq32& operator+=(std::uint32_t n) noexcept {
    _raw += n;
    return *this;
  }
  // Signed distance from b to a: positive when a is after b.
  constexpr std::int32_t operator-(seq32 b) const noexcept {
    return static_cast<std::int32_t>(_raw - b._raw);
  }

  constexpr bool operator==(const seq32&) const noexcept = default;
  friend constexpr bool operator<(seq32 a, seq32 b) noexcept { return (a - b) < 0; }
  friend constexpr bool operator>(seq32 a, seq32 b) noexcept { return (a - b) > 0; }
  friend constexpr bool operator<=(seq32 a, seq32 b) noexcept { return (a - b) <= 0; }
  friend constexpr bool operator>=(seq32 a, seq32 b) noexcept { return (a - b) >= 0; }

  // RFC 9293 §3.4 acceptability tests are written as "low <= x < high" (or "<= high"); these
  // spell them without repeating the modular trick at every call site.
  constexpr bool in_half_open(seq32 low, seq32 high) const noexcept {
    return (*this - low) >= 0 && (high - *this) > 0;
  }
  constexpr bool in_closed(seq32 low, seq32 high) const noexcept {
    return (*this - low) >= 0 && (high - *this) >= 0;
  }

 private:
  std::uint32_t _raw = 0;
};

}  // namespace rampart::net
