#pragma once
// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): a 64-bit PRF
// under a 128-bit key, built for exactly this job -- authenticating short inputs such as a
// 4-tuple -- and what Linux uses for its SYN cookies. Two compression rounds per 8-byte block,
// four finalisation rounds.
//
// Two entries:
//   siphash24(key, bytes)          any length; the reference definition, checked against the
//                                  paper's 64 vectors.
//   siphash24_words(key, w0..)     a message of exactly N little-endian 64-bit words, unrolled
//                                  at compile time. Equal by construction (and by test) to
//                                  siphash24 over the words' little-endian bytes; the SYN
//                                  cookie hot path uses the 3-word form. perf/bench/cookie
//                                  measures the gain (docs/syncookies.md has the figures).
//
// Key material has no operator<< and no to_string on purpose: secrets never reach a log.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace rampart::cookie {

// The 128-bit key as the paper's k0 (key bytes 0..7, little-endian) and k1 (bytes 8..15).
struct siphash_key {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;

  // Loads the paper's byte-order key: k0 = LE(bytes[0..7]), k1 = LE(bytes[8..15]).
  static siphash_key from_bytes(std::span<const std::byte, 16> bytes) noexcept;

  // Constant-time in the sense that matters here (no early exit on the first differing word).
  friend bool operator==(const siphash_key& a, const siphash_key& b) noexcept {
    return ((a.k0 ^ b.k0) | (a.k1 ^ b.k1)) == 0;
  }
};

// SipHash-2-4 of `message` under `key`. Never fails.
std::uint64_t siphash24(const siphash_key& key, std::span<const std::byte> message) noexcept;

namespace detail {

// The paper defines the message words as little-endian; load them explicitly so the result does
// not depend on the host's byte order. `p` points at 8 readable bytes.
inline std::uint64_t load_le64(const void* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    v = __builtin_bswap64(v);
  }
  return v;
}

struct sip_state {
  std::uint64_t v0, v1, v2, v3;

  explicit constexpr sip_state(const siphash_key& key) noexcept
      : v0(key.k0 ^ 0x736f6d6570736575ULL),  // "somepseu"
        v1(key.k1 ^ 0x646f72616e646f6dULL),  // "dorandom"
        v2(key.k0 ^ 0x6c7967656e657261ULL),  // "lygenera"
        v3(key.k1 ^ 0x7465646279746573ULL) {}  // "tedbytes"

  constexpr void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  // c = 2 compression rounds per block.
  constexpr void compress(std::uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }

  // d = 4 finalisation rounds.
  constexpr std::uint64_t finish() noexcept {
    v2 ^= 0xff;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

}  // namespace detail

// SipHash-2-4 of a message of exactly sizeof...(words) * 8 bytes, given as little-endian words.
// Because the length is a multiple of 8, the paper's last block carries only the length byte:
// b = (len mod 256) << 56. Header-inline so the call folds into the cookie code.
template <typename... Words>
constexpr std::uint64_t siphash24_words(const siphash_key& key, Words... words) noexcept {
  static_assert(sizeof...(Words) < 32, "length byte is len mod 256; keep to short messages");
  detail::sip_state s(key);
  (s.compress(static_cast<std::uint64_t>(words)), ...);
  s.compress(static_cast<std::uint64_t>(sizeof...(Words) * 8) << 56);
  return s.finish();
}

}  // namespace rampart::cookie
