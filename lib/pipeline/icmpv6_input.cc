#include "pipeline/icmpv6_input.hh"

#include <span>

#include "ndp_output.hh"
#include "net/ethernet.hh"
#include "net/icmpv6.hh"
#include "net/ndp.hh"
#include "pipeline/ipv6_input.hh"

namespace rampart::pipeline {

namespace {

using stats::drop_reason;

// RFC 4443 §4.2: the reply carries the request's identifier, sequence and data; its source is
// the address the request was sent to, or, sent to all-nodes, ours of the requester's scope.
packet::verdict echo_reply(lcore_context& ctx, packet::frame& f, const net::ipv6_view& ip,
                           const net::icmpv6_view& request) noexcept {
  const ipv6_identity& ours = *ctx.identity.ipv6;
  const net::ipv6_header& in = ip.header();
  net::ipv6_header reply;
  if (in.destination.is_multicast()) {
    reply.source = in.source.is_link_local() ? ours.link_local : ours.global.address;
  } else {
    reply.source = in.destination;
  }
  reply.destination = in.source;
  // ECN bits are not reflected (RFC 3168 §5: they describe the request's path), as for IPv4.
  reply.traffic_class = static_cast<std::uint8_t>(in.traffic_class & 0xfc);
  reply.next_header = net::ipv6_next_header::icmpv6;
  std::byte* const l3 = f.data + net::ethernet_header_length;
  const std::span<std::byte> message_room{l3 + net::ipv6_header_length,
                                          f.capacity - net::ethernet_header_length - net::ipv6_header_length};
  // The data moves up over the extension headers, if there were any (they are not echoed).
  reply.payload_length = static_cast<std::uint16_t>(
      net::write_icmpv6_echo(message_room, reply.source, reply.destination, net::icmpv6_type::echo_reply,
                             request.identifier(), request.sequence(), request.data()));
  net::write_ipv6_header({l3, net::ipv6_header_length}, reply);
  const net::mac_address requester = net::load_mac(f.data + 6);
  net::write_ethernet_header({f.data, net::ethernet_header_length},
                             {requester, ctx.identity.mac, net::ether_type::ipv6});
  f.length = static_cast<std::uint16_t>(net::ethernet_header_length + net::ipv6_header_length + reply.payload_length);
  f.offload = {};
  ctx.stats->icmpv6_echo_replied.add();
  return {packet::action::transmit, {}};
}

// RFC 4861 §7.2.3-7.2.4.
packet::verdict solicitation_input(lcore_context& ctx, packet::frame& f, const net::ipv6_view& ip,
                                   const net::icmpv6_view& icmp) noexcept {
  const auto solicitation = net::parse_neighbor_solicitation(ip.header(), icmp);
  if (!solicitation) {
    return {packet::action::drop, solicitation.error()};
  }
  if (!is_our_ipv6_address(*ctx.identity.ipv6, solicitation->target)) {
    return {packet::action::drop, drop_reason::ndp_target_not_ours};
  }
  // TODO(ipv6-neighbours): §7.2.3 asks to cache the solicitor's link-layer address; the answer
  // goes straight to it, and the IPv6 neighbour cache comes with the traffic rampart originates
  // over IPv6 (TCP).
  const net::ipv6_address solicitor = ip.source();
  const bool probe = solicitor.is_unspecified();  // §7.2.4: answer a DAD probe to all-nodes
  const net::ipv6_address destination = probe ? net::ipv6_address::all_nodes() : solicitor;
  const net::mac_address destination_mac =
      probe ? destination.multicast_mac() : solicitation->source_link_layer.value_or(net::load_mac(f.data + 6));
  const std::uint16_t length = write_advertisement_frame(ctx.identity.mac, destination_mac, destination,
                                                         solicitation->target, !probe, {f.data, f.capacity});
  if (length == 0) {
    return {packet::action::drop, drop_reason::icmpv6_reply_too_large};
  }
  f.length = length;
  f.offload = {};
  ctx.stats->ndp_solicitations_answered.add();
  return {packet::action::transmit, {}};
}

// RFC 4861 §7.2.5: without an entry for the target the advertisement is discarded. One that
// claims our own address for another MAC means a duplicate (RFC 4862 §5.4.4); rampart keeps its
// address and counts it, for the operator to act.
packet::verdict advertisement_input(lcore_context& ctx, const packet::frame& f, const net::ipv6_view& ip,
                                    const net::icmpv6_view& icmp) noexcept {
  const auto advertisement = net::parse_neighbor_advertisement(ip.header(), icmp);
  if (!advertisement) {
    return {packet::action::drop, advertisement.error()};
  }
  const net::mac_address claimant = advertisement->target_link_layer.value_or(net::load_mac(f.data + 6));
  if (is_our_ipv6_address(*ctx.identity.ipv6, advertisement->target) && claimant != ctx.identity.mac) {
    ctx.stats->ndp_address_conflicts.add();
    return packet::consumed();
  }
  return {packet::action::drop, drop_reason::ndp_advertisement_no_entry};
}

// RFC 4443 §2.4 (b): an error goes to the upper layer that sent the quoted packet.
packet::verdict error_input(lcore_context& ctx, const net::icmpv6_view& icmp) noexcept {
  const auto quote = net::parse_icmpv6_quoted_tcp(icmp);
  if (!quote) {
    return {packet::action::drop, quote.error()};
  }
  if (!is_our_ipv6_address(*ctx.identity.ipv6, quote->source)) {
    return {packet::action::drop, drop_reason::icmpv6_error_not_ours};
  }
  // TODO(ipv6-tcp): Packet Too Big lowers the connection's MSS (RFC 8201) once TCP runs over IPv6.
  return {packet::action::drop, drop_reason::icmpv6_error_ignored};
}

}  // namespace

packet::verdict icmpv6_input(lcore_context& ctx, packet::frame& f, const net::ipv6_view& ip,
                             const net::ipv6_upper_layer& upper) noexcept {
  const auto icmp = net::icmpv6_view::parse(ip.source(), ip.destination(), upper.message);
  if (!icmp) {
    return {packet::action::drop, icmp.error()};
  }
  const std::uint8_t type = icmp->type();
  // :: only probes for a duplicate (RFC 4862 §5.4.2); our own address as a source only comes
  // from a node that claims it too, in its advertisement.
  if ((ip.source().is_unspecified() && type != net::icmpv6_type::neighbor_solicitation) ||
      (is_our_ipv6_address(*ctx.identity.ipv6, ip.source()) && type != net::icmpv6_type::neighbor_advertisement)) {
    return {packet::action::drop, drop_reason::ipv6_martian_source};
  }
  if (net::is_icmpv6_error(type)) {
    return error_input(ctx, *icmp);
  }
  switch (type) {
    case net::icmpv6_type::echo_request:
      return echo_reply(ctx, f, ip, *icmp);
    case net::icmpv6_type::neighbor_solicitation:
      return solicitation_input(ctx, f, ip, *icmp);
    case net::icmpv6_type::neighbor_advertisement:
      return advertisement_input(ctx, f, ip, *icmp);
    default:
      return {packet::action::drop, drop_reason::icmpv6_unsupported_type};
  }
}

}  // namespace rampart::pipeline
