#pragma once
// ICMP for IPv4 (RFC 792). Every message starts with type, code and a checksum over the whole
// ICMP message; echo request/reply carry an identifier and a sequence number, then data.
//
//   0       8       16              31
//   +-------+-------+---------------+
//   | type  | code  |   checksum    |
//   +-------+-------+---------------+
//   |  identifier   |   sequence    |   (echo; other types: "rest of header")
//   +---------------+---------------+
//   |  data ...
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/addresses.hh"
#include "net/parse_result.hh"
#include "net/seq32.hh"

namespace rampart::net {

inline constexpr std::size_t icmp_header_length = 8;

namespace icmp_type {
inline constexpr std::uint8_t echo_reply = 0;
inline constexpr std::uint8_t destination_unreachable = 3;
inline constexpr std::uint8_t source_quench = 4;  // deprecated, RFC 6633: ignored
inline constexpr std::uint8_t echo_request = 8;
inline constexpr std::uint8_t time_exceeded = 11;
inline constexpr std::uint8_t parameter_problem = 12;
}  // namespace icmp_type

// Destination unreachable codes (RFC 792, RFC 1191).
inline constexpr std::uint8_t icmp_code_fragmentation_needed = 4;

// The ICMP error messages: they quote the start of a datagram that could not be delivered.
constexpr bool is_icmp_error(std::uint8_t type) noexcept {
  return type == icmp_type::destination_unreachable || type == icmp_type::source_quench ||
         type == icmp_type::time_exceeded || type == icmp_type::parameter_problem;
}

class icmp_view {
 public:
  // message: the IPv4 payload (exactly; padding already excluded by ipv4_view). Errors:
  //   icmp_truncated     fewer than 8 bytes
  //   icmp_bad_checksum  checksum over the whole message does not verify (RFC 792)
  static parse_result<icmp_view> parse(std::span<const std::byte> message) noexcept;

  std::uint8_t type() const noexcept { return std::to_integer<std::uint8_t>(_message[0]); }
  std::uint8_t code() const noexcept { return std::to_integer<std::uint8_t>(_message[1]); }
  std::uint16_t checksum() const noexcept;
  std::uint16_t identifier() const noexcept;  // echo only
  std::uint16_t sequence() const noexcept;    // echo only
  std::span<const std::byte> data() const noexcept { return _message.subspan(icmp_header_length); }
  std::span<const std::byte> message() const noexcept { return _message; }

 private:
  explicit icmp_view(std::span<const std::byte> message) noexcept : _message(message) {}
  std::span<const std::byte> _message;
};

// What an ICMP error says about one of our TCP segments (RFC 792: the error quotes "the internet
// header plus the first 64 bits of the original datagram's data", which for TCP are the ports
// and the sequence number). Addresses and ports are those of the quoted datagram, so `source` is
// the sender of the segment (us, when the error is genuine).
//
//   ICMP error:  type | code | checksum | unused (type 3 code 4: 16 bits 0, next-hop MTU, RFC 1191 §4)
//   quoted:      IPv4 header (IHL * 4 bytes) | source port | destination port | sequence number
struct icmp_quoted_tcp {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t next_hop_mtu = 0;  // RFC 1191 §4; 0 from routers older than RFC 1191, and for other types
  ipv4_address source;
  ipv4_address destination;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  seq32 sequence{0};
};

// Parses the quote of an ICMP error (is_icmp_error(icmp.type())). Checks the quoted IPv4 header
// (version 4, IHL >= 5, the whole header and 8 bytes after it present, RFC 792), that it is not
// a later fragment (no TCP header there) and that it carries TCP. The quoted checksum and total
// length are not checked: routers may rewrite the header they quote (RFC 1812 §4.3.2.3 allows
// quoting more, and the TTL was already decremented). Errors:
//   icmp_error_truncated  fewer than IHL * 4 + 8 quoted bytes (or not even 20)
//   icmp_error_bad_quote  quoted version not 4, IHL below 5, or a non-first fragment
//   icmp_error_not_tcp    the quoted datagram is not TCP (an error about our ICMP replies)
parse_result<icmp_quoted_tcp> parse_icmp_quoted_tcp(const icmp_view& icmp) noexcept;

// Writes an echo message (type echo_request or echo_reply, code 0) with its data and checksum
// at the start of out. data may alias out's data area (it is moved, not copied). Returns the
// message length, or 0 when out is too short.
std::size_t write_icmp_echo(std::span<std::byte> out, std::uint8_t type, std::uint16_t identifier,
                            std::uint16_t sequence, std::span<const std::byte> data) noexcept;

}  // namespace rampart::net
