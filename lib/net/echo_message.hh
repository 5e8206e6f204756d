#pragma once
// The echo message ICMP and ICMPv6 share (RFC 792, RFC 4443 §4.1-4.2): type, code 0, checksum,
// identifier, sequence number, data. Only the checksum differs: ICMPv6's covers a pseudo-header.
#include <cstddef>
#include <cstdint>
#include <span>

namespace rampart::net {

// Writes the message at the start of out, its checksum summed over pseudo_header_sum (a partial
// sum, net/checksum.hh; 0 for ICMP, which has no pseudo-header) and the message. data may alias
// out's data area (it is moved, not copied). Returns the message length, or 0 when out is too
// short.
std::size_t write_echo_message(std::span<std::byte> out, std::uint8_t type, std::uint16_t identifier,
                               std::uint16_t sequence, std::span<const std::byte> data,
                               std::uint32_t pseudo_header_sum) noexcept;

}  // namespace rampart::net
