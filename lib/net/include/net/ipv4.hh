#pragma once
// IPv4 header (RFC 791 §3.1).
//
//   0       4       8               16    19                  31
//   +-------+-------+---------------+-----+-------------------+
//   |version|  IHL  |  DSCP / ECN   |      total length       |
//   +-------+-------+---------------+-----+-------------------+
//   |        identification         |flags| fragment offset   |   flags: 0, DF, MF
//   +---------------+---------------+-----+-------------------+
//   |      TTL      |   protocol    |     header checksum     |
//   +---------------+---------------+-------------------------+
//   |                     source address                      |
//   |                   destination address                   |
//   |                 options (IHL > 5) ...                   |
//   +---------------------------------------------------------+
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/addresses.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/parse_result.hh"

namespace rampart::net {

inline constexpr std::size_t ipv4_min_header_length = 20;
inline constexpr std::uint8_t ipv4_default_ttl = 64;  // RFC 1700 / IANA recommended default

// The flags and fragment offset word (bytes 6-7).
inline constexpr std::uint16_t ipv4_flag_df = 0x4000;
inline constexpr std::uint16_t ipv4_flag_mf = 0x2000;
inline constexpr std::uint16_t ipv4_offset_mask = 0x1fff;

namespace ip_protocol {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
}  // namespace ip_protocol

// Validated (or to-be-written) header fields. Lengths are in bytes.
struct ipv4_header {
  std::uint8_t header_length = ipv4_min_header_length;  // IHL * 4
  std::uint8_t dscp_ecn = 0;
  std::uint16_t total_length = 0;
  std::uint16_t identification = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // in 8-byte units, as on the wire
  std::uint8_t ttl = ipv4_default_ttl;
  std::uint8_t protocol = 0;
  ipv4_address source;
  ipv4_address destination;

  // RFC 791: a datagram is a fragment when MF is set or the offset is non-zero.
  constexpr bool is_fragment() const noexcept { return more_fragments || fragment_offset != 0; }
  constexpr std::uint16_t payload_length() const noexcept {
    return static_cast<std::uint16_t>(total_length - header_length);
  }
};

class ipv4_view {
 public:
  // bytes: everything after the Ethernet header, trailing Ethernet padding allowed (a 60-byte
  // minimum frame carries padding after short datagrams; total length, not the frame, says
  // where the datagram ends). Checks, in this order, returning the first that fails:
  //   ipv4_truncated         fewer than 20 bytes
  //   ipv4_bad_version       version ≠ 4
  //   ipv4_bad_ihl           IHL < 5, or IHL*4 beyond the bytes present
  //   ipv4_bad_total_length  total length < IHL*4, or beyond the bytes present
  //   ipv4_bad_checksum      header checksum does not verify (RFC 791 §3.1, RFC 1122 3.2.1.2)
  // Fragments parse successfully (is_fragment() says so): refusing them is policy.
  // Inline: returned from another translation unit, the view went through the stack and the
  // caller's first read of an address waited on a failed store-to-load forward
  // (perf/bench/tcp/stream_bench, BM_syn_flood).
  static parse_result<ipv4_view> parse(std::span<const std::byte> bytes) noexcept {
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
    h.dont_fragment = (flags_offset & ipv4_flag_df) != 0;
    h.more_fragments = (flags_offset & ipv4_flag_mf) != 0;
    h.fragment_offset = flags_offset & ipv4_offset_mask;
    h.ttl = std::to_integer<std::uint8_t>(p[8]);
    h.protocol = std::to_integer<std::uint8_t>(p[9]);
    h.source = {load_be32(p + 12)};
    h.destination = {load_be32(p + 16)};
    return ipv4_view{bytes.first(total_length), h};
  }

  ipv4_header header() const noexcept { return _header; }
  std::uint8_t header_length() const noexcept { return _header.header_length; }
  std::uint16_t total_length() const noexcept { return _header.total_length; }
  std::uint8_t protocol() const noexcept { return _header.protocol; }
  ipv4_address source() const noexcept { return _header.source; }
  ipv4_address destination() const noexcept { return _header.destination; }
  bool is_fragment() const noexcept { return _header.is_fragment(); }

  // The datagram (header + payload), padding excluded.
  std::span<const std::byte> datagram() const noexcept { return _datagram; }
  std::span<const std::byte> options() const noexcept {
    return _datagram.subspan(ipv4_min_header_length, _header.header_length - ipv4_min_header_length);
  }
  std::span<const std::byte> payload() const noexcept { return _datagram.subspan(_header.header_length); }

 private:
  ipv4_view(std::span<const std::byte> datagram, const ipv4_header& header) noexcept
      : _datagram(datagram), _header(header) {}
  std::span<const std::byte> _datagram;
  ipv4_header _header;
};

// Writes a 20-byte header (no options; header.header_length is ignored and written as 20)
// at the start of out, with the checksum computed when compute_checksum, zero otherwise (for a
// NIC that inserts it: RTE_MBUF_F_TX_IP_CKSUM wants the field zero). Returns 20, or 0 when out
// is shorter.
std::size_t write_ipv4_header(std::span<std::byte> out, const ipv4_header& header,
                              bool compute_checksum) noexcept;

}  // namespace rampart::net
