#pragma once
// ARP for IPv4 over Ethernet (RFC 826), the only combination rampart speaks.
//
//   0        2        4    5    6        8             14        18            24        28
//   +--------+--------+----+----+--------+-------------+---------+-------------+---------+
//   | htype  | ptype  |hlen|plen|  op    | sender MAC  |sender IP| target MAC  |target IP|
//   | =1     | =0x0800| =6 | =4 |        |             |         |             |         |
//   +--------+--------+----+----+--------+-------------+---------+-------------+---------+
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/addresses.hh"
#include "net/parse_result.hh"

namespace rampart::net {

inline constexpr std::size_t arp_ipv4_length = 28;

namespace arp_op {
inline constexpr std::uint16_t request = 1;
inline constexpr std::uint16_t reply = 2;
}  // namespace arp_op

// Validated fields of an Ethernet/IPv4 ARP packet.
struct arp_packet {
  std::uint16_t operation = 0;
  mac_address sender_mac;
  ipv4_address sender_ip;
  mac_address target_mac;
  ipv4_address target_ip;
};

class arp_view {
 public:
  // Errors: arp_malformed (fewer than 28 bytes, or htype ≠ 1 Ethernet, ptype ≠ 0x0800,
  // hlen ≠ 6, plen ≠ 4). The operation is not checked here: RFC 826 merges the sender before
  // looking at it, so the caller decides.
  static parse_result<arp_view> parse(std::span<const std::byte> bytes) noexcept;

  std::uint16_t operation() const noexcept;
  mac_address sender_mac() const noexcept;
  ipv4_address sender_ip() const noexcept;
  mac_address target_mac() const noexcept;
  ipv4_address target_ip() const noexcept;
  arp_packet packet() const noexcept;

 private:
  explicit arp_view(const std::byte* p) noexcept : _p(p) {}
  const std::byte* _p;  // 28 bytes checked by parse
};

// Writes the 28-byte Ethernet/IPv4 ARP body at the start of out; returns 28, or 0 when out is
// shorter. out may alias the packet the fields came from.
std::size_t write_arp(std::span<std::byte> out, const arp_packet& packet) noexcept;

}  // namespace rampart::net
