#pragma once
// Key generators shared by the flow tests.
#include <cstdint>
#include <random>
#include <unordered_set>
#include <vector>

#include "flow/flow_key.hh"

namespace rampart::flow::test {

// A value that encodes its key, so a reader can tell a torn or mismatched pair from a real one.
inline std::uint32_t value_of(const flow_key& k) noexcept {
  std::uint64_t x = (std::uint64_t{k.remote_ip} << 32 | k.ports_word()) ^ (std::uint64_t{k.local_ip} * 0x9e3779b97f4a7c15ULL);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 29;
  return static_cast<std::uint32_t>(x);
}

// n distinct keys towards one local address and port, as a listener sees them.
inline std::vector<flow_key> distinct_keys(std::size_t n, std::uint64_t rng_seed) {
  std::mt19937_64 rng(rng_seed);
  std::unordered_set<std::uint64_t> seen;
  std::vector<flow_key> keys;
  keys.reserve(n);
  while (keys.size() < n) {
    const std::uint64_t r = rng() & 0xffff'ffff'ffffULL;  // 32-bit address, 16-bit port
    if (seen.insert(r).second) {
      keys.push_back(flow_key{static_cast<std::uint32_t>(r >> 16), 0x0a4d0002, static_cast<std::uint16_t>(r), 80});
    }
  }
  return keys;
}

inline constexpr hash_seed fixed_seed{0x0123456789abcdefULL, 0xfedcba9876543210ULL};

}  // namespace rampart::flow::test
