#pragma once
// A small IPv4 → MAC table learned from ARP requests and replies (RFC 826 "merge" rule: update a
// sender we already know; add the sender of a request addressed to us). Per lcore, fixed size,
// no allocation; when full, the least recently refreshed entry is replaced. Replies to received
// packets do not consult it (they swap MACs); it serves traffic rampart originates (through
// neighbour_resolver) and diagnostics.
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "net/addresses.hh"

namespace rampart::route {

class neighbour_table {
 public:
  static constexpr std::size_t capacity = 64;

  // Adds or refreshes ip → mac. Returns false only for addresses that must never be learned
  // (zero, broadcast, multicast IP or MAC).
  bool learn(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept;
  // Refreshes ip only if already present (RFC 826 merge flag); returns whether it was.
  bool refresh(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept;
  std::optional<net::mac_address> lookup(net::ipv4_address ip) const noexcept;
  std::size_t size() const noexcept;

  struct entry {
    net::ipv4_address ip;
    net::mac_address mac;
    std::uint64_t refreshed_ns = 0;
    bool used = false;
  };
  // Every slot, used or not (listings skip the unused ones).
  std::span<const entry> slots() const noexcept { return _entries; }

 private:
  std::array<entry, capacity> _entries{};
};

}  // namespace rampart::route
