#pragma once
// RSS keys and redirection tables shared by the steering and local port tests.
#include <cstdint>
#include <random>
#include <vector>

namespace rampart::flow::test {

// The key of Microsoft's RSS specification, which its verification vectors use and which ixgbe,
// e1000/igb and others program by default.
inline const std::vector<std::uint8_t>& default_rss_key() {
  static const std::vector<std::uint8_t> key = {
      0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
      0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
      0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  return key;
}

inline std::vector<std::uint8_t> random_key(std::size_t bytes, std::mt19937_64& rng) {
  std::vector<std::uint8_t> key(bytes);
  for (auto& b : key) {
    b = static_cast<std::uint8_t>(rng());
  }
  return key;
}

// What drivers program by default: entry i to queue i % queues.
inline std::vector<std::uint16_t> round_robin_reta(std::size_t size, std::uint16_t queues) {
  std::vector<std::uint16_t> reta(size);
  for (std::size_t i = 0; i < size; ++i) {
    reta[i] = static_cast<std::uint16_t>(i % queues);
  }
  return reta;
}

}  // namespace rampart::flow::test
