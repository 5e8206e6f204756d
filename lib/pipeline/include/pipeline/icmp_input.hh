#pragma once
// Step: an ICMP message in a validated IPv4 datagram addressed to us.
#include "net/ipv4.hh"
#include "pipeline/pipeline.hh"

namespace rampart::pipeline {

// Answers an echo request in place (RFC 792, RFC 1122 3.2.2.6): MACs swapped (the reply goes
// to the L2 neighbour the request came from, no ARP lookup), a fresh 20-byte IPv4 header from
// us to the requester (TTL 64, DF, the request's ID and DSCP; IP options are not echoed), type
// 0, the data unchanged whatever its length, the ICMP checksum fixed incrementally (RFC 1624),
// the IPv4 checksum computed or left to the NIC when ctx.offload_caps.ipv4_checksum.
// Returns transmit, or drop: icmp_truncated, icmp_bad_checksum (verified before anything is
// touched), icmp_unsupported_type (replies, redirects, timestamps...: a host answers only echo).
// Counts icmp_echo_replied.
//
// ICMP errors (destination unreachable, source quench, time exceeded, parameter problem) are
// parsed (net::parse_icmp_quoted_tcp: icmp_error_truncated, icmp_error_bad_quote,
// icmp_error_not_tcp), their quoted source must be our address (icmp_error_not_ours: we sent no
// such segment), and the quote goes to ctx.tcp_icmp_error, whose verdict is returned
// (icmp_error_ignored without a handler). now_ns is the burst clock.
packet::verdict icmp_input(lcore_context& ctx, packet::frame& f, const net::ipv4_view& ip,
                           std::uint64_t now_ns) noexcept;

}  // namespace rampart::pipeline
