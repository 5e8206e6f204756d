#include "tcp/reply.hh"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>

#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/ipv4.hh"

namespace rampart::tcp {

packet::verdict write_reply(const segment& seg, const reply_fields& fields, std::uint16_t ip_id,
                              const packet::tx_offload_caps& offload) noexcept {
  packet::frame& f = *seg.frame;
  const std::size_t options_length = net::tcp_options_length(fields.options);
  const std::size_t tcp_length = net::tcp_min_header_length + options_length;
  const std::size_t ip_length = net::ipv4_min_header_length + tcp_length;
  const std::size_t length = net::ethernet_header_length + ip_length;
  const std::size_t padded = std::max(length, net::ethernet_min_frame_length);
  if (padded > f.capacity) {
    return {packet::action::drop, stats::drop_reason::tcp_reply_too_large};
  }
  const std::span<std::byte> out{f.data, padded};

  // Ethernet: back to the neighbour that sent it. The EtherType stays IPv4.
  std::array<std::byte, 6> mac;
  std::memcpy(mac.data(), f.data, 6);
  std::memmove(f.data, f.data + 6, 6);
  std::memcpy(f.data + 6, mac.data(), 6);

  net::ipv4_header ip;
  ip.total_length = static_cast<std::uint16_t>(ip_length);
  ip.identification = ip_id;
  ip.dont_fragment = true;  // RFC 9293 §3.7.2 / RFC 1191: TCP segments are sent with DF set
  ip.protocol = net::ip_protocol::tcp;
  ip.source = seg.ip.destination;
  ip.destination = seg.ip.source;
  const std::span<std::byte> l3 = out.subspan(net::ethernet_header_length);
  net::write_ipv4_header(l3, ip, false);
  // The IPv4 checksum from the values just written rather than a pass over the bytes; its
  // address words are the TCP pseudo-header's too (docs/performance.md: -44 instructions and
  // about -5 ns per SYN-ACK; summing the TCP header from its values did not pay, so it is not).
  const std::uint32_t addresses = net::ipv4_pseudo_header_sum(ip.source, ip.destination, 0, 0);
  if (!offload.ipv4_checksum) {
    // The words of the header write_ipv4_header emits: version/IHL with DSCP/ECN 0, total
    // length, ID, flags (DF) with offset 0, TTL/protocol, a zero checksum, the addresses.
    const std::uint32_t ip_sum = 0x4500U + ip.total_length + ip.identification + 0x4000U +
                                 (std::uint32_t{ip.ttl} << 8 | ip.protocol) + addresses;
    net::store_be16(l3.data() + 10, net::checksum_finish(ip_sum));
  }

  net::tcp_header tcp;
  tcp.source_port = seg.tcp.destination_port;
  tcp.destination_port = seg.tcp.source_port;
  tcp.sequence = fields.sequence;
  tcp.acknowledgment = (fields.flags & net::tcp_flag::ack) != 0 ? fields.acknowledgment : net::seq32{0};
  tcp.flags = fields.flags;
  tcp.window = fields.window;
  const std::span<std::byte> l4 = l3.subspan(net::ipv4_min_header_length, tcp_length);
  net::write_tcp_header(l4, tcp, fields.options);
  std::byte* checksum_field = l4.data() + 16;
  const std::uint32_t pseudo = addresses + net::ip_protocol::tcp + static_cast<std::uint32_t>(tcp_length);
  if (offload.tcp_checksum) {
    // RTE_MBUF_F_TX_TCP_CKSUM contract: the field holds the pseudo-header sum, folded, not
    // complemented; the NIC adds the segment and complements.
    net::store_be16(checksum_field, net::checksum_fold(pseudo));
  } else {
    net::store_be16(checksum_field, net::checksum_finish(net::checksum_add(l4, pseudo)));
  }
  if (padded > length) {
    std::memset(f.data + length, 0, padded - length);
  }
  f.length = static_cast<std::uint16_t>(padded);
  f.offload = {offload.ipv4_checksum, offload.tcp_checksum,
               static_cast<std::uint8_t>(net::ethernet_header_length),
               static_cast<std::uint8_t>(net::ipv4_min_header_length)};
  return {packet::action::transmit, {}};
}

reply_fields reset_for(const segment& seg) noexcept {
  reply_fields r;
  if (seg.has(net::tcp_flag::ack)) {
    r.sequence = seg.tcp.acknowledgment;
    r.flags = net::tcp_flag::rst;
  } else {
    r.sequence = net::seq32{0};
    r.acknowledgment = seg.tcp.sequence + seg.sequence_length();
    r.flags = net::tcp_flag::rst | net::tcp_flag::ack;
  }
  return r;
}

}  // namespace rampart::tcp
