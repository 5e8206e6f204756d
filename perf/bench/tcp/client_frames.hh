#pragma once
// The in-memory client's frames, shared by the TCP benchmarks: real Ethernet + IPv4 + TCP frames
// with both checksums from the client (10.77.0.1) to rampart (10.77.0.2), and the parse of what
// rampart sends back (both checksums verified).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "net/addresses.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/ipv4.hh"
#include "net/tcp_header.hh"

namespace rampart::perf {

inline const net::mac_address client_mac{{0x02, 0, 0, 0, 0, 0x01}};
inline const net::mac_address server_mac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr net::ipv4_address client_ip{0x0a4d0001};  // 10.77.0.1
inline constexpr net::ipv4_address server_ip{0x0a4d0002};  // 10.77.0.2

struct client_segment {
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 80;
  std::uint32_t sequence = 0;
  std::uint32_t acknowledgment = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 65535;
  net::tcp_options options;
  std::span<const std::byte> payload;
  net::ipv4_address source = client_ip;
};

// Ethernet + IPv4 (DF, both checksums) + TCP into out; returns the frame length.
inline std::uint16_t write_client_frame(std::byte* out, std::size_t room, const client_segment& s) noexcept {
  const std::span<std::byte> frame{out, room};
  net::write_ethernet_header(frame, {server_mac, client_mac, net::ether_type::ipv4});
  const std::size_t tcp_length = net::tcp_min_header_length + net::tcp_options_length(s.options) + s.payload.size();
  net::ipv4_header ip;
  ip.total_length = static_cast<std::uint16_t>(net::ipv4_min_header_length + tcp_length);
  ip.dont_fragment = true;
  ip.protocol = net::ip_protocol::tcp;
  ip.source = s.source;
  ip.destination = server_ip;
  net::write_ipv4_header(frame.subspan(net::ethernet_header_length), ip, true);
  net::tcp_header tcp;
  tcp.source_port = s.client_port;
  tcp.destination_port = s.server_port;
  tcp.sequence = net::seq32{s.sequence};
  tcp.acknowledgment = net::seq32{s.acknowledgment};
  tcp.flags = s.flags;
  tcp.window = s.window;
  const std::span<std::byte> l4 = frame.subspan(net::ethernet_header_length + net::ipv4_min_header_length, tcp_length);
  const std::size_t header_length = net::write_tcp_header(l4, tcp, s.options);
  if (!s.payload.empty()) {
    std::memcpy(l4.data() + header_length, s.payload.data(), s.payload.size());
  }
  net::store_be16(l4.data() + 16, net::ipv4_l4_checksum(s.source, server_ip, net::ip_protocol::tcp, l4));
  return static_cast<std::uint16_t>(net::ethernet_header_length + net::ipv4_min_header_length + tcp_length);
}

// What the client reads from a frame rampart sent; ok only when Ethernet, IPv4 and TCP parse,
// it is addressed to the client and both checksums verify.
struct server_segment {
  bool ok = false;
  net::tcp_header tcp;
  net::tcp_options options;
  std::span<const std::byte> payload;
};

inline server_segment read_server_frame(std::span<const std::byte> frame) noexcept {
  server_segment out;
  if (frame.size() < net::ethernet_header_length + net::ipv4_min_header_length) {
    return out;
  }
  const auto ip = net::ipv4_view::parse(frame.subspan(net::ethernet_header_length));
  if (!ip.ok() || ip->source() != server_ip || ip->protocol() != net::ip_protocol::tcp) {
    return out;
  }
  const auto tcp = net::tcp_view::parse(ip->payload());
  if (!tcp.ok() || !net::ipv4_l4_checksum_verifies(ip->source(), ip->destination(), net::ip_protocol::tcp,
                                                   ip->payload())) {
    return out;
  }
  out.ok = true;
  out.tcp = tcp->header();
  out.options = tcp->options();
  out.payload = tcp->payload();
  return out;
}

}  // namespace rampart::perf
