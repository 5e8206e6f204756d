#pragma once
// Writing TCP segments as whole Ethernet frames. Two uses share one writer:
//  - write_reply rewrites the frame a segment arrived in (no allocation on any reply path, the
//    SYN flood's included): back to the L2 neighbour it came from, from the address and port it
//    was sent to;
//  - write_segment fills a fresh buffer for what a connection sends on its own (data, ACKs,
//    FIN, retransmissions), its payload already copied in place.
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/addresses.hh"
#include "net/ethernet.hh"
#include "net/ipv4.hh"
#include "net/seq32.hh"
#include "net/tcp_header.hh"
#include "packet/frame.hh"
#include "segment.hh"

namespace rampart::tcp {

struct reply_fields {
  net::seq32 sequence;
  net::seq32 acknowledgment;  // written only when flags has ACK (0 otherwise, RFC 9293 §3.1)
  std::uint8_t flags = 0;
  std::uint16_t window = 0;   // as on the wire (already scaled down)
  net::tcp_options options;
};

// Who a segment goes from and to (host order).
struct segment_endpoints {
  net::mac_address source_mac;
  net::mac_address destination_mac;
  net::ipv4_address source_ip;
  net::ipv4_address destination_ip;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
};

// Bytes before the payload: Ethernet, a 20-byte IPv4 header, TCP with `fields.options`.
inline std::size_t segment_header_length(const reply_fields& fields) noexcept {
  return net::ethernet_header_length + net::ipv4_min_header_length + net::tcp_min_header_length +
         net::tcp_options_length(fields.options);
}

// Writes Ethernet, IPv4 (ID `ip_id`, TTL 64, DF, no options, DSCP/ECN zero) and TCP headers at
// the start of `out`, for `payload_length` data bytes that already sit at
// out[segment_header_length(fields)]; pads to the 60-byte Ethernet minimum with zeros. Checksums:
// the NIC's when `offload` offers them (the TCP field then holds the pseudo-header sum and
// `requested` says what to do), software otherwise. Returns the frame length, or 0 (nothing
// written) when it exceeds out.size().
std::size_t write_segment(std::span<std::byte> out, const segment_endpoints& endpoints, const reply_fields& fields,
                          std::uint16_t payload_length, std::uint16_t ip_id, const packet::tx_offload_caps& offload,
                          packet::tx_offload_request& requested) noexcept;

// Rewrites seg.frame into the reply `fields` (no data) with write_segment, addressed back to
// where the segment came from. Errors: tcp_reply_too_large (drop verdict, frame untouched) when
// the reply exceeds frame.capacity.
packet::verdict write_reply(const segment& seg, const reply_fields& fields, std::uint16_t ip_id,
                            const packet::tx_offload_caps& offload) noexcept;

// RFC 9293 §3.10.7.1 reset for a segment that has no connection: <SEQ=SEG.ACK><CTL=RST> when
// it carries an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
reply_fields reset_for(const segment& seg) noexcept;

}  // namespace rampart::tcp
