#pragma once
// Writes a reply segment over the frame a segment arrived in: no allocation on any reply path,
// the SYN flood's included. The reply goes back to the L2 neighbour the frame came from (MACs
// swapped, no ARP lookup), from the address and port it was sent to.
#include <cstdint>

#include "net/seq32.hh"
#include "net/tcp_header.hh"
#include "packet/frame.hh"
#include "tcp/segment.hh"

namespace rampart::tcp {

struct reply_fields {
  net::seq32 sequence;
  net::seq32 acknowledgment;  // written only when flags has ACK (0 otherwise, RFC 9293 §3.1)
  std::uint8_t flags = 0;
  std::uint16_t window = 0;   // as on the wire (already scaled down)
  net::tcp_options options;
};

// Rewrites seg.frame into: Ethernet (MACs swapped), a fresh 20-byte IPv4 header (ID `ip_id`,
// TTL 64, DF, no options, DSCP/ECN zero), the TCP header with `fields` and no data; pads to the
// 60-byte Ethernet minimum with zeros. Checksums: the NIC's when `offload` offers them (the TCP
// field then holds the pseudo-header sum, frame.offload says what to do), software otherwise.
// Errors: tcp_reply_too_large (drop verdict, frame untouched) when the reply exceeds
// frame.capacity.
packet::verdict write_reply(const segment& seg, const reply_fields& fields, std::uint16_t ip_id,
                              const packet::tx_offload_caps& offload) noexcept;

// RFC 9293 §3.10.7.1 reset for a segment that has no connection: <SEQ=SEG.ACK><CTL=RST> when
// it carries an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
reply_fields reset_for(const segment& seg) noexcept;

}  // namespace rampart::tcp
