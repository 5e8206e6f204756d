#include "flow/rss_steering.hh"

#include <stdexcept>
#include <string>

namespace rampart::flow {

namespace {

// The 32 key bits starting at key bit `bit` (bit 0: the most significant bit of key[0]).
std::uint32_t key_window(std::span<const std::uint8_t> key, unsigned bit) {
  std::uint64_t bits = 0;
  for (unsigned i = 0; i < 5; ++i) {
    const std::size_t byte = bit / 8 + i;
    bits = (bits << 8) | (byte < key.size() ? key[byte] : 0);
  }
  return static_cast<std::uint32_t>(bits >> (8 - bit % 8));
}

}  // namespace

rss_steering::rss_steering(std::span<const std::uint8_t> key, std::span<const std::uint16_t> reta,
                           std::uint16_t queue, bool hash_in_mbuf)
    : _reta(reta.begin(), reta.end()), _queue(queue), _hash_in_mbuf(hash_in_mbuf) {
  if (key.size() < min_key_bytes) {
    throw std::invalid_argument("RSS key of " + std::to_string(key.size()) + " bytes: the IPv4/TCP hash needs " +
                                std::to_string(min_key_bytes));
  }
  if (reta.empty() || (reta.size() & (reta.size() - 1)) != 0) {
    throw std::invalid_argument("RSS redirection table of " + std::to_string(reta.size()) +
                                " entries: expected a power of two");
  }
  for (unsigned byte = 0; byte < _byte_hash.size(); ++byte) {
    for (unsigned value = 0; value < 256; ++value) {
      std::uint32_t hash = 0;
      for (unsigned bit = 0; bit < 8; ++bit) {
        if ((value & (0x80U >> bit)) != 0) {
          hash ^= key_window(key, byte * 8 + bit);
        }
      }
      _byte_hash[byte][value] = hash;
    }
  }
}

std::vector<std::uint32_t> rss_steering::entries_here() const {
  std::vector<std::uint32_t> entries;
  for (std::uint32_t e = 0; e < reta_size(); ++e) {
    if (queue_of(e) == _queue) {
      entries.push_back(e);
    }
  }
  return entries;
}

}  // namespace rampart::flow
