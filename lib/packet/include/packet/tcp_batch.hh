#pragma once
// The TCP segments of one burst, collected by ipv4_input and handed to lib/tcp in one call
// after the per-frame loop, so the connection table can hash and look up the whole burst at
// once (the rte_hash lookup-bulk pattern, docs/contributing.md "Code"). Header-only and pure,
// so lib/tcp can include it without depending on the pipeline.
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>

#include "net/ethernet.hh"
#include "net/ipv4.hh"

namespace rampart::packet {

// A TCP segment inside frames[frame_index] whose IPv4 header has been fully validated
// (version, lengths, checksum, not a fragment, source not martian, destination ours). Nothing
// of the TCP header has been checked yet: l4_length may be below 20.
struct tcp_segment {
  std::uint32_t frame_index = 0;  // into the burst's frames and verdicts spans
  std::uint16_t l3_offset = 0;    // IPv4 header, from frame.data
  std::uint16_t l4_offset = 0;    // TCP header, from frame.data (l3_offset + IHL*4)
  std::uint16_t l4_length = 0;    // TCP header + data; Ethernet padding excluded
  net::ipv4_header ip;            // validated IPv4 fields (addresses, TTL, ID, DSCP...)
};

// The entry for the TCP datagram `ip`, parsed from frames[frame_index] right after its Ethernet
// header: how ipv4_input describes a segment, and how tests and fuzzers that feed lib/tcp
// directly do it too.
inline tcp_segment describe_tcp_segment(std::uint32_t frame_index, const net::ipv4_view& ip) noexcept {
  constexpr auto l3 = static_cast<std::uint16_t>(net::ethernet_header_length);
  return {frame_index, l3, static_cast<std::uint16_t>(l3 + ip.header_length()), ip.header().payload_length(),
          ip.header()};
}

struct tcp_segment_batch {
  // process_burst works through bursts in chunks of this many frames, so a batch never fills.
  static constexpr std::size_t capacity = 64;

  // The slots are raw storage, constructed only as segments arrive: a batch is built on every
  // turn that receives, and constructing all 64 segments (2 KiB of stores) was a fixed cost of
  // each turn, whatever its size, which a turn of one SYN felt most (BM_syn_turn, stream_bench).
  tcp_segment_batch() noexcept {}
  tcp_segment_batch(const tcp_segment_batch&) = delete;
  tcp_segment_batch& operator=(const tcp_segment_batch&) = delete;

  // Appends s and returns its slot. Requires count < capacity.
  tcp_segment& push(const tcp_segment& s) noexcept {
    return *::new (static_cast<void*>(_slots + count++ * sizeof(tcp_segment))) tcp_segment(s);
  }
  std::span<const tcp_segment> view() const noexcept {
    return {std::launder(reinterpret_cast<const tcp_segment*>(_slots)), count};
  }

  std::uint16_t count = 0;

 private:
  static_assert(std::is_trivially_copyable_v<tcp_segment> && std::is_trivially_destructible_v<tcp_segment>,
                "slots are raw storage, never destroyed");
  alignas(tcp_segment) std::byte _slots[capacity * sizeof(tcp_segment)];
};

}  // namespace rampart::packet
