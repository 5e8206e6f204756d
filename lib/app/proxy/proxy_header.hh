#pragma once
// The PROXY protocol header a proxy puts before the first byte it relays to a backend, so the
// backend learns the real client's addresses and ports (HAProxy, "The PROXY protocol, Versions
// 1 & 2", 2020/03/05). Writers only: rampart sends the header, it never receives one.
//
// Every writer fills the front of a caller's span and returns the header's length, or 0 when the
// span is too short (what it wrote then is no header). No allocation: headers are built per
// connection.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/addresses.hh"

namespace rampart::app::proxy {

// The client's connection as the backend would have seen it had the client connected directly:
// source = the client, destination = the address and port the client connected to (§2).
struct ipv4_endpoints {
  net::ipv4_address source;
  net::ipv4_address destination;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
};

using ipv6_address = std::array<std::uint8_t, 16>;  // network order, as on the wire

struct ipv6_endpoints {
  ipv6_address source{};
  ipv6_address destination{};
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
};

// §2.1: the longest line a receiver must accept, CRLF included ("PROXY UNKNOWN" with two IPv6
// addresses and two ports). A buffer this long takes every v1 line these writers produce (the
// longest, TCP6 with two full IPv6 addresses, is 104 bytes).
inline constexpr std::size_t proxy_v1_max_length = 107;
// §2.2: the 16-byte fixed part and the address block of TCP over IPv4 (12) or IPv6 (36).
inline constexpr std::size_t proxy_v2_ipv4_length = 16 + 12;
inline constexpr std::size_t proxy_v2_ipv6_length = 16 + 36;

// §2.1: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n" (at most 56 bytes).
std::size_t write_proxy_v1(std::span<std::byte> out, const ipv4_endpoints& endpoints) noexcept;
// §2.1: "PROXY TCP6 <source> <destination> <ports>\r\n", addresses in the RFC 5952 text form.
std::size_t write_proxy_v1(std::span<std::byte> out, const ipv6_endpoints& endpoints) noexcept;
// §2.1: "PROXY UNKNOWN\r\n", the short form, for a connection whose addresses cannot be given.
std::size_t write_proxy_v1_unknown(std::span<std::byte> out) noexcept;

// §2.2: signature, version 2 + PROXY, TCP over IPv4 (0x11), length 12, addresses, ports.
std::size_t write_proxy_v2(std::span<std::byte> out, const ipv4_endpoints& endpoints) noexcept;
// §2.2: the same with TCP over IPv6 (0x21), length 36.
std::size_t write_proxy_v2(std::span<std::byte> out, const ipv6_endpoints& endpoints) noexcept;
// §2.2: version 2 + LOCAL, AF_UNSPEC/UNSPEC, no address: the proxy's own connection (a health
// check), which the backend accepts with the real endpoints. 16 bytes.
std::size_t write_proxy_v2_local(std::span<std::byte> out) noexcept;

}  // namespace rampart::app::proxy
