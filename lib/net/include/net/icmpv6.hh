#pragma once
// ICMPv6 (RFC 4443). Every message starts with type, code and a checksum over the IPv6
// pseudo-header and the whole message (§2.3). Types below 128 are errors, which quote the
// packet that caused them; 128 and up are informational (§2.1).
//
//   0       8       16              31
//   +-------+-------+---------------+
//   | type  | code  |   checksum    |
//   +-------+-------+---------------+
//   |  identifier   |   sequence    |   echo; errors: unused, MTU (Packet Too Big) or pointer
//   +---------------+---------------+
//   |  data, or the offending packet as much as fits in 1280 bytes ...
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/addresses.hh"
#include "net/ipv6.hh"
#include "net/parse_result.hh"
#include "net/seq32.hh"

namespace rampart::net {

// The shortest message rampart reads: echo and every error have 8 bytes before their data, and
// NDP messages (net/ndp.hh) check their own, longer, minimum.
inline constexpr std::size_t icmpv6_header_length = 8;

namespace icmpv6_type {
inline constexpr std::uint8_t destination_unreachable = 1;
inline constexpr std::uint8_t packet_too_big = 2;
inline constexpr std::uint8_t time_exceeded = 3;
inline constexpr std::uint8_t parameter_problem = 4;
inline constexpr std::uint8_t echo_request = 128;
inline constexpr std::uint8_t echo_reply = 129;
inline constexpr std::uint8_t router_solicitation = 133;     // RFC 4861 §4.1
inline constexpr std::uint8_t router_advertisement = 134;    // RFC 4861 §4.2
inline constexpr std::uint8_t neighbor_solicitation = 135;   // RFC 4861 §4.3
inline constexpr std::uint8_t neighbor_advertisement = 136;  // RFC 4861 §4.4
inline constexpr std::uint8_t redirect = 137;                // RFC 4861 §4.5
}  // namespace icmpv6_type

// Destination Unreachable codes (RFC 4443 §3.1).
namespace icmpv6_unreachable_code {
inline constexpr std::uint8_t no_route = 0;
inline constexpr std::uint8_t administratively_prohibited = 1;
inline constexpr std::uint8_t beyond_scope = 2;
inline constexpr std::uint8_t address_unreachable = 3;
inline constexpr std::uint8_t port_unreachable = 4;
}  // namespace icmpv6_unreachable_code

// Parameter Problem code 2: an unrecognized IPv6 option (RFC 4443 §3.4).
inline constexpr std::uint8_t icmpv6_code_unrecognized_option = 2;

// RFC 4443 §2.1: the high bit of the type marks informational messages.
constexpr bool is_icmpv6_error(std::uint8_t type) noexcept { return type < 128; }

class icmpv6_view {
 public:
  // message: the upper-layer message found by find_upper_layer; source and destination: the
  // addresses of the packet that carried it (the checksum covers them). Errors:
  //   icmpv6_truncated     fewer than 8 bytes
  //   icmpv6_bad_checksum  the checksum over pseudo-header and message does not verify (§2.3)
  static parse_result<icmpv6_view> parse(const ipv6_address& source, const ipv6_address& destination,
                                         std::span<const std::byte> message) noexcept;

  std::uint8_t type() const noexcept { return std::to_integer<std::uint8_t>(_message[0]); }
  std::uint8_t code() const noexcept { return std::to_integer<std::uint8_t>(_message[1]); }
  std::uint16_t checksum() const noexcept;
  std::uint16_t identifier() const noexcept;  // echo only
  std::uint16_t sequence() const noexcept;    // echo only
  std::uint32_t parameter() const noexcept;   // errors: the MTU of Packet Too Big, a pointer, or unused
  std::span<const std::byte> data() const noexcept { return _message.subspan(icmpv6_header_length); }
  std::span<const std::byte> message() const noexcept { return _message; }

