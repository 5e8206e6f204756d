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

#include "net/parse_result.hh"

namespace rampart::net {

inline constexpr std::size_t icmp_header_length = 8;

namespace icmp_type {
inline constexpr std::uint8_t echo_reply = 0;
inline constexpr std::uint8_t destination_unreachable = 3;
inline constexpr std::uint8_t echo_request = 8;
inline constexpr std::uint8_t time_exceeded = 11;
}  // namespace icmp_type

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

// Writes an echo message (type echo_request or echo_reply, code 0) with its data and checksum
// at the start of out. data may alias out's data area (it is moved, not copied). Returns the
// message length, or 0 when out is too short.
std::size_t write_icmp_echo(std::span<std::byte> out, std::uint8_t type, std::uint16_t identifier,
                            std::uint16_t sequence, std::span<const std::byte> data) noexcept;

}  // namespace rampart::net
