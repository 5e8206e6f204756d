#pragma once
// Neighbor Discovery (RFC 4861): the Neighbor Solicitation and Advertisement messages, IPv6's
// ARP. Both are ICMPv6 messages sent with hop limit 255, so that a receiver can tell they never
// crossed a router (§7.1).
//
//   Neighbor Solicitation (§4.3)           Neighbor Advertisement (§4.4)
//   +------+------+----------+             +------+------+----------+
//   | 135  |  0   | checksum |             | 136  |  0   | checksum |
//   +------+------+----------+             +-+-+-+------------------+
//   |       reserved (32)     |            |R|S|O|  reserved (29)   |
//   +-------------------------+            +-+-+-+------------------+
//   |   target address (16)   |            |   target address (16)  |
//   +-------------------------+            +------------------------+
//   | options ...             |            | options ...            |
//
//   Link-layer address option (§4.6.1), Ethernet (RFC 2464 §6): 8 bytes
//   +------+--------+------------------+
//   | type | len: 1 | MAC address (6)  |   type 1: source, type 2: target
//   +------+--------+------------------+
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/addresses.hh"
#include "net/icmpv6.hh"
#include "net/ipv6.hh"
#include "net/parse_result.hh"

namespace rampart::net {

inline constexpr std::size_t ndp_message_length = 24;  // NS and NA without options
inline constexpr std::size_t ndp_link_layer_option_length = 8;
inline constexpr std::uint8_t ndp_hop_limit = 255;

namespace ndp_option {
inline constexpr std::uint8_t source_link_layer_address = 1;
inline constexpr std::uint8_t target_link_layer_address = 2;
}  // namespace ndp_option

// A Neighbor Solicitation, received (validated) or to write.
struct neighbor_solicitation {
  ipv6_address target;
  // Absent from a Duplicate Address Detection probe, whose source is :: (§7.2.2, RFC 4862).
  std::optional<mac_address> source_link_layer;
};

// A Neighbor Advertisement, received (validated) or to write.
struct neighbor_advertisement {
  ipv6_address target;
  bool router = false;     // R: the sender is a router
  bool solicited = false;  // S: the answer to a solicitation sent to the target (§7.2.4)
  bool override = false;   // O: replace a cached link-layer address (§7.2.5)
  std::optional<mac_address> target_link_layer;
};

// Parse an NS (icmp.type() == neighbor_solicitation) with the checks of RFC 4861 §7.1.1; ip is
// the header of the packet that carried it (its checksum was checked by icmpv6_view). Errors:
//   ndp_bad_hop_limit    hop limit not 255
//   ndp_bad_code         ICMPv6 code not 0
//   ndp_truncated        fewer than 24 bytes
//   ndp_multicast_target the target is a multicast address
//   ndp_bad_option       an option of length 0, running past the message, or a link-layer
//                        address option not 8 bytes long (Ethernet's, RFC 2464 §6)
//   ndp_bad_dad_probe    source :: with a destination other than a solicited-node group, or
//                        with a source link-layer address option
// Unknown options are skipped (§4.6).
parse_result<neighbor_solicitation> parse_neighbor_solicitation(const ipv6_header& ip,
                                                                const icmpv6_view& icmp) noexcept;

// Parse an NA (icmp.type() == neighbor_advertisement) with the checks of RFC 4861 §7.1.2.
// Errors: as parse_neighbor_solicitation's first five, and
//   ndp_solicited_to_multicast  the destination is multicast and S is set
parse_result<neighbor_advertisement> parse_neighbor_advertisement(const ipv6_header& ip,
                                                                  const icmpv6_view& icmp) noexcept;

// Write the IPv6 packet (fixed header, hop limit 255, then the message and its link-layer option
// when it has one) at the start of out. A resolution sends its NS to the target's solicited-node
// group with our address and MAC; a DAD probe from :: without the option (RFC 4862 §5.4.2).
// Returns the packet length, or 0 when out is too short.
std::size_t write_neighbor_solicitation(std::span<std::byte> out, const ipv6_address& source,
                                        const ipv6_address& destination,
                                        const neighbor_solicitation& solicitation) noexcept;
// A solicited NA goes back to the solicitor (S set), an unsolicited one to all-nodes (S clear);
// both carry the target link-layer option (§7.2.4, §7.2.6).
std::size_t write_neighbor_advertisement(std::span<std::byte> out, const ipv6_address& source,
                                         const ipv6_address& destination,
                                         const neighbor_advertisement& advertisement) noexcept;

}  // namespace rampart::net
