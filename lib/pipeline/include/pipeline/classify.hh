#pragma once
// Step 1: look at the Ethernet header and pick the L3 step (or refuse the frame).
#include <cstdint>
#include <span>

#include "net/ethernet.hh"
#include "pipeline/pipeline.hh"

namespace rampart::pipeline {

enum class l3_kind : std::uint8_t { arp, ipv4, ipv6, drop };

struct classification {
  l3_kind kind = l3_kind::drop;
  stats::drop_reason reason{};  // when kind == drop
};

// Whether an IPv6 frame to the multicast MAC `destination` is to one of the groups the port
// joins when it has IPv6 addresses (RFC 4861 §7.2.1): all-nodes, and the solicited-node groups
// of its global and link-local addresses, where neighbours send their solicitations. Each
// group's MAC is 33:33 and its address's low 32 bits (RFC 2464 §7). Out of line: only frames that
// are neither to our MAC nor broadcast ask, so the IPv4 path does not carry it.
bool is_joined_ipv6_group(const port_identity& identity, const net::mac_address& destination) noexcept;

// Accepts frames addressed to our MAC or to broadcast (ARP requests arrive that way), and IPv6
// frames to the groups the port joins (is_joined_ipv6_group).
// Errors: eth_truncated (< 14 bytes), eth_not_for_us (another unicast MAC, or a group we have not
// joined), eth_unsupported_ethertype (802.1Q, LLDP, ...; IPv6 when the port has no IPv6 address).
// Inline: returned from another translation unit, GCC 12 built the result on the stack byte by
// byte and read it back whole, a store-to-load forward that fails (perf/bench/tcp/stream_bench,
// BM_syn_flood).
inline classification classify(const port_identity& identity, std::span<const std::byte> frame) noexcept {
  using stats::drop_reason;
  const auto eth = net::ethernet_view::parse(frame);
  if (!eth) {
    return {l3_kind::drop, eth.error()};
  }
  const net::mac_address destination = eth->destination();
  if (destination != identity.mac && !destination.is_broadcast()) {
    if (eth->ether_type() == net::ether_type::ipv6 && is_joined_ipv6_group(identity, destination)) {
      return {l3_kind::ipv6, {}};
    }
    return {l3_kind::drop, drop_reason::eth_not_for_us};
  }
  switch (eth->ether_type()) {
    case net::ether_type::arp:
      return {l3_kind::arp, {}};
    case net::ether_type::ipv4:
      return {l3_kind::ipv4, {}};
    case net::ether_type::ipv6:
      if (identity.ipv6) {
        return {l3_kind::ipv6, {}};
      }
      return {l3_kind::drop, drop_reason::eth_unsupported_ethertype};
    default:
      return {l3_kind::drop, drop_reason::eth_unsupported_ethertype};
  }
}

}  // namespace rampart::pipeline
