#pragma once
// The pure datapath's view of one packet: bytes it may rewrite in place, and what it asks the
// engine to do with them. The engine fills a frame from an rte_mbuf and applies the verdict; unit
// tests and fuzzers fill it from a byte array. Nothing here needs EAL.
#include <cstddef>
#include <cstdint>

#include "stats/drop_reason.hh"

namespace rampart::packet {

// What the port can do for us on transmit (rte_eth_dev_info.tx_offload_capa, as configured).
struct tx_offload_caps {
  bool ipv4_checksum = false;
  bool tcp_checksum = false;
};

// Filled by the pipeline on a transmit verdict when it left a checksum to the NIC. With an
// offload requested, the pipeline has written the pseudo-header sum into the TCP checksum field
// (the contract of RTE_MBUF_F_TX_TCP_CKSUM) and a zero IPv4 checksum.
struct tx_offload_request {
  bool ipv4_checksum = false;
  bool tcp_checksum = false;
  std::uint8_t l2_length = 0;
  std::uint8_t l3_length = 0;
};

struct frame {
  std::byte* data = nullptr;    // first byte of the Ethernet header
  std::uint16_t length = 0;     // valid bytes from data; a reply may change it
  std::uint16_t capacity = 0;   // writable bytes from data; length never exceeds it
  std::uint32_t rss_hash = 0;   // the NIC's Toeplitz hash of the flow, when rss_hash_valid
  bool rss_hash_valid = false;
  tx_offload_request offload{};
  // The NIC verified the TCP checksum (RTE_MBUF_F_RX_L4_CKSUM_GOOD): lib/tcp skips its own sum.
  // False (sum in software) when unknown, BAD or not offered; unit tests and fuzzers leave it so.
  bool l4_checksum_verified = false;
  // The buffer holding the bytes (packet::buffer::handle: the rte_mbuf), so a layer that hands
  // received data on without copying can take a reference to it; null in tests that need none.
  void* buffer = nullptr;
};

enum class action : std::uint8_t {
  transmit,  // frame now holds a reply of `length` bytes: send it on the port it came from
  consume,   // handled, nothing to send back (an ARP reply to us, a pure ACK): free it. Not a
             // drop: counted as `consumed`, so `dropped` stays a number worth alerting on
  drop,      // free it; `reason` says why (already counted by the step that decided)
};

struct verdict {
  action what = action::drop;
  stats::drop_reason reason{};  // meaningful for drop only
};

constexpr verdict consumed() noexcept { return {action::consume, {}}; }
constexpr verdict dropped(stats::drop_reason reason) noexcept { return {action::drop, reason}; }

// Asks the CPU for the two cache lines that hold a received frame's headers (Ethernet, IPv4 and
// TCP with a Linux SYN's options: 74 bytes). A frame a NIC or another core has just written is
// not in this core's cache; the engine asks for a whole burst's right after receiving it, so
// the misses overlap each other and the bookkeeping before the pipeline, instead of stalling
// the first parse of each frame in turn. docs/performance.md ("A SYN flood from cold memory")
// has the figures.
inline void prefetch_headers(const std::byte* frame) noexcept {
  __builtin_prefetch(frame);
  __builtin_prefetch(frame + 64);
}

}  // namespace rampart::packet
