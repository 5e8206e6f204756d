#include "net/ipv4.hh"

namespace rampart::net {

std::size_t write_ipv4_header(std::span<std::byte> out, const ipv4_header& header,
                              bool compute_checksum) noexcept {
  if (out.size() < ipv4_min_header_length) {
    return 0;
  }
  std::byte* p = out.data();
  p[0] = std::byte{0x45};
  p[1] = std::byte{header.dscp_ecn};
  store_be16(p + 2, header.total_length);
  store_be16(p + 4, header.identification);
  store_be16(p + 6, static_cast<std::uint16_t>((header.dont_fragment ? ipv4_flag_df : 0) |
                                               (header.more_fragments ? ipv4_flag_mf : 0) |
                                               (header.fragment_offset & ipv4_offset_mask)));
  p[8] = std::byte{header.ttl};
  p[9] = std::byte{header.protocol};
  store_be16(p + 10, 0);
  store_be32(p + 12, header.source.value);
  store_be32(p + 16, header.destination.value);
  if (compute_checksum) {
    store_be16(p + 10, internet_checksum(out.first(ipv4_min_header_length)));
  }
  return ipv4_min_header_length;
}

}  // namespace rampart::net
