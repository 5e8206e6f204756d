#pragma once
// Frames rampart-load sends and receives: Ethernet + IPv4 + TCP with options (software
// checksums: the generator must not depend on a port's offloads), and ARP. Built with and parsed
// by lib/net, so the generator and the engine share one reading of the wire format.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/addresses.hh"
#include "net/arp.hh"
#include "net/tcp_header.hh"

namespace rampart::load {

struct link_pair {
  net::mac_address source;
  net::mac_address destination;
};

// One TCP segment to put on the wire.
struct tcp_segment_spec {
  link_pair link;
  net::ipv4_address source_ip;
  net::ipv4_address destination_ip;
  net::tcp_header header;  // header_length and checksum are computed
  net::tcp_options options;
  std::span<const std::byte> payload;
  std::uint16_t ip_id = 0;
};

// Writes the frame at the start of out, padded to the Ethernet minimum (60 bytes), with
// correct IPv4 and TCP checksums. Returns its length, or 0 when out is too short.
std::size_t build_tcp_frame(std::span<std::byte> out, const tcp_segment_spec& spec) noexcept;

// One ICMP echo request or reply to put on the wire.
struct icmp_echo_spec {
  link_pair link;
  net::ipv4_address source_ip;
  net::ipv4_address destination_ip;
  std::uint8_t type = 8;  // net::icmp_type::echo_request
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  std::size_t data_length = 0;  // zero bytes after the 8-byte header
  std::uint16_t ip_id = 0;
};

// Writes the frame at the start of out, padded to the Ethernet minimum, with correct IPv4 and
// ICMP checksums. Returns its length, or 0 when out is too short.
std::size_t build_icmp_echo_frame(std::span<std::byte> out, const icmp_echo_spec& spec) noexcept;

// An ARP request (to broadcast) or reply (to the asker) as a whole frame; returns its length
// (60) or 0 when out is too short.
std::size_t build_arp_frame(std::span<std::byte> out, const net::mac_address& ethernet_destination,
                            const net::arp_packet& arp) noexcept;

// A received TCP segment with verified IPv4 and TCP checksums.
struct rx_tcp {
  net::mac_address source_mac;
  net::ipv4_address source_ip;
  net::ipv4_address destination_ip;
  net::tcp_header header;
  net::tcp_options options;
  std::span<const std::byte> payload;
};

// A received ICMP echo reply with verified IPv4 and ICMP checksums.
struct rx_echo_reply {
  net::ipv4_address source_ip;
  net::ipv4_address destination_ip;
};

// What a received frame is, for the generator's dispatch.
struct rx_frame {
  enum class kind : std::uint8_t { tcp, echo_reply, arp, other, malformed };
  kind what = kind::other;
  rx_tcp tcp;                // when tcp
  rx_echo_reply echo_reply;  // when echo_reply
  net::arp_packet arp;       // when arp
};

// Classifies one frame: IPv4/TCP or an ICMP echo reply with good checksums, ARP, something else
// (IPv6, UDP, other ICMP, ...), or malformed (a length or checksum that does not verify).
rx_frame parse_frame(std::span<const std::byte> frame) noexcept;

}  // namespace rampart::load
