#pragma once
// What the libFuzzer targets of lcore_tcp share: the invariant check (a violation prints where and
// why, then aborts, so libFuzzer keeps the input) and the clock and cookie keys of the tcp unit
// tests (test/unit/tcp/fixture.hh), so an input replayed there behaves alike.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "cookie/key_schedule.hh"

namespace rampart::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "\nfuzz invariant violated at %s:%d: %s\n", file, line, what);
  std::abort();
}

// The first nanosecond of a cookie tick.
inline constexpr std::uint64_t t0_ns = 1'700'000'000'000'000'000ULL;

// Keys derived from the unit tests' fixed master secret, 64 s rotation.
inline cookie::key_schedule& test_key_schedule() {
  static cookie::key_schedule s = [] {
    std::array<std::byte, 32> master{};
    for (std::size_t i = 0; i < master.size(); ++i) {
      master[i] = static_cast<std::byte>(i * 7 + 1);
    }
    return cookie::key_schedule::derived(master, 64);
  }();
  return s;
}

}  // namespace rampart::fuzz

#define FUZZ_CHECK(condition, what)                    \
  do {                                                 \
    if (!(condition)) {                                \
      ::rampart::fuzz::fail(__FILE__, __LINE__, what); \
    }                                                  \
  } while (false)
