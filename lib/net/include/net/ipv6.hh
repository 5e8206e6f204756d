#pragma once
// IPv6 header (RFC 8200 §3) and the walk over its extension headers (§4) to the upper layer.
//
//   0       4               12                                  31
//   +-------+---------------+-----------------------------------+
//   |version| traffic class |            flow label             |
//   +-------+---------------+-------+---------------+-----------+
//   |        payload length         |  next header  | hop limit |
//   +-------------------------------+---------------+-----------+
//   |                source address (16 bytes)                  |
//   |              destination address (16 bytes)               |
//   +-----------------------------------------------------------+
//   | extension headers ... | upper-layer header (TCP, ICMPv6)  |
//
// Two levels, as for IPv4: ipv6_view checks the fixed header, then find_upper_layer walks the
// extension headers and says where the upper-layer message is, or why the packet is refused.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "net/addresses.hh"
#include "net/byte_order.hh"
#include "net/parse_result.hh"

namespace rampart::net {

inline constexpr std::size_t ipv6_header_length = 40;
inline constexpr std::uint8_t ipv6_default_hop_limit = 64;  // IANA's recommended default
// Every link carries 1280-byte packets (RFC 8200 §5): the floor of any path MTU, and the most
// an ICMPv6 error may take (RFC 4443 §2.4 (c)).
inline constexpr std::size_t ipv6_minimum_mtu = 1280;

// Next Header values (IANA "Assigned Internet Protocol Numbers"); TCP is ip_protocol::tcp.
namespace ipv6_next_header {
inline constexpr std::uint8_t hop_by_hop = 0;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t routing = 43;
inline constexpr std::uint8_t fragment = 44;
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t no_next_header = 59;
inline constexpr std::uint8_t destination_options = 60;
}  // namespace ipv6_next_header

// Validated (or to-be-written) fixed header fields.
struct ipv6_header {
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;  // 20 bits
  std::uint16_t payload_length = 0;
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = ipv6_default_hop_limit;
  ipv6_address source;
  ipv6_address destination;
};

inline ipv6_address load_ipv6_address(const std::byte* p) noexcept {
  ipv6_address address;
  std::memcpy(address.bytes.data(), p, address.bytes.size());
  return address;
}
inline void store_ipv6_address(std::byte* p, const ipv6_address& address) noexcept {
  std::memcpy(p, address.bytes.data(), address.bytes.size());
}

class ipv6_view {
 public:
  // bytes: everything after the Ethernet header, trailing Ethernet padding allowed (the payload
  // length, not the frame, says where the packet ends). Checks, in this order:
  //   ipv6_truncated           fewer than 40 bytes
  //   ipv6_bad_version         version ≠ 6
  //   ipv6_bad_payload_length  payload length beyond the bytes present
  // A payload length of 0 is an empty payload: jumbograms (RFC 2675) are not supported, and
  // the walk then finds no room for their hop-by-hop header.
  static parse_result<ipv6_view> parse(std::span<const std::byte> bytes) noexcept {
    using stats::drop_reason;
    if (bytes.size() < ipv6_header_length) {
      return drop_reason::ipv6_truncated;
    }
    const std::byte* p = bytes.data();
    const std::uint32_t first_word = load_be32(p);
    if ((first_word >> 28) != 6) {
      return drop_reason::ipv6_bad_version;
    }
    const std::uint16_t payload_length = load_be16(p + 4);
    if (payload_length > bytes.size() - ipv6_header_length) {
      return drop_reason::ipv6_bad_payload_length;
    }
    ipv6_header h;
    h.traffic_class = static_cast<std::uint8_t>(first_word >> 20);
    h.flow_label = first_word & 0xfffffU;
    h.payload_length = payload_length;
    h.next_header = std::to_integer<std::uint8_t>(p[6]);
    h.hop_limit = std::to_integer<std::uint8_t>(p[7]);
    h.source = load_ipv6_address(p + 8);
    h.destination = load_ipv6_address(p + 24);
    return ipv6_view{bytes.first(ipv6_header_length + payload_length), h};
  }

  const ipv6_header& header() const noexcept { return _header; }
  const ipv6_address& source() const noexcept { return _header.source; }
  const ipv6_address& destination() const noexcept { return _header.destination; }
  std::uint8_t hop_limit() const noexcept { return _header.hop_limit; }

  // The packet (fixed header + payload), padding excluded.
  std::span<const std::byte> packet() const noexcept { return _packet; }
  // Everything after the fixed header: extension headers, then the upper layer.
  std::span<const std::byte> payload() const noexcept { return _packet.subspan(ipv6_header_length); }

 private:
  ipv6_view(std::span<const std::byte> packet, const ipv6_header& header) noexcept
      : _packet(packet), _header(header) {}
  std::span<const std::byte> _packet;
  ipv6_header _header;
};

// The upper-layer message a packet carries, once its extension headers are walked.
struct ipv6_upper_layer {
  std::uint8_t protocol = 0;           // ipv6_next_header::tcp or ::icmpv6
  std::uint16_t offset = 0;            // from the start of the fixed header
  std::span<const std::byte> message;  // the upper-layer header and data, to the packet's end
  bool atomic_fragment = false;        // it carried a fragment header with offset 0 and M clear
};

// The walk's bound: a legitimate packet to a front-end carries at most a few small headers
// (a hop-by-hop Router Alert, an atomic fragment header), so longer chains are refused before
// their options are read. The bound keeps the cost of a crafted packet at 256 bytes of option
// walking, whatever its size.
inline constexpr std::size_t ipv6_max_extension_headers = 8;
inline constexpr std::size_t ipv6_max_extension_bytes = 256;

// Walks the extension headers (RFC 8200 §4) to the upper-layer protocol. Every Hop-by-Hop and
// Destination Options header has its options checked (§4.2: an option of unknown type whose two
// high bits are not 00 means discard). Errors, the first met along the chain:
//   ipv6_extension_header_truncated  a header or an option running past the packet
//   ipv6_extension_chain_too_long    more than ipv6_max_extension_headers headers, or a chain
//                                    ending past ipv6_max_extension_bytes
//   ipv6_hop_by_hop_not_first        a Hop-by-Hop header after the first position (§4.1)
//   ipv6_unrecognized_option         an option to discard by its type (§4.2)
//   ipv6_routing_type0               a type 0 routing header with segments left (RFC 5095 §3)
//   ipv6_routing_segments_left       another routing header with segments left (§4.4)
//   ipv6_fragment                    a fragment other than an atomic one
//   ipv6_no_next_header              Next Header 59 (§4.7)
//   ipv6_unsupported_next_header     anything but TCP and ICMPv6 (UDP, ESP, AH, ...)
// Where RFC 8200 asks for an ICMPv6 Parameter Problem (§4.2 bits 10/11, §4.4), the packet is
// dropped and counted instead: a front-end does not help probes map what it parses.
// A routing header with no segments left is ignored (§4.4), RH0 included (RFC 5095 §3 treats it
// as an unrecognised type). An atomic fragment is processed as an unfragmented packet (RFC 6946
// §4, RFC 8021); any other fragment is dropped: rampart does not reassemble, and TCP, which is
// all it serves, never needs a peer to fragment (its MSS follows the path MTU).
parse_result<ipv6_upper_layer> find_upper_layer(const ipv6_view& packet) noexcept;

// Writes the 40-byte fixed header at the start of out. Returns 40, or 0 when out is shorter.
std::size_t write_ipv6_header(std::span<std::byte> out, const ipv6_header& header) noexcept;

}  // namespace rampart::net