 private:
  explicit icmpv6_view(std::span<const std::byte> message) noexcept : _message(message) {}
  std::span<const std::byte> _message;
};

// Writes an echo message (type echo_request or echo_reply, code 0) with its data and checksum at
// the start of out; source and destination are the addresses of the packet that will carry it.
// data may alias out's data area (it is moved, not copied). Returns the message length, or 0
// when out is too short.
std::size_t write_icmpv6_echo(std::span<std::byte> out, const ipv6_address& source,
                              const ipv6_address& destination, std::uint8_t type,
                              std::uint16_t identifier, std::uint16_t sequence,
                              std::span<const std::byte> data) noexcept;

// RFC 4443 §2.4 (e): whether an error of error_type/error_code may answer a packet. Never about
//   (e.1) an ICMPv6 error, (e.2) a Redirect  (offending_icmpv6_type: the offending packet's ICMPv6
//         type when it carries ICMPv6, nullopt otherwise),
//   (e.3) a packet to a multicast address, (e.4, e.5) one received as link-layer multicast or
//         broadcast, unless the error is Packet Too Big or Parameter Problem code 2 (§2.4 (e.3)),
//   (e.6) a packet whose source does not name one node: unspecified or multicast.
// Anycast sources cannot be told from unicast ones here; rampart owns no anycast address.
bool icmpv6_error_allowed(std::uint8_t error_type, std::uint8_t error_code, const ipv6_header& offending,
                          bool link_layer_multicast, std::optional<std::uint8_t> offending_icmpv6_type) noexcept;

// Writes an IPv6 packet, from source to the offending packet's source with the default hop
// limit, carrying an ICMPv6 error: type, code, the 32-bit parameter word (the MTU of Packet Too
// Big, the pointer of Parameter Problem, 0 for the others) and as much of the offending packet as
// fits in 1280 bytes and in out (§2.4 (c)). offending may lie in out (it is moved, not copied):
// an error can be written over the packet it answers. Returns the packet length, or 0 when out
// holds less than the two headers and the offending packet's fixed header.
std::size_t write_icmpv6_error(std::span<std::byte> out, const ipv6_address& source, std::uint8_t type,
                               std::uint8_t code, std::uint32_t parameter,
                               const ipv6_view& offending) noexcept;

// Packet Too Big (RFC 4443 §3.2) and Destination Unreachable (§3.1): write_icmpv6_error's two
// uses, named.
inline std::size_t write_icmpv6_packet_too_big(std::span<std::byte> out, const ipv6_address& source,
                                               std::uint32_t mtu, const ipv6_view& offending) noexcept {
  return write_icmpv6_error(out, source, icmpv6_type::packet_too_big, 0, mtu, offending);
}
inline std::size_t write_icmpv6_destination_unreachable(std::span<std::byte> out,
                                                        const ipv6_address& source, std::uint8_t code,
                                                        const ipv6_view& offending) noexcept {
  return write_icmpv6_error(out, source, icmpv6_type::destination_unreachable, code, 0, offending);
}

// What an ICMPv6 error says about one of our TCP segments: the quoted packet's addresses and the
// first 8 bytes of its TCP header (ports and sequence number), so `source` is the sender of the
// segment (us, when the error is genuine). The mirror of icmp_quoted_tcp for IPv4.
struct icmpv6_quoted_tcp {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t mtu = 0;  // Packet Too Big only (RFC 4443 §3.2); 0 for other types
  ipv6_address source;
  ipv6_address destination;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  seq32 sequence{0};
};

// Parses the quote of an ICMPv6 error (is_icmpv6_error(icmp.type())). rampart's segments carry no
// extension header, so the quoted Next Header must be TCP itself. The quoted payload length and
// hop limit are not checked: the quote may be cut and the hop limit was decremented. Errors:
//   icmpv6_error_truncated  fewer than 40 + 8 quoted bytes
//   icmpv6_error_bad_quote  the quoted version is not 6
//   icmpv6_error_not_tcp    the quoted packet's Next Header is not TCP (an error about our
//                           echo replies, or about a packet that was never ours)
parse_result<icmpv6_quoted_tcp> parse_icmpv6_quoted_tcp(const icmpv6_view& icmp) noexcept;

}  // namespace rampart::net
