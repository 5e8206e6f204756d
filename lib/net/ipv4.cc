#include "net/ipv4.hh"

#include "net/byte_order.hh"
#include "net/checksum.hh"

namespace rampart::net {

namespace {
constexpr std::uint16_t flag_df = 0x4000;
constexpr std::uint16_t flag_mf = 0x2000;
constexpr std::uint16_t offset_mask = 0x1fff;
}  // namespace

parse_result<ipv4_view> ipv4_view::parse(std::span<const std::byte> bytes) noexcept {
  using stats::drop_reason;
  if (bytes.size() < ipv4_min_header_length) {
    return drop_reason::ipv4_truncated;
  }
  const std::byte* p = bytes.data();
  const auto version_ihl = std::to_integer<std::uint8_t>(p[0]);
  if ((version_ihl >> 4) != 4) {
    return drop_reason::ipv4_bad_version;
  }
  const std::size_t header_length = static_cast<std::size_t>(version_ihl & 0x0f) * 4;
  if (header_length < ipv4_min_header_length || header_length > bytes.size()) {
    return drop_reason::ipv4_bad_ihl;
  }
  const std::uint16_t total_length = load_be16(p + 2);
  if (total_length < header_length || total_length > bytes.size()) {
    return drop_reason::ipv4_bad_total_length;
  }
  if (!checksum_verifies(bytes.first(header_length))) {
    return drop_reason::ipv4_bad_checksum;
  }
  const std::uint16_t flags_offset = load_be16(p + 6);
  ipv4_header h;
  h.header_length = static_cast<std::uint8_t>(header_length);
  h.dscp_ecn = std::to_integer<std::uint8_t>(p[1]);
  h.total_length = total_length;
  h.identification = load_be16(p + 4);
  h.dont_fragment = (flags_offset & flag_df) != 0;
  h.more_fragments = (flags_offset & flag_mf) != 0;
  h.fragment_offset = flags_offset & offset_mask;
  h.ttl = std::to_integer<std::uint8_t>(p[8]);
  h.protocol = std::to_integer<std::uint8_t>(p[9]);
  h.source = {load_be32(p + 12)};
  h.destination = {load_be32(p + 16)};
  return ipv4_view{bytes.first(total_length), h};
}

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
  store_be16(p + 6, static_cast<std::uint16_t>((header.dont_fragment ? flag_df : 0) |
                                               (header.more_fragments ? flag_mf : 0) |
                                               (header.fragment_offset & offset_mask)));
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
