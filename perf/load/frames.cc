#include "frames.hh"

#include <cstring>

#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/icmp.hh"
#include "net/ipv4.hh"

namespace rampart::load {

namespace {

// Ethernet and IPv4 (DF, no options, checksum computed) for an IPv4 datagram carrying
// `l4_length` bytes of `protocol`, at the start of out, zero-padded to the Ethernet minimum.
// Returns the L4 part to fill and the frame's length; an empty part and 0 when out is too short.
struct ipv4_frame {
  std::span<std::byte> l4;
  std::size_t length = 0;
};

ipv4_frame write_ipv4_frame(std::span<std::byte> out, const link_pair& link, net::ipv4_address source,
                            net::ipv4_address destination, std::uint8_t protocol, std::uint16_t ip_id,
                            std::size_t l4_length) noexcept {
  const std::size_t ip_length = net::ipv4_min_header_length + l4_length;
  const std::size_t length = net::ethernet_header_length + ip_length;
  const std::size_t padded = length < net::ethernet_min_frame_length ? net::ethernet_min_frame_length : length;
  if (out.size() < padded || ip_length > 0xffff) {
    return {};
  }
  std::memset(out.data() + length, 0, padded - length);
  net::write_ethernet_header(out, {link.destination, link.source, net::ether_type::ipv4});
  net::ipv4_header ip;
  ip.total_length = static_cast<std::uint16_t>(ip_length);
  ip.identification = ip_id;
  ip.dont_fragment = true;
  ip.protocol = protocol;
  ip.source = source;
  ip.destination = destination;
  net::write_ipv4_header(out.subspan(net::ethernet_header_length), ip, true);
  return {out.subspan(net::ethernet_header_length + net::ipv4_min_header_length, l4_length), padded};
}

}  // namespace

std::size_t build_tcp_frame(std::span<std::byte> out, const tcp_segment_spec& spec) noexcept {
  const std::size_t tcp_length = net::tcp_min_header_length + net::tcp_options_length(spec.options) + spec.payload.size();
  const ipv4_frame frame = write_ipv4_frame(out, spec.link, spec.source_ip, spec.destination_ip, net::ip_protocol::tcp,
                                            spec.ip_id, tcp_length);
  if (frame.length == 0) {
    return 0;
  }
  const std::span<std::byte> tcp = frame.l4;
  net::tcp_header header = spec.header;
  header.checksum = 0;
  const std::size_t header_length = net::write_tcp_header(tcp, header, spec.options);
  if (!spec.payload.empty()) {
    std::memcpy(tcp.data() + header_length, spec.payload.data(), spec.payload.size());
  }
  const std::uint16_t sum = net::ipv4_l4_checksum(spec.source_ip, spec.destination_ip, net::ip_protocol::tcp, tcp);
  tcp[16] = static_cast<std::byte>(sum >> 8);
  tcp[17] = static_cast<std::byte>(sum & 0xff);
  return frame.length;
}

std::size_t build_icmp_echo_frame(std::span<std::byte> out, const icmp_echo_spec& spec) noexcept {
  const ipv4_frame frame = write_ipv4_frame(out, spec.link, spec.source_ip, spec.destination_ip, net::ip_protocol::icmp,
                                            spec.ip_id, net::icmp_header_length + spec.data_length);
  if (frame.length == 0) {
    return 0;
  }
  // RFC 792: type, code 0, checksum, identifier, sequence number, data (zeros).
  const std::span<std::byte> icmp = frame.l4;
  std::memset(icmp.data(), 0, icmp.size());
  icmp[0] = static_cast<std::byte>(spec.type);
  net::store_be16(icmp.data() + 4, spec.identifier);
  net::store_be16(icmp.data() + 6, spec.sequence);
  net::store_be16(icmp.data() + 2, net::internet_checksum(icmp));
  return frame.length;
}

std::size_t build_arp_frame(std::span<std::byte> out, const net::mac_address& ethernet_destination,
                            const net::arp_packet& arp) noexcept {
  if (out.size() < net::ethernet_min_frame_length) {
    return 0;
  }
  net::write_ethernet_header(out, {ethernet_destination, arp.sender_mac, net::ether_type::arp});
  const std::size_t body = net::write_arp(out.subspan(net::ethernet_header_length), arp);
  const std::size_t length = net::ethernet_header_length + body;
  std::memset(out.data() + length, 0, net::ethernet_min_frame_length - length);
  return net::ethernet_min_frame_length;
}

rx_frame parse_frame(std::span<const std::byte> frame) noexcept {
  rx_frame result;
  const auto eth = net::ethernet_view::parse(frame);
  if (!eth) {
    result.what = rx_frame::kind::malformed;
    return result;
  }
  if (eth->ether_type() == net::ether_type::arp) {
    const auto arp = net::arp_view::parse(eth->payload());
    result.what = arp ? rx_frame::kind::arp : rx_frame::kind::malformed;
    if (arp) {
      result.arp = arp->packet();
    }
    return result;
  }
  if (eth->ether_type() != net::ether_type::ipv4) {
    return result;  // other
  }
  const auto ip = net::ipv4_view::parse(eth->payload());
  if (!ip) {
    result.what = rx_frame::kind::malformed;
    return result;
  }
  if (ip->is_fragment()) {
    return result;  // other
  }
  if (ip->protocol() == net::ip_protocol::icmp) {
    const auto icmp = net::icmp_view::parse(ip->payload());
    if (!icmp) {
      result.what = rx_frame::kind::malformed;
    } else if (icmp->type() == net::icmp_type::echo_reply) {
      result.what = rx_frame::kind::echo_reply;
      result.echo_reply = {ip->source(), ip->destination()};
    }
    return result;
  }
  if (ip->protocol() != net::ip_protocol::tcp) {
    return result;  // other
  }
  const std::span<const std::byte> segment = ip->payload();
  rx_tcp& tcp = result.tcp;
  const auto header_length = net::parse_tcp_header(segment, tcp.header, tcp.options);
  if (!header_length ||
      !net::ipv4_l4_checksum_verifies(ip->source(), ip->destination(), net::ip_protocol::tcp, segment)) {
    result.what = rx_frame::kind::malformed;
    return result;
  }
  result.what = rx_frame::kind::tcp;
  tcp.source_mac = eth->source();
  tcp.source_ip = ip->source();
  tcp.destination_ip = ip->destination();
  tcp.payload = segment.subspan(*header_length);
  return result;
}

}  // namespace rampart::load
