#include "net/ethernet.hh"

#include <cstring>

#include "net/byte_order.hh"

namespace rampart::net {

mac_address load_mac(const std::byte* p) noexcept {
  mac_address mac;
  std::memcpy(mac.bytes.data(), p, mac.bytes.size());
  return mac;
}

void store_mac(std::byte* p, const mac_address& mac) noexcept {
  std::memcpy(p, mac.bytes.data(), mac.bytes.size());
}

parse_result<ethernet_view> ethernet_view::parse(std::span<const std::byte> frame) noexcept {
  if (frame.size() < ethernet_header_length) {
    return stats::drop_reason::eth_truncated;
  }
  return ethernet_view{frame};
}

std::uint16_t ethernet_view::ether_type() const noexcept { return load_be16(_frame.data() + 12); }

std::size_t write_ethernet_header(std::span<std::byte> out, const ethernet_header& header) noexcept {
  if (out.size() < ethernet_header_length) {
    return 0;
  }
  store_mac(out.data(), header.destination);
  store_mac(out.data() + 6, header.source);
  store_be16(out.data() + 12, header.ether_type);
  return ethernet_header_length;
}

}  // namespace rampart::net
