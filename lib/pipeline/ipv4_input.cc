#include "pipeline/ipv4_input.hh"

#include <span>

#include "net/ethernet.hh"
#include "net/ipv4.hh"
#include "pipeline/icmp_input.hh"

namespace rampart::pipeline {

bool is_martian_source(net::ipv4_address source, const net::ipv4_interface_address& ours) noexcept {
  const std::uint32_t first_octet = source.value >> 24;
  if (first_octet == 0 || source.is_loopback() || source.is_multicast() || first_octet >= 240) {
    return true;
  }
  if (ours.prefix_length <= 30 && source == ours.subnet_broadcast()) {
    return true;
  }
  return source == ours.address;
}

std::optional<packet::verdict> ipv4_input(lcore_context& ctx, packet::frame& f, std::uint32_t frame_index,
                                  packet::tcp_segment_batch& tcp, std::uint64_t now_ns) noexcept {
  using stats::drop_reason;
  const std::span<const std::byte> bytes{f.data, f.length};
  const auto ip = net::ipv4_view::parse(bytes.subspan(net::ethernet_header_length));
  if (!ip) {
    return packet::verdict{packet::action::drop, ip.error()};
  }
  // RFC 1122 3.3.2 lets a host reassemble; rampart does not (no state on the flood path), and
  // TCP peers doing PMTU discovery send DF segments anyway.
  if (ip->is_fragment()) {
    return packet::verdict{packet::action::drop, drop_reason::ipv4_fragment};
  }
  // RFC 1122 §3.3.6: a datagram received via a link-layer broadcast or multicast whose IP
  // destination is not a broadcast or multicast address SHOULD be silently discarded. Answering
  // it would also put the broadcast address in our reply's source MAC (found by test/fuzz).
  if (net::load_mac(f.data).is_multicast()) {
    return packet::verdict{packet::action::drop, drop_reason::ipv4_link_broadcast};
  }
  if (is_martian_source(ip->source(), ctx.identity.ip)) {
    return packet::verdict{packet::action::drop, drop_reason::ipv4_martian_source};
  }
  // RFC 1122 3.3.6 allows answering nothing to broadcasts; rampart serves one address.
  if (ip->destination() != ctx.identity.ip.address) {
    return packet::verdict{packet::action::drop, drop_reason::ipv4_not_our_address};
  }
  switch (ip->protocol()) {
    case net::ip_protocol::icmp:
      return icmp_input(ctx, f, *ip, now_ns);
    case net::ip_protocol::tcp: {
      // process_burst hands the batch over every `capacity` frames, so it is never full there;
      // the check keeps a direct caller from writing past the array.
      if (tcp.count == packet::tcp_segment_batch::capacity) [[unlikely]] {
        return packet::verdict{packet::action::drop, drop_reason::tcp_unhandled};
      }
      tcp.push(packet::describe_tcp_segment(frame_index, *ip));
      return std::nullopt;
    }
    default:
      return packet::verdict{packet::action::drop, drop_reason::ipv4_unsupported_protocol};
  }
}

}  // namespace rampart::pipeline
