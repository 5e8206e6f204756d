#include "net/icmp.hh"

#include <cstring>

#include "echo_message.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ipv4.hh"

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

parse_result<icmp_quoted_tcp> parse_icmp_quoted_tcp(const icmp_view& icmp) noexcept {
  using stats::drop_reason;
  const std::span<const std::byte> quote = icmp.data();
  if (quote.size() < ipv4_min_header_length) {
    return drop_reason::icmp_error_truncated;
  }
  const auto version_ihl = std::to_integer<std::uint8_t>(quote[0]);
  const std::size_t ihl = std::size_t{version_ihl & 0x0fU} * 4;
  if ((version_ihl >> 4) != 4 || ihl < ipv4_min_header_length) {
    return drop_reason::icmp_error_bad_quote;
  }
  if (quote.size() < ihl + 8) {
    return drop_reason::icmp_error_truncated;  // RFC 792: the header and 64 bits of data
  }
  if ((load_be16(quote.data() + 6) & 0x1fffU) != 0) {
    return drop_reason::icmp_error_bad_quote;  // a later fragment quotes no TCP header
  }
  if (std::to_integer<std::uint8_t>(quote[9]) != ip_protocol::tcp) {
    return drop_reason::icmp_error_not_tcp;
  }
  icmp_quoted_tcp q;
  q.type = icmp.type();
  q.code = icmp.code();
  if (q.type == icmp_type::destination_unreachable && q.code == icmp_code_fragmentation_needed) {
    q.next_hop_mtu = load_be16(icmp.message().data() + 6);
  }
  q.source = ipv4_address{load_be32(quote.data() + 12)};
  q.destination = ipv4_address{load_be32(quote.data() + 16)};
  const std::byte* tcp = quote.data() + ihl;
  q.source_port = load_be16(tcp);
  q.destination_port = load_be16(tcp + 2);
  q.sequence = seq32{load_be32(tcp + 4)};
  return q;
}

std::size_t write_echo_message(std::span<std::byte> out, std::uint8_t type, std::uint16_t identifier,
                               std::uint16_t sequence, std::span<const std::byte> data,
                               std::uint32_t pseudo_header_sum) noexcept {
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
  store_be16(p + 2, checksum_finish(checksum_add(out.first(length), pseudo_header_sum)));
  return length;
}

std::size_t write_icmp_echo(std::span<std::byte> out, std::uint8_t type, std::uint16_t identifier,
                            std::uint16_t sequence, std::span<const std::byte> data) noexcept {
  return write_echo_message(out, type, identifier, sequence, data, 0);
}

}  // namespace rampart::net
