#include "pipeline/ipv6_input.hh"

#include <span>

#include "net/ethernet.hh"
#include "net/ipv6.hh"
#include "pipeline/icmpv6_input.hh"

namespace rampart::pipeline {

packet::verdict ipv6_input(lcore_context& ctx, packet::frame& f) noexcept {
  using stats::drop_reason;
  const ipv6_identity& ours = *ctx.identity.ipv6;
  const std::span<const std::byte> bytes{f.data, f.length};
  const auto ip = net::ipv6_view::parse(bytes.subspan(net::ethernet_header_length));
  if (!ip) {
    return {packet::action::drop, ip.error()};
  }
  if (is_martian_ipv6_source(ip->source())) {
    return {packet::action::drop, drop_reason::ipv6_martian_source};
  }
  const net::ipv6_address& destination = ip->destination();
  const bool to_group = destination == net::ipv6_address::all_nodes() ||
                        destination == ours.global.address.solicited_node() ||
                        destination == ours.link_local.solicited_node();
  if (!to_group && !is_our_ipv6_address(ours, destination)) {
    return {packet::action::drop, drop_reason::ipv6_not_our_address};
  }
  // The rule RFC 1122 §3.3.6 states for IPv4: a unicast packet in a link-layer multicast or
  // broadcast frame is not meant for us as sent; answering would reply to a frame every host saw.
  if (!to_group && net::load_mac(f.data).is_multicast()) {
    return {packet::action::drop, drop_reason::ipv6_link_multicast};
  }
  const auto upper = net::find_upper_layer(*ip);
  if (!upper) {
    return {packet::action::drop, upper.error()};
  }
  if (upper->protocol == net::ipv6_next_header::icmpv6) {
    return icmpv6_input(ctx, f, *ip, *upper);
  }
  // TCP: what is left after the walk (find_upper_layer refuses every other protocol).
  if (to_group) {
    return {packet::action::drop, drop_reason::ipv6_not_our_address};
  }
  if (ip->source().is_unspecified() || is_our_ipv6_address(ours, ip->source())) {
    return {packet::action::drop, drop_reason::ipv6_martian_source};
  }
  // TODO(ipv6-tcp): hand the segment to lib/tcp once flow keys hold IPv6 addresses.
  return {packet::action::drop, drop_reason::ipv6_tcp_unhandled};
}

}  // namespace rampart::pipeline
