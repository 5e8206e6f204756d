#pragma once
// Step: an IPv6 frame (classify said EtherType 0x86dd, to our MAC, broadcast or a group we join;
// only when the port has IPv6 addresses).
#include "net/addresses.hh"
#include "packet/frame.hh"
#include "pipeline/pipeline.hh"

namespace rampart::pipeline {

// Whether `address` is one of the port's: its global address or its link-local one.
constexpr bool is_our_ipv6_address(const ipv6_identity& ours, const net::ipv6_address& address) noexcept {
  return address == ours.global.address || address == ours.link_local;
}

// Sources no packet may carry whatever it is: multicast (RFC 4291 §2.7), loopback (§2.5.3: never
// sent on a link) and IPv4-mapped (RFC 4291 §2.5.5.2, RFC 6890). The unspecified address and our
// own are refused later, outside Neighbor Discovery, which gives them a meaning (icmpv6_input).
constexpr bool is_martian_ipv6_source(const net::ipv6_address& source) noexcept {
  return source.is_multicast() || source.is_loopback() || source.is_ipv4_mapped();
}

// Validates the fixed header (ipv6_view::parse), refuses martian sources, destinations other
// than ours (unicast: the global or link-local address; multicast: all-nodes or the
// solicited-node group of either, for ICMPv6 only) and unicast packets that came as link-layer
// multicast, walks the extension headers (net::find_upper_layer) and dispatches: ICMPv6 to
// icmpv6_input; TCP dropped (served over IPv4 only for now).
// Errors: ipv6_truncated, ipv6_bad_version, ipv6_bad_payload_length, ipv6_martian_source,
// ipv6_not_our_address, ipv6_link_multicast, every error of find_upper_layer, ipv6_tcp_unhandled,
// and icmpv6_input's. ctx.identity.ipv6 must be set (classify sends nothing here otherwise).
packet::verdict ipv6_input(lcore_context& ctx, packet::frame& f) noexcept;

}  // namespace rampart::pipeline
