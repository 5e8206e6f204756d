#include "net/icmp.hh"

#include <cstring>

#include "net/byte_order.hh"
#include "net/checksum.hh"

namespace rampart::net {

parse_result<icmp_view> icmp_view::parse(std::span<const std::byte> message) noexcept {
  if (message.size() < icmp_header_length) {
    return stats::drop_reason::icmp_truncated;
  }
  if (!checksum_verifies(message)) {
    return stats::drop_reason::icmp_bad_checksum;
  }
  return icmp_view{message};
}

std::uint16_t icmp_view::checksum() const noexcept { return load_be16(_message.data() + 2); }
std::uint16_t icmp_view::identifier() const noexcept { return load_be16(_message.data() + 4); }
std::uint16_t icmp_view::sequence() const noexcept { return load_be16(_message.data() + 6); }

std::size_t write_icmp_echo(std::span<std::byte> out, std::uint8_t type, std::uint16_t identifier,
                            std::uint16_t sequence, std::span<const std::byte> data) noexcept {
  const std::size_t length = icmp_header_length + data.size();
  if (out.size() < length) {
    return 0;
  }
  std::byte* p = out.data();
  if (!data.empty()) {
    std::memmove(p + icmp_header_length, data.data(), data.size());
  }
  p[0] = std::byte{type};
  p[1] = std::byte{0};
  store_be16(p + 2, 0);
  store_be16(p + 4, identifier);
  store_be16(p + 6, sequence);
  store_be16(p + 2, internet_checksum(out.first(length)));
  return length;
}

}  // namespace rampart::net
