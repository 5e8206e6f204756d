#include "net/ipv6.hh"

#include <optional>

namespace rampart::net {

namespace {

using stats::drop_reason;

// The options of a Hop-by-Hop or Destination Options header (RFC 8200 §4.2): type, length,
// data; Pad1 alone is one zero byte. The two high bits of a type say what a node that does not
// know it must do: 00 skip it, anything else discard the packet. rampart knows no option that
// changes what it does with a packet (Pad1, PadN and Router Alert are all 00), so every option
// whose high bits are set is one to discard.
std::optional<drop_reason> check_options(std::span<const std::byte> options) noexcept {
  constexpr std::uint8_t pad1 = 0;
  std::size_t i = 0;
  while (i < options.size()) {
    const auto type = std::to_integer<std::uint8_t>(options[i]);
    if (type == pad1) {
      ++i;
      continue;
    }
    if (options.size() - i < 2 ||
        std::to_integer<std::size_t>(options[i + 1]) > options.size() - i - 2) {
      return drop_reason::ipv6_extension_header_truncated;
    }
    if ((type >> 6) != 0) {
      return drop_reason::ipv6_unrecognized_option;
    }
    i += 2 + std::to_integer<std::size_t>(options[i + 1]);
  }
  return std::nullopt;
}

// Every extension header starts with its Next Header byte; all but the fragment header give
// their length in 8-byte units, not counting the first 8 (RFC 8200 §4.3-4.6).
constexpr std::size_t fragment_header_length = 8;
constexpr std::size_t extension_header_min_length = 8;

}  // namespace

parse_result<ipv6_upper_layer> find_upper_layer(const ipv6_view& packet) noexcept {
  const std::span<const std::byte> payload = packet.payload();
  std::uint8_t next_header = packet.header().next_header;
  std::size_t position = 0;
  bool atomic_fragment = false;
  for (std::size_t count = 0;; ++count) {
    switch (next_header) {
      case ipv6_next_header::tcp:
      case ipv6_next_header::icmpv6: {
        ipv6_upper_layer upper;
        upper.protocol = next_header;
        upper.offset = static_cast<std::uint16_t>(ipv6_header_length + position);
        upper.message = payload.subspan(position);
        upper.atomic_fragment = atomic_fragment;
        return upper;
      }
      case ipv6_next_header::no_next_header:
        return drop_reason::ipv6_no_next_header;
      case ipv6_next_header::hop_by_hop:
      case ipv6_next_header::destination_options:
      case ipv6_next_header::routing:
      case ipv6_next_header::fragment:
        break;
      default:
        return drop_reason::ipv6_unsupported_next_header;
    }
    if (count == ipv6_max_extension_headers) {
      return drop_reason::ipv6_extension_chain_too_long;
    }
    if (next_header == ipv6_next_header::hop_by_hop && count != 0) {
      return drop_reason::ipv6_hop_by_hop_not_first;
    }
    const std::span<const std::byte> rest = payload.subspan(position);
    if (rest.size() < extension_header_min_length) {
      return drop_reason::ipv6_extension_header_truncated;
    }
    const std::size_t length = next_header == ipv6_next_header::fragment
                                   ? fragment_header_length
                                   : (std::to_integer<std::size_t>(rest[1]) + 1) * 8;
    if (length > rest.size()) {
      return drop_reason::ipv6_extension_header_truncated;
    }
    if (position + length > ipv6_max_extension_bytes) {
      return drop_reason::ipv6_extension_chain_too_long;
    }
    switch (next_header) {
      case ipv6_next_header::routing: {
        // Type, then Segments Left (§4.4). With none left the header is ignored; with some,
        // this node would have to forward the packet, which it never does.
        const auto type = std::to_integer<std::uint8_t>(rest[2]);
        if (std::to_integer<std::uint8_t>(rest[3]) != 0) {
          return type == 0 ? drop_reason::ipv6_routing_type0 : drop_reason::ipv6_routing_segments_left;
        }
        break;
      }
      case ipv6_next_header::fragment: {
        // Fragment offset (13 bits), 2 reserved bits, M (§4.5).
        if ((load_be16(rest.data() + 2) & 0xfff9U) != 0) {
          return drop_reason::ipv6_fragment;
        }
        atomic_fragment = true;
        break;
      }
      default:
        if (const auto refused = check_options(rest.subspan(2, length - 2))) {
          return *refused;
        }
        break;
    }
    next_header = std::to_integer<std::uint8_t>(rest[0]);
    position += length;
  }
}

std::size_t write_ipv6_header(std::span<std::byte> out, const ipv6_header& header) noexcept {
  if (out.size() < ipv6_header_length) {
    return 0;
  }
  std::byte* p = out.data();
  store_be32(p, (std::uint32_t{6} << 28) | (std::uint32_t{header.traffic_class} << 20) |
                    (header.flow_label & 0xfffffU));
  store_be16(p + 4, header.payload_length);
  p[6] = std::byte{header.next_header};
  p[7] = std::byte{header.hop_limit};
  store_ipv6_address(p + 8, header.source);
  store_ipv6_address(p + 24, header.destination);
  return ipv6_header_length;
}

}  // namespace rampart::net
