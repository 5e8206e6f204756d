#pragma once
// Entry point of the pure datapath: classify each frame of a burst by EtherType and run the step
// that owns it (arp_input, ipv4_input → icmp_input / tcp). Every step answers in place or
// returns a drop reason; nothing allocates, locks or throws.
#include <cstdint>
#include <span>

#include "net/addresses.hh"
#include "pipeline/frame.hh"
#include "pipeline/neighbour_table.hh"
#include "stats/counters.hh"

namespace rampart::tcp {
class lcore_tcp;  // per-lcore TCP state (listener path, connection table); see lib/tcp
}

namespace rampart::pipeline {

// The L2/L3 identity of the port an lcore serves.
struct port_identity {
  net::mac_address mac;
  net::ipv4_interface_address ip;
};

// Everything one worker lcore owns for the datapath. Never shared between lcores.
struct lcore_context {
  port_identity identity;
  tx_offload_caps offload_caps;
  neighbour_table neighbours;
  stats::lcore_stats* stats = nullptr;
  tcp::lcore_tcp* tcp = nullptr;  // null: TCP segments are dropped as tcp_unhandled
};

// Processes frames[i] for every i and writes verdicts[i]; both spans have the same size.
// now_ns is wall-clock time (Unix epoch, ns) as the engine's TSC-derived clock reads it.
void process_burst(lcore_context& ctx, std::span<frame> frames, std::span<verdict> verdicts,
                   std::uint64_t now_ns) noexcept;

// Writes a gratuitous ARP request announcing `identity` (RFC 5227 §3: sender and target IP both
// ours, target MAC zero, broadcast destination) into buffer; returns its length, or 0 when the
// buffer is shorter than the 60-byte minimum Ethernet frame.
std::uint16_t build_gratuitous_arp(const port_identity& identity, std::span<std::byte> buffer) noexcept;

}  // namespace rampart::pipeline
