#include "reply.hh"

#include <algorithm>
#include <cstring>

#include "net/byte_order.hh"
#include "net/checksum.hh"

namespace rampart::tcp {

std::size_t write_segment(std::span<std::byte> out, const segment_endpoints& endpoints, const reply_fields& fields,
                          std::uint16_t payload_length, std::uint16_t ip_id, const packet::tx_offload_caps& offload,
                          packet::tx_offload_request& requested) noexcept {
  const std::size_t options_length = net::tcp_options_length(fields.options);
  const std::size_t tcp_length = net::tcp_min_header_length + options_length + payload_length;
  const std::size_t ip_length = net::ipv4_min_header_length + tcp_length;
  const std::size_t length = net::ethernet_header_length + ip_length;
  const std::size_t padded = std::max(length, net::ethernet_min_frame_length);
  if (padded > out.size()) {
    return 0;
  }
  net::write_ethernet_header(out, {endpoints.destination_mac, endpoints.source_mac, net::ether_type::ipv4});

  net::ipv4_header ip;
  ip.total_length = static_cast<std::uint16_t>(ip_length);
  ip.identification = ip_id;
  ip.dont_fragment = true;  // RFC 9293 §3.7.2 / RFC 1191: TCP segments are sent with DF set
  ip.protocol = net::ip_protocol::tcp;
  ip.source = endpoints.source_ip;
  ip.destination = endpoints.destination_ip;
  const std::span<std::byte> l3 = out.subspan(net::ethernet_header_length);
  net::write_ipv4_header(l3, ip, false);
  // The IPv4 checksum from the values just written rather than a pass over the bytes: its
  // address words are the TCP pseudo-header's too, so they are summed once. The TCP header's
  // sum comes from its writer the same way (write_tcp_header_summed).
  const std::uint32_t addresses = net::ipv4_pseudo_header_sum(ip.source, ip.destination, 0, 0);
  if (!offload.ipv4_checksum) {
    // The words of the header write_ipv4_header emits: version/IHL with DSCP/ECN 0, total
    // length, ID, flags (DF) with offset 0, TTL/protocol, a zero checksum, the addresses.
    const std::uint32_t ip_sum = 0x4500U + ip.total_length + ip.identification + 0x4000U +
                                 (std::uint32_t{ip.ttl} << 8 | ip.protocol) + addresses;
    net::store_be16(l3.data() + 10, net::checksum_finish(ip_sum));
  }

  net::tcp_header tcp;
  tcp.source_port = endpoints.source_port;
  tcp.destination_port = endpoints.destination_port;
  tcp.sequence = fields.sequence;
  tcp.acknowledgment = (fields.flags & net::tcp_flag::ack) != 0 ? fields.acknowledgment : net::seq32{0};
  tcp.flags = fields.flags;
  tcp.window = fields.window;
  const std::span<std::byte> l4 = l3.subspan(net::ipv4_min_header_length, tcp_length);
  const net::written_tcp_header header = net::write_tcp_header_summed(l4, tcp, fields.options);
  std::byte* checksum_field = l4.data() + 16;
  const std::uint32_t pseudo = addresses + net::ip_protocol::tcp + static_cast<std::uint32_t>(tcp_length);
  if (offload.tcp_checksum) {
    // RTE_MBUF_F_TX_TCP_CKSUM contract: the field holds the pseudo-header sum, folded, not
    // complemented; the NIC adds the segment and complements.
    net::store_be16(checksum_field, net::checksum_fold(pseudo));
  } else {
    // The header is a whole number of 32-bit words, so the payload's words start even.
    net::store_be16(checksum_field,
                    net::checksum_finish(net::checksum_add(l4.subspan(header.length), pseudo + header.sum)));
  }
  if (padded > length) {
    std::memset(out.data() + length, 0, padded - length);
  }
  requested = {offload.ipv4_checksum, offload.tcp_checksum, static_cast<std::uint8_t>(net::ethernet_header_length),
               static_cast<std::uint8_t>(net::ipv4_min_header_length)};
  return padded;
}

packet::verdict write_reply(const segment& seg, const reply_fields& fields, std::uint16_t ip_id,
                            const packet::tx_offload_caps& offload) noexcept {
  packet::frame& f = *seg.frame;
  segment_endpoints endpoints;
  // Back to the neighbour that sent it: its source MAC (bytes 6-11) becomes our destination.
  std::memcpy(endpoints.destination_mac.bytes.data(), f.data + 6, 6);
  std::memcpy(endpoints.source_mac.bytes.data(), f.data, 6);
  endpoints.source_ip = seg.ip.destination;
  endpoints.destination_ip = seg.ip.source;
  endpoints.source_port = seg.tcp.destination_port;
  endpoints.destination_port = seg.tcp.source_port;
  const std::size_t length = write_segment({f.data, f.capacity}, endpoints, fields, 0, ip_id, offload, f.offload);
  if (length == 0) {
    return {packet::action::drop, stats::drop_reason::tcp_reply_too_large};
  }
  f.length = static_cast<std::uint16_t>(length);
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
