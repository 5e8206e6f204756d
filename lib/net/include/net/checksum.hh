#pragma once
// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of
// the data as big-endian 16-bit words.
//
// Conventions, so every caller agrees on byte order:
// - A *partial sum* is an unfolded std::uint32_t accumulating big-endian words as numbers
//   (host integers; 0x4500 for the bytes 45 00). Partial sums add with `+` (one's complement
//   addition is associative and end-around carries are folded at the end, RFC 1071 §2(B)).
// - A *checksum* is the 16-bit value to store with store_be16 into the header's field.
// - When a message is summed in several spans, every span but the last must have even length
//   (the sum pairs bytes into words; an odd span would shift the rest by one byte).
//
// Span sums add native-endian words (checksum.cc): by RFC 1071 §2(B) byte-order independence,
// byte-swapping the folded result gives the big-endian sum.
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/addresses.hh"

namespace rampart::net {

// Adds the bytes to a partial sum. Any length; see the odd-length rule above.
std::uint32_t checksum_add(std::span<const std::byte> bytes, std::uint32_t sum = 0) noexcept;

// Folds a partial sum to 16 bits with end-around carry (not complemented).
constexpr std::uint16_t checksum_fold(std::uint32_t sum) noexcept {
  sum = (sum & 0xffffU) + (sum >> 16);
  sum = (sum & 0xffffU) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// The value to store in a checksum field whose bytes were summed as zero.
constexpr std::uint16_t checksum_finish(std::uint32_t sum) noexcept {
  return static_cast<std::uint16_t>(~checksum_fold(sum));
}

// Checksum of one span (its checksum field, if inside, must be zero).
inline std::uint16_t internet_checksum(std::span<const std::byte> bytes) noexcept {
  return checksum_finish(checksum_add(bytes));
}

// True when the bytes, checksum field included, sum to 0xffff (RFC 1071 §1: "the result is
// checked ... if the result is all 1 bits, the check succeeds").
inline bool checksum_verifies(std::span<const std::byte> bytes, std::uint32_t sum = 0) noexcept {
  return checksum_fold(checksum_add(bytes, sum)) == 0xffffU;
}

// The IPv4 pseudo-header of TCP and UDP (RFC 9293 §3.1, RFC 768): source, destination, zero,
// protocol, and the L4 length (header + data), as a partial sum.
constexpr std::uint32_t ipv4_pseudo_header_sum(ipv4_address source, ipv4_address destination,
                                               std::uint8_t protocol,
                                               std::uint16_t l4_length) noexcept {
  return (source.value >> 16) + (source.value & 0xffffU) + (destination.value >> 16) +
         (destination.value & 0xffffU) + protocol + l4_length;
}

// Checksum to store in a TCP/UDP header over IPv4: pseudo-header plus the segment, whose
// checksum field must be zero.
inline std::uint16_t ipv4_l4_checksum(ipv4_address source, ipv4_address destination,
                                      std::uint8_t protocol,
                                      std::span<const std::byte> segment) noexcept {
  return checksum_finish(checksum_add(
      segment, ipv4_pseudo_header_sum(source, destination, protocol,
                                      static_cast<std::uint16_t>(segment.size()))));
}

// True when a received TCP/UDP segment's checksum (pseudo-header included) verifies.
inline bool ipv4_l4_checksum_verifies(ipv4_address source, ipv4_address destination,
                                      std::uint8_t protocol,
                                      std::span<const std::byte> segment) noexcept {
  return checksum_verifies(segment, ipv4_pseudo_header_sum(source, destination, protocol,
                                                           static_cast<std::uint16_t>(segment.size())));
}

// The IPv6 pseudo-header of TCP and ICMPv6 (RFC 8200 §8.1, RFC 4443 §2.3): source,
// destination, the 32-bit upper-layer length, three zero bytes and the Next Header value of the
// upper layer (not of an extension header before it), as a partial sum.
inline std::uint32_t ipv6_pseudo_header_sum(const ipv6_address& source, const ipv6_address& destination,
                                            std::uint8_t next_header,
                                            std::uint32_t upper_layer_length) noexcept {
  const std::uint32_t addresses = checksum_add(std::as_bytes(std::span{source.bytes}),
                                               checksum_add(std::as_bytes(std::span{destination.bytes})));
  return addresses + (upper_layer_length >> 16) + (upper_layer_length & 0xffffU) + next_header;
}

// Checksum to store in a TCP or ICMPv6 header over IPv6: pseudo-header plus the message, whose
// checksum field must be zero.
inline std::uint16_t ipv6_l4_checksum(const ipv6_address& source, const ipv6_address& destination,
                                      std::uint8_t next_header,
                                      std::span<const std::byte> message) noexcept {
  return checksum_finish(checksum_add(
      message, ipv6_pseudo_header_sum(source, destination, next_header,
                                      static_cast<std::uint32_t>(message.size()))));
}

// True when a received TCP or ICMPv6 message's checksum (pseudo-header included) verifies.
inline bool ipv6_l4_checksum_verifies(const ipv6_address& source, const ipv6_address& destination,
                                      std::uint8_t next_header,
                                      std::span<const std::byte> message) noexcept {
  return checksum_verifies(message, ipv6_pseudo_header_sum(source, destination, next_header,
                                                           static_cast<std::uint32_t>(message.size())));
}

// Incremental update when one 16-bit word of the covered data changes from old_word to
// new_word (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')). Unlike eqn. 2 it never produces 0x0000
// from a non-zero sum, so it stays right when the data sums to 0xffff (RFC 1624 §3).
// Limit: when every covered word becomes zero the true checksum is 0xffff and this returns
// 0x0000; use it only where the covered data cannot be all zero (an IPv4 header, a TCP segment
// with its pseudo-header), and sum afresh elsewhere (icmp_input.cc).
constexpr std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_word,
                                          std::uint16_t new_word) noexcept {
  const std::uint32_t sum = static_cast<std::uint16_t>(~checksum) +
                            static_cast<std::uint32_t>(static_cast<std::uint16_t>(~old_word)) +
                            new_word;
  return static_cast<std::uint16_t>(~checksum_fold(sum));
}

// The same for a 32-bit field (an address, a sequence number) aligned on a 16-bit boundary.
constexpr std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                          std::uint32_t new_value) noexcept {
  return checksum_update16(
      checksum_update16(checksum, static_cast<std::uint16_t>(old_value >> 16),
                        static_cast<std::uint16_t>(new_value >> 16)),
      static_cast<std::uint16_t>(old_value & 0xffffU), static_cast<std::uint16_t>(new_value & 0xffffU));
}

}  // namespace rampart::net
