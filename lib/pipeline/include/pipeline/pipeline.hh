#pragma once
// Entry point of the pure datapath: classify each frame of a burst by EtherType and run the step
// that owns it (arp_input, ipv4_input → icmp_input, ipv6_input → icmpv6_input), and hand the
// burst's TCP segments (and ICMP errors about TCP) to the handlers registered in the context
// (lib/tcp, composed by the engine: the pipeline never depends on the layer above it). Every step
// answers in place or returns a drop reason; nothing allocates, locks or throws.
#include <cstdint>
#include <optional>
#include <span>

#include "net/addresses.hh"
#include "net/icmp.hh"
#include "packet/frame.hh"
#include "packet/tcp_batch.hh"
#include "route/lcore_routes.hh"
#include "route/neighbour_table.hh"
#include "stats/counters.hh"

namespace rampart::pipeline {

// The port's IPv6 addresses, when its config gives one (port.ipv6).
struct ipv6_identity {
  net::ipv6_interface_address global;  // the configured address and its on-link prefix
  net::ipv6_address link_local;        // fe80::/64 from the MAC (ipv6_address::link_local_of)
};

// The L2/L3 identity of the port an lcore serves.
struct port_identity {
  net::mac_address mac;
  net::ipv4_interface_address ip;
  std::optional<ipv6_identity> ipv6;  // nullopt: IPv6 frames are dropped (eth_unsupported_ethertype)
};

// The layer above that takes a chunk's TCP segments (lib/tcp's tcp_input_burst, registered by
// the engine): it must write verdicts[s.frame_index] for every segment s and count what it
// decides, as every step does.
struct tcp_handler {
  using function = void (*)(void* context, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                            std::span<const packet::tcp_segment> segments, std::uint64_t now_ns) noexcept;
  function handle = nullptr;  // null: TCP segments are dropped as tcp_unhandled
  void* context = nullptr;
};

// The layer above that takes ICMP errors quoting one of our TCP segments (lib/tcp's
// icmp_error_handler, registered by the engine like tcp_handler): the quote is parsed and its
// source checked to be ours; the handler decides and counts nothing itself but its events, the
// pipeline counts the verdict it returns (drop reasons, consume).
struct icmp_error_handler {
  using function = packet::verdict (*)(void* context, const net::icmp_quoted_tcp& quote, std::uint64_t now_ns) noexcept;
  function handle = nullptr;  // null: such errors are dropped as icmp_error_ignored
  void* context = nullptr;
};

// Everything one worker lcore owns for the datapath. Never shared between lcores.
struct lcore_context {
  port_identity identity;
  packet::tx_offload_caps offload_caps;
  route::neighbour_table neighbours;  // learned by arp_input (RFC 826 merge)
  // The way out for frames this lcore originates (the engine builds it over `neighbours`; lib/tcp
  // will send active opens through it). ARP input completes its pending resolutions. Null: none
  // (tests and tools that originate nothing).
  route::lcore_routes* routes = nullptr;
  stats::lcore_stats* stats = nullptr;
  tcp_handler tcp;
  icmp_error_handler tcp_icmp_error;
};

// Processes frames[i] for every i and writes verdicts[i]; both spans have the same size.
// now_ns is wall-clock time (Unix epoch, ns) as the engine's TSC-derived clock reads it.
void process_burst(lcore_context& ctx, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                   std::uint64_t now_ns) noexcept;

// Writes a gratuitous ARP request announcing `identity` (RFC 5227 §3: sender and target IP both
// ours, target MAC zero, broadcast destination) into buffer; returns its length, or 0 when the
// buffer is shorter than the 60-byte minimum Ethernet frame.
std::uint16_t build_gratuitous_arp(const port_identity& identity, std::span<std::byte> buffer) noexcept;

// Unsolicited Neighbor Advertisement for `target` (one of identity.ipv6's addresses) to
// all-nodes, Override set, Solicited clear, Target Link-Layer option (RFC 4861 §7.2.6): the
// IPv6 counterpart of the gratuitous ARP. Returns the frame length (86), 0 when the buffer is
// too short.
std::uint16_t build_unsolicited_neighbor_advertisement(const port_identity& identity, const net::ipv6_address& target,
                                                       std::span<std::byte> buffer) noexcept;

// Duplicate Address Detection probe for `target`: NS from ::, to target's solicited-node group,
// no Source Link-Layer option, hop limit 255 (RFC 4862 §5.4.2). Returns the frame length (78), 0
// when the buffer is too short.
std::uint16_t build_duplicate_address_probe(const port_identity& identity, const net::ipv6_address& target,
                                            std::span<std::byte> buffer) noexcept;

}  // namespace rampart::pipeline
