#include "net/icmpv6.hh"

#include <algorithm>
#include <cstring>

#include "echo_message.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"

namespace rampart::net {

parse_result<icmpv6_view> icmpv6_view::parse(const ipv6_address& source, const ipv6_address& destination,
                                             std::span<const std::byte> message) noexcept {
  if (message.size() < icmpv6_header_length) {
    return stats::drop_reason::icmpv6_truncated;
  }
  if (!ipv6_l4_checksum_verifies(source, destination, ipv6_next_header::icmpv6, message)) {
    return stats::drop_reason::icmpv6_bad_checksum;
  }
  return icmpv6_view{message};
}

std::uint16_t icmpv6_view::checksum() const noexcept { return load_be16(_message.data() + 2); }
std::uint16_t icmpv6_view::identifier() const noexcept { return load_be16(_message.data() + 4); }
std::uint16_t icmpv6_view::sequence() const noexcept { return load_be16(_message.data() + 6); }
std::uint32_t icmpv6_view::parameter() const noexcept { return load_be32(_message.data() + 4); }

std::size_t write_icmpv6_echo(std::span<std::byte> out, const ipv6_address& source,
                              const ipv6_address& destination, std::uint8_t type,
                              std::uint16_t identifier, std::uint16_t sequence,
                              std::span<const std::byte> data) noexcept {
  const auto length = static_cast<std::uint32_t>(icmpv6_header_length + data.size());
  return write_echo_message(out, type, identifier, sequence, data,
                            ipv6_pseudo_header_sum(source, destination, ipv6_next_header::icmpv6, length));
}

bool icmpv6_error_allowed(std::uint8_t error_type, std::uint8_t error_code, const ipv6_header& offending,
                          bool link_layer_multicast, std::optional<std::uint8_t> offending_icmpv6_type) noexcept {
  if (offending_icmpv6_type &&
      (is_icmpv6_error(*offending_icmpv6_type) || *offending_icmpv6_type == icmpv6_type::redirect)) {
    return false;  // (e.1), (e.2)
  }
  const bool multicast_allowed =
      error_type == icmpv6_type::packet_too_big ||
      (error_type == icmpv6_type::parameter_problem && error_code == icmpv6_code_unrecognized_option);
  if ((offending.destination.is_multicast() || link_layer_multicast) && !multicast_allowed) {
    return false;  // (e.3) - (e.5)
  }
  return !offending.source.is_unspecified() && !offending.source.is_multicast();  // (e.6)
}

std::size_t write_icmpv6_error(std::span<std::byte> out, const ipv6_address& source, std::uint8_t type,
                               std::uint8_t code, std::uint32_t parameter,
                               const ipv6_view& offending) noexcept {
  constexpr std::size_t headers = ipv6_header_length + icmpv6_header_length;
  if (out.size() < headers + ipv6_header_length) {
    return 0;
  }
  // Read before anything is written: the offending packet may lie in out.
  const ipv6_address destination = offending.source();
  const std::size_t quoted =
      std::min({offending.packet().size(), ipv6_minimum_mtu - headers, out.size() - headers});
  std::byte* p = out.data();
  std::memmove(p + headers, offending.packet().data(), quoted);
  const auto message_length = static_cast<std::uint16_t>(icmpv6_header_length + quoted);
  ipv6_header ip;
  ip.payload_length = message_length;
  ip.next_header = ipv6_next_header::icmpv6;
  ip.source = source;
  ip.destination = destination;
  write_ipv6_header(out, ip);
  std::byte* icmp = p + ipv6_header_length;
  icmp[0] = std::byte{type};
  icmp[1] = std::byte{code};
  store_be16(icmp + 2, 0);
  store_be32(icmp + 4, parameter);
  store_be16(icmp + 2, ipv6_l4_checksum(source, destination, ipv6_next_header::icmpv6,
                                        out.subspan(ipv6_header_length, message_length)));
  return ipv6_header_length + message_length;
}

parse_result<icmpv6_quoted_tcp> parse_icmpv6_quoted_tcp(const icmpv6_view& icmp) noexcept {
  using stats::drop_reason;
  const std::span<const std::byte> quote = icmp.data();
  if (quote.size() < ipv6_header_length + 8) {
    return drop_reason::icmpv6_error_truncated;  // RFC 4443 §2.4 (c) lets it quote up to 1280 bytes
  }
  if ((std::to_integer<std::uint8_t>(quote[0]) >> 4) != 6) {
    return drop_reason::icmpv6_error_bad_quote;
  }
  if (std::to_integer<std::uint8_t>(quote[6]) != ipv6_next_header::tcp) {
    return drop_reason::icmpv6_error_not_tcp;
  }
  icmpv6_quoted_tcp q;
  q.type = icmp.type();
  q.code = icmp.code();
  if (q.type == icmpv6_type::packet_too_big) {
    q.mtu = icmp.parameter();
  }
  q.source = load_ipv6_address(quote.data() + 8);
  q.destination = load_ipv6_address(quote.data() + 24);
  const std::byte* tcp = quote.data() + ipv6_header_length;
  q.source_port = load_be16(tcp);
  q.destination_port = load_be16(tcp + 2);
  q.sequence = seq32{load_be32(tcp + 4)};
  return q;
}

}  // namespace rampart::net
