#pragma once
// Step 1: look at the Ethernet header and pick the L3 step (or refuse the frame).
#include <cstdint>
#include <span>

#include "net/ethernet.hh"
#include "pipeline/pipeline.hh"

namespace rampart::pipeline {

enum class l3_kind : std::uint8_t { arp, ipv4, drop };

struct classification {
  l3_kind kind = l3_kind::drop;
  stats::drop_reason reason{};  // when kind == drop
};

// Accepts frames addressed to our MAC or to broadcast (ARP requests arrive that way).
// Errors: eth_truncated (< 14 bytes), eth_not_for_us (another unicast MAC, or multicast: we
// join no group), eth_unsupported_ethertype (IPv6, 802.1Q, LLDP, ...).
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
    return {l3_kind::drop, drop_reason::eth_not_for_us};
  }
  switch (eth->ether_type()) {
    case net::ether_type::arp:
      return {l3_kind::arp, {}};
    case net::ether_type::ipv4:
      return {l3_kind::ipv4, {}};
    default:
      return {l3_kind::drop, drop_reason::eth_unsupported_ethertype};
  }
}

}  // namespace rampart::pipeline
