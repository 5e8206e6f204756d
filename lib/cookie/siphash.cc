#include "cookie/siphash.hh"

namespace rampart::cookie {

using detail::load_le64;

siphash_key siphash_key::from_bytes(std::span<const std::byte, 16> bytes) noexcept {
  return {load_le64(bytes.data()), load_le64(bytes.data() + 8)};
}

std::uint64_t siphash24(const siphash_key& key, std::span<const std::byte> message) noexcept {
  detail::sip_state s(key);
  const std::size_t full = message.size() & ~std::size_t{7};
  for (std::size_t i = 0; i < full; i += 8) {
    s.compress(load_le64(message.data() + i));
  }
  // Last block: the 0..7 remaining bytes little-endian, the length mod 256 in the top byte.
  std::uint64_t last = static_cast<std::uint64_t>(message.size() & 0xff) << 56;
  for (std::size_t i = 0; i < message.size() - full; ++i) {
    last |= static_cast<std::uint64_t>(message[full + i]) << (8 * i);
  }
  s.compress(last);
  return s.finish();
}

}  // namespace rampart::cookie
