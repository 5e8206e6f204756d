#pragma once
// The TCP entry point for ICMP errors the pipeline received (pipeline::icmp_error_handler).
#include <cstdint>

#include "net/icmp.hh"
#include "packet/frame.hh"

namespace rampart::tcp {

// Smallest path MTU rampart lowers a connection to (Linux's min_pmtu): a "fragmentation needed"
// reporting less (RFC 1191 allows down to 68) still lowers the MSS only to 552 - 40 = 512, so a
// forged error cannot make a connection send 28-byte segments (docs/tcp.md, "Path MTU").
inline constexpr std::uint16_t min_path_mtu = 552;
// RFC 791 §3.1: every internet module must forward a 68-byte datagram; below is bogus.
inline constexpr std::uint16_t rfc791_min_mtu = 68;

// lcore_tcp::icmp_error_input in the shape of pipeline::icmp_error_handler::function (context:
// the lcore_tcp), registered by the engine next to tcp_input_handler.
packet::verdict icmp_error_handler(void* context, const net::icmp_quoted_tcp& quote, std::uint64_t now_ns) noexcept;

}  // namespace rampart::tcp
