#include "net/arp.hh"

#include "net/byte_order.hh"
#include "net/ethernet.hh"

namespace rampart::net {

namespace {
constexpr std::uint16_t htype_ethernet = 1;  // RFC 826 ar$hrd, "Ethernet (10Mb)"
}

parse_result<arp_view> arp_view::parse(std::span<const std::byte> bytes) noexcept {
  if (bytes.size() < arp_ipv4_length) {
    return stats::drop_reason::arp_malformed;
  }
  const std::byte* p = bytes.data();
  if (load_be16(p) != htype_ethernet || load_be16(p + 2) != ether_type::ipv4 ||
      std::to_integer<std::uint8_t>(p[4]) != 6 || std::to_integer<std::uint8_t>(p[5]) != 4) {
    return stats::drop_reason::arp_malformed;
  }
  return arp_view{p};
}

std::uint16_t arp_view::operation() const noexcept { return load_be16(_p + 6); }
mac_address arp_view::sender_mac() const noexcept { return load_mac(_p + 8); }
ipv4_address arp_view::sender_ip() const noexcept { return {load_be32(_p + 14)}; }
mac_address arp_view::target_mac() const noexcept { return load_mac(_p + 18); }
ipv4_address arp_view::target_ip() const noexcept { return {load_be32(_p + 24)}; }

arp_packet arp_view::packet() const noexcept {
  return {operation(), sender_mac(), sender_ip(), target_mac(), target_ip()};
}

std::size_t write_arp(std::span<std::byte> out, const arp_packet& packet) noexcept {
  if (out.size() < arp_ipv4_length) {
    return 0;
  }
  std::byte* p = out.data();
  store_be16(p, htype_ethernet);
  store_be16(p + 2, ether_type::ipv4);
  p[4] = std::byte{6};
  p[5] = std::byte{4};
  store_be16(p + 6, packet.operation);
  store_mac(p + 8, packet.sender_mac);
  store_be32(p + 14, packet.sender_ip.value);
  store_mac(p + 18, packet.target_mac);
  store_be32(p + 24, packet.target_ip.value);
  return arp_ipv4_length;
}

}  // namespace rampart::net
