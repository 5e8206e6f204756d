#include "net/ethernet.hh"

namespace rampart::net {

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
