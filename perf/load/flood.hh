#pragma once
// Spoofed flood frames: SYNs from random sources (address in a prefix, port, ISN, TSval all
// random), ACKs that carry a forged cookie (random SEG.ACK) from random sources, so each
// costs the target a full cookie check, and ICMP echo requests the size of the SYN, which a
// target answers one for one as it answers SYNs but without any TCP work (a baseline). A cheap PRNG (xorshift64*) keeps frame building, not
// randomness, the cost.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "frames.hh"
#include "net/addresses.hh"

namespace rampart::load {

class xorshift64 {
 public:
  explicit xorshift64(std::uint64_t seed) noexcept : _state(seed == 0 ? 0x9e3779b97f4a7c15ULL : seed) {}
  std::uint64_t next() noexcept {  // Vigna, "An experimental exploration of Marsaglia's xorshift generators"
    _state ^= _state >> 12;
    _state ^= _state << 25;
    _state ^= _state >> 27;
    return _state * 0x2545f4914f6cdd1dULL;
  }

 private:
  std::uint64_t _state;
};

struct flood_target {
  link_pair link;
  net::ipv4_address destination_ip;
  std::uint16_t destination_port = 80;
  net::ipv4_interface_address sources;  // spoofed sources: random hosts of this prefix
  // The cookie tick forged ACKs claim (Unix time / 16 s, lib/cookie/syn_cookie.hh): with the
  // current tick a forged cookie passes the cheap tick test and costs the target a full MAC
  // check. nullopt: SEG.ACK fully random (most then fail on the tick alone).
  std::optional<std::uint32_t> cookie_tick;
};

// A host address of the prefix chosen at random: never the network or broadcast address
// when the prefix has room for hosts (prefix length up to 30).
net::ipv4_address random_source(const net::ipv4_interface_address& prefix, xorshift64& rng) noexcept;

bool in_prefix(net::ipv4_address address, const net::ipv4_interface_address& prefix) noexcept;

// A SYN with Linux's option layout (MSS 1460, SACK-permitted, TS, WS 7). Returns the length.
std::size_t build_syn_flood_frame(std::span<std::byte> out, const flood_target& target, xorshift64& rng) noexcept;

// An ACK with random SEQ and a forged cookie in SEG.ACK (cookie + 1: current tick in the top 6
// bits when target.cookie_tick is set, the rest random), with a TS option. Returns the length.
std::size_t build_ack_flood_frame(std::span<std::byte> out, const flood_target& target, xorshift64& rng) noexcept;

// An ICMP echo request from a random source of the prefix, random identifier and sequence,
// 32 bytes of data: 74 bytes on the wire, as the SYN above. Returns the length.
std::size_t build_ping_flood_frame(std::span<std::byte> out, const flood_target& target, xorshift64& rng) noexcept;

}  // namespace rampart::load
