#pragma once
// Step: an IPv4 frame (classify said EtherType 0x0800, addressed to us or broadcast).
#include <cstdint>
#include <optional>

#include "net/addresses.hh"
#include "pipeline/pipeline.hh"
#include "packet/tcp_batch.hh"

namespace rampart::pipeline {

// RFC 1122 3.2.1.3: addresses that must never appear as a source — {0, *} ("this network",
// only while a host boots), 127/8 loopback, class D multicast, class E and the limited
// broadcast (240/4), our subnet's directed broadcast (when the prefix has one: not /31, /32,
// RFC 3021) — plus our own address: a frame from the wire claiming it is spoofed (Linux's
// martian check refuses it too).
bool is_martian_source(net::ipv4_address source, const net::ipv4_interface_address& ours) noexcept;

// Validates the datagram (ipv4_view::parse), then refuses fragments, martian sources and
// destinations other than our address (broadcasts included: we answer nothing sent to them),
// and dispatches by protocol: ICMP to icmp_input, TCP appended to `tcp` (verdict pending:
// returns nullopt), anything else dropped.
// Errors: ipv4_truncated, ipv4_bad_version, ipv4_bad_ihl, ipv4_bad_total_length,
// ipv4_bad_checksum, ipv4_fragment, ipv4_martian_source, ipv4_not_our_address,
// ipv4_unsupported_protocol, and icmp_input's (now_ns: the burst clock, for ICMP errors).
std::optional<packet::verdict> ipv4_input(lcore_context& ctx, packet::frame& f, std::uint32_t frame_index,
                                  packet::tcp_segment_batch& tcp, std::uint64_t now_ns) noexcept;

}  // namespace rampart::pipeline
