#pragma once
// Step 1: look at the Ethernet header and pick the L3 step (or refuse the frame).
#include <cstdint>
#include <span>

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
classification classify(const port_identity& identity, std::span<const std::byte> frame) noexcept;

}  // namespace rampart::pipeline
