#pragma once
// Which RX queue the NIC delivers a flow's inbound segments to, computed the way the NIC does:
// the Toeplitz hash of the segment's IPv4/TCP 4-tuple under the port's RSS key, then the RSS
// redirection table (RETA) maps the hash's low bits to a queue. A worker that opens a connection
// must pick a local port whose replies land on its own queue (local_port_pool.hh), and insert
// the connection into its flow table under the hash the NIC will report for them.
//
// Toeplitz (Microsoft, "Verifying the RSS Hash Calculation"): for every bit i of the input,
// most significant bit of its first byte first, that is set, XOR in the 32 key bits starting at
// key bit i. Over the IPv4/TCP input (source address, destination address, source port,
// destination port: 12 bytes in network order) only the first 16 key bytes take part, so the 40-
// and 52-byte keys NICs use both work. The hash is linear in its input, so it is the XOR of one
// 256-entry table per input byte: 12 loads instead of one step per set bit (docs/performance.md
// has the figure against DPDK's rte_softrss).
//
// A reply from a remote endpoint arrives with source = remote, destination = us: exactly the
// field order of flow_key, so reply_hash(key) is the hash the NIC computes for the connection's
// inbound segments.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "flow/flow_key.hh"
#include "flow/flow_table.hh"

namespace rampart::flow {

class rss_steering {
 public:
  // The smallest key that covers the IPv4/TCP input: 12 input bytes + 4 bytes of window.
  static constexpr std::size_t min_key_bytes = 16;

  // No RSS: one queue, or a port whose queue choice cannot be predicted. Every flow "lands
  // here" and no segment carries a NIC hash, so the flow table's software hash applies.
  rss_steering() = default;

  // Toeplitz RSS with `key` (the port's key, >= min_key_bytes: 40 or 52 in practice) and `reta`
  // (queue per entry; a power-of-two size, as every NIC's is), for the worker polling `queue`.
  // `hash_in_mbuf`: the NIC also reports the hash with each segment (RTE_MBUF_F_RX_RSS_HASH), so
  // lib/tcp looks connections up by it. Throws std::invalid_argument for a short key, an empty
  // or non-power-of-two RETA; start-up only (it allocates).
  rss_steering(std::span<const std::uint8_t> key, std::span<const std::uint16_t> reta, std::uint16_t queue,
               bool hash_in_mbuf);

  bool uses_rss() const noexcept { return !_reta.empty(); }
  std::uint16_t queue() const noexcept { return _queue; }
  // Entries of the RETA, 1 without RSS.
  std::uint32_t reta_size() const noexcept { return uses_rss() ? static_cast<std::uint32_t>(_reta.size()) : 1; }

  // The Toeplitz hash of the connection's inbound 4-tuple: what the NIC puts in mbuf->hash.rss.
  // Linear: reply_hash(a) ^ reply_hash(b) == reply_hash(a ^ b) field by field. 0 without RSS.
  std::uint32_t reply_hash(const flow_key& key) const noexcept {
    if (!uses_rss()) {
      return 0;
    }
    const std::uint32_t ports = key.ports_word();
    return word_hash(0, key.remote_ip) ^ word_hash(4, key.local_ip) ^ word_hash(8, ports);
  }

  // The RETA index a hash selects: its low bits (NICs index the table with hash mod size).
  std::uint32_t reta_index(std::uint32_t hash) const noexcept { return hash & (reta_size() - 1); }
  // The queue the NIC delivers a segment of that hash to.
  std::uint16_t queue_of(std::uint32_t hash) const noexcept { return uses_rss() ? _reta[reta_index(hash)] : _queue; }
  // Whether the connection's inbound segments arrive on this worker's queue; always without RSS.
  bool lands_here(const flow_key& key) const noexcept { return queue_of(reply_hash(key)) == _queue; }
  // The RETA entries that point at this worker's queue, ascending.
  std::vector<std::uint32_t> entries_here() const;

  // The hash to insert the connection into `table` with: the one lib/tcp will look its inbound
  // segments up by (the NIC's when segments carry it, else the table's software hash).
  std::uint32_t table_hash(const flow_key& key, const flow_table& table) const noexcept {
    return _hash_in_mbuf ? reply_hash(key) : table.hash(key);
  }

 private:
  // Contribution of the input word at byte offset `first_byte` (host order value).
  std::uint32_t word_hash(unsigned first_byte, std::uint32_t word) const noexcept {
    return _byte_hash[first_byte][word >> 24] ^ _byte_hash[first_byte + 1][(word >> 16) & 0xff] ^
           _byte_hash[first_byte + 2][(word >> 8) & 0xff] ^ _byte_hash[first_byte + 3][word & 0xff];
  }

  // _byte_hash[j][v]: the hash of an input whose byte j is v and every other byte 0. 12 KiB.
  std::array<std::array<std::uint32_t, 256>, 12> _byte_hash{};
  std::vector<std::uint16_t> _reta;  // empty: no RSS
  std::uint16_t _queue = 0;
  bool _hash_in_mbuf = false;
};

}  // namespace rampart::flow
