#include "ndp_output.hh"

#include "net/ethernet.hh"
#include "net/ndp.hh"
#include "pipeline/pipeline.hh"

namespace rampart::pipeline {

std::uint16_t write_advertisement_frame(const net::mac_address& our_mac, const net::mac_address& destination_mac,
                                        const net::ipv6_address& destination, const net::ipv6_address& target,
                                        bool solicited, std::span<std::byte> buffer) noexcept {
  if (buffer.size() < net::ethernet_header_length) {
    return 0;
  }
  net::neighbor_advertisement advertisement;
  advertisement.target = target;
  advertisement.solicited = solicited;
  advertisement.override = true;  // §7.2.4: not an anycast or proxied address
  advertisement.target_link_layer = our_mac;
  const std::size_t packet_length = net::write_neighbor_advertisement(
      buffer.subspan(net::ethernet_header_length), target, destination, advertisement);
  if (packet_length == 0) {
    return 0;
  }
  net::write_ethernet_header(buffer, {destination_mac, our_mac, net::ether_type::ipv6});
  return static_cast<std::uint16_t>(net::ethernet_header_length + packet_length);
}

std::uint16_t build_unsolicited_neighbor_advertisement(const port_identity& identity, const net::ipv6_address& target,
                                                       std::span<std::byte> buffer) noexcept {
  const net::ipv6_address all_nodes = net::ipv6_address::all_nodes();
  return write_advertisement_frame(identity.mac, all_nodes.multicast_mac(), all_nodes, target, false, buffer);
}

std::uint16_t build_duplicate_address_probe(const port_identity& identity, const net::ipv6_address& target,
                                            std::span<std::byte> buffer) noexcept {
  if (buffer.size() < net::ethernet_header_length) {
    return 0;
  }
  // RFC 4862 §5.4.2: from ::, to the target's solicited-node group, no Source Link-Layer option
  // (RFC 4861 §7.2.2 forbids it with an unspecified source), hop limit 255.
  const net::ipv6_address group = target.solicited_node();
  const std::size_t packet_length = net::write_neighbor_solicitation(
      buffer.subspan(net::ethernet_header_length), net::ipv6_address{}, group, {target, std::nullopt});
  if (packet_length == 0) {
    return 0;
  }
  net::write_ethernet_header(buffer, {group.multicast_mac(), identity.mac, net::ether_type::ipv6});
  return static_cast<std::uint16_t>(net::ethernet_header_length + packet_length);
}

}  // namespace rampart::pipeline
