#pragma once
// The key of a TCP connection as this host sees it, and the keyed software hash that places it in
// a flow_table when the NIC gave no RSS hash.
#include <cstdint>

namespace rampart::flow {

// IPv4 4-tuple, addresses and ports in host order (the convention of net::ipv4_address::value);
// an IPv6 connection's key has the same shape (make_ipv6_key, below).
// 12 bytes without padding, so the table stores keys inline in its buckets and compares them as
// three 32-bit words (see flow_table.hh).
struct flow_key {
  std::uint32_t remote_ip = 0;
  std::uint32_t local_ip = 0;
  std::uint16_t remote_port = 0;
  std::uint16_t local_port = 0;

  // The ports as one word: what the table stores in the third key word.
  constexpr std::uint32_t ports_word() const noexcept {
    return (std::uint32_t{remote_port} << 16) | local_port;
  }
  friend constexpr bool operator==(const flow_key&, const flow_key&) = default;
};
static_assert(sizeof(flow_key) == 12, "flow_key is stored inline in 128-byte buckets");

// IPv6 connections use the same 12-byte key, so one table serves both families and an IPv4
// connection pays nothing for IPv6:
//   local_ip  = ipv6_local_marker | local_index   (which of the port's IPv6 addresses: below)
//   remote_ip = the remote address's id in the lcore's ipv6_peer_table
// No IPv4 key can collide with one: an IPv4 key's local_ip is the port's unicast address, and
// 255.255.255.0/24 holds none: it lies in 240.0.0.0/4, never a host address by RFC 1122
// §3.2.1.3 (the class E block and the limited broadcast), which config refuses as port.ip.
inline constexpr std::uint32_t ipv6_local_marker = 0xffffff00U;
inline constexpr std::uint8_t ipv6_local_global = 0;      // the port's configured address (port.ipv6)
inline constexpr std::uint8_t ipv6_local_link_local = 1;  // its fe80:: address, derived from the MAC

constexpr flow_key make_ipv6_key(std::uint8_t local_index, std::uint32_t peer_id, std::uint16_t remote_port,
                                 std::uint16_t local_port) noexcept {
  return flow_key{peer_id, ipv6_local_marker | local_index, remote_port, local_port};
}
constexpr bool is_ipv6(const flow_key& key) noexcept { return (key.local_ip & ipv6_local_marker) == ipv6_local_marker; }
// Which of the port's IPv6 addresses an IPv6 key's connection uses (ipv6_local_global or
// ipv6_local_link_local). Meaningful only when is_ipv6(key).
constexpr std::uint8_t local_index_of(const flow_key& key) noexcept { return static_cast<std::uint8_t>(key.local_ip); }

// 128-bit secret of one table's software hash. Drawn at random per table (hash_seed::random) so
// an attacker who cannot read the process cannot choose 4-tuples that land in one bucket.
struct hash_seed {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;

  // Reads std::random_device; start-up only (it may open /dev/urandom and may throw). Sets the top
  // bit of k1 so the first multiplier of flow_hash, (ports ^ k1), is never zero.
  static hash_seed random();
};

namespace detail {
// 64x64 -> 128-bit multiply, halves XOR-folded: every input bit reaches every output bit in one
// multiply. The same mixing step as wyhash, which Go's runtime map hash falls back on.
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// The keyed hash of two 64-bit words that flow_hash and ipv6_peer_hash share.
inline std::uint32_t keyed_hash(std::uint64_t a, std::uint64_t b, const hash_seed& seed) noexcept {
  const std::uint64_t mixed = fold_multiply(a ^ seed.k0, b ^ seed.k1);
  // Second round: the first product alone leaves the low output bits weakly mixed when the
  // factors have many trailing zeros; the table takes its tag from the low byte.
  // The multiplier is forced odd so no seed can make it zero.
  const std::uint64_t h = fold_multiply(mixed ^ 0x9e3779b97f4a7c15ULL, (seed.k0 + 0xd6e8feb86659fd93ULL) | 1);
  return static_cast<std::uint32_t>(h) ^ static_cast<std::uint32_t>(h >> 32);
}
}  // namespace detail

// Keyed 32-bit hash of a flow key. Not a cryptographic PRF (the cookie module's SipHash is, at
// about 4x the cost): it stops the practical flood, keys chosen offline without the seed, which
// with an unkeyed or linear hash (CRC, Toeplitz with a default RSS key) piles every attack flow
// into one bucket. Linear hashes stay linear under a seed (crc(s^a) ^ crc(s^b) does not depend
// on s), which is why this is not CRC32C even though CRC is cheaper.
inline std::uint32_t flow_hash(const flow_key& key, const hash_seed& seed) noexcept {
  const std::uint64_t addresses = (std::uint64_t{key.remote_ip} << 32) | key.local_ip;
  return detail::keyed_hash(addresses, key.ports_word(), seed);
}

}  // namespace rampart::flow
