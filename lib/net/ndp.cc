#include "net/ndp.hh"

#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"

namespace rampart::net {

namespace {

using stats::drop_reason;

// NA flags, the first bits of the word after the checksum (§4.4).
constexpr std::uint32_t na_flag_router = 0x80000000U;
constexpr std::uint32_t na_flag_solicited = 0x40000000U;
constexpr std::uint32_t na_flag_override = 0x20000000U;

// The fields NS and NA share, checked as §7.1.1 and §7.1.2 both ask (the checksum was checked
// by icmpv6_view), and the link-layer address option of link_layer_type if there is one.
struct ndp_common {
  ipv6_address target;
  std::uint32_t flags = 0;
  std::optional<mac_address> link_layer;
};

parse_result<ndp_common> parse_common(const ipv6_header& ip, const icmpv6_view& icmp,
                                      std::uint8_t link_layer_type) noexcept {
  if (ip.hop_limit != ndp_hop_limit) {
    return drop_reason::ndp_bad_hop_limit;
  }
  if (icmp.code() != 0) {
    return drop_reason::ndp_bad_code;
  }
  const std::span<const std::byte> message = icmp.message();
  if (message.size() < ndp_message_length) {
    return drop_reason::ndp_truncated;
  }
  ndp_common common;
  common.flags = load_be32(message.data() + 4);
  common.target = load_ipv6_address(message.data() + 8);
  if (common.target.is_multicast()) {
    return drop_reason::ndp_multicast_target;
  }
  // Options (§4.6): type, length in 8-byte units, never 0.
  std::span<const std::byte> options = message.subspan(ndp_message_length);
  while (!options.empty()) {
    if (options.size() < 2) {
      return drop_reason::ndp_bad_option;
    }
    const std::size_t length = std::to_integer<std::size_t>(options[1]) * 8;
    if (length == 0 || length > options.size()) {
      return drop_reason::ndp_bad_option;
    }
    const auto type = std::to_integer<std::uint8_t>(options[0]);
    if (type == ndp_option::source_link_layer_address || type == ndp_option::target_link_layer_address) {
      if (length != ndp_link_layer_option_length) {
        return drop_reason::ndp_bad_option;
      }
      if (type == link_layer_type && !common.link_layer) {
        common.link_layer = load_mac(options.data() + 2);
      }
    }
    options = options.subspan(length);
  }
  return common;
}

std::size_t write_ndp_packet(std::span<std::byte> out, const ipv6_address& source,
                             const ipv6_address& destination, std::uint8_t type, std::uint32_t flags,
                             const ipv6_address& target, std::uint8_t link_layer_type,
                             const std::optional<mac_address>& link_layer) noexcept {
  const std::size_t message_length = ndp_message_length + (link_layer ? ndp_link_layer_option_length : 0);
  if (out.size() < ipv6_header_length + message_length) {
    return 0;
  }
  ipv6_header ip;
  ip.payload_length = static_cast<std::uint16_t>(message_length);
  ip.next_header = ipv6_next_header::icmpv6;
  ip.hop_limit = ndp_hop_limit;
  ip.source = source;
  ip.destination = destination;
  write_ipv6_header(out, ip);
  const std::span<std::byte> message = out.subspan(ipv6_header_length, message_length);
  std::byte* p = message.data();
  p[0] = std::byte{type};
  p[1] = std::byte{0};
  store_be16(p + 2, 0);
  store_be32(p + 4, flags);
  store_ipv6_address(p + 8, target);
  if (link_layer) {
    p[24] = std::byte{link_layer_type};
    p[25] = std::byte{1};
    store_mac(p + 26, *link_layer);
  }
  store_be16(p + 2, ipv6_l4_checksum(source, destination, ipv6_next_header::icmpv6, message));
  return ipv6_header_length + message_length;
}

}  // namespace

parse_result<neighbor_solicitation> parse_neighbor_solicitation(const ipv6_header& ip,
                                                                const icmpv6_view& icmp) noexcept {
  const auto common = parse_common(ip, icmp, ndp_option::source_link_layer_address);
  if (!common) {
    return common.error();
  }
  // §7.1.1: a DAD probe, from ::, goes to a solicited-node group and names no link-layer address.
  if (ip.source.is_unspecified() &&
      (ip.destination != common->target.solicited_node() || common->link_layer)) {
    return drop_reason::ndp_bad_dad_probe;
  }
  return neighbor_solicitation{common->target, common->link_layer};
}

parse_result<neighbor_advertisement> parse_neighbor_advertisement(const ipv6_header& ip,
                                                                  const icmpv6_view& icmp) noexcept {
  const auto common = parse_common(ip, icmp, ndp_option::target_link_layer_address);
  if (!common) {
    return common.error();
  }
  neighbor_advertisement advertisement;
  advertisement.target = common->target;
  advertisement.router = (common->flags & na_flag_router) != 0;
  advertisement.solicited = (common->flags & na_flag_solicited) != 0;
  advertisement.override = (common->flags & na_flag_override) != 0;
  advertisement.target_link_layer = common->link_layer;
  if (ip.destination.is_multicast() && advertisement.solicited) {
    return drop_reason::ndp_solicited_to_multicast;  // §7.1.2
  }
  return advertisement;
}

std::size_t write_neighbor_solicitation(std::span<std::byte> out, const ipv6_address& source,
                                        const ipv6_address& destination,
                                        const neighbor_solicitation& solicitation) noexcept {
  return write_ndp_packet(out, source, destination, icmpv6_type::neighbor_solicitation, 0,
                          solicitation.target, ndp_option::source_link_layer_address,
                          solicitation.source_link_layer);
}

std::size_t write_neighbor_advertisement(std::span<std::byte> out, const ipv6_address& source,
                                         const ipv6_address& destination,
                                         const neighbor_advertisement& advertisement) noexcept {
  const std::uint32_t flags = (advertisement.router ? na_flag_router : 0) |
                              (advertisement.solicited ? na_flag_solicited : 0) |
                              (advertisement.override ? na_flag_override : 0);
  return write_ndp_packet(out, source, destination, icmpv6_type::neighbor_advertisement, flags,
                          advertisement.target, ndp_option::target_link_layer_address,
                          advertisement.target_link_layer);
}

}  // namespace rampart::net
