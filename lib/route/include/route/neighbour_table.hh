#pragma once
// A small IPv4 → MAC table learned from ARP requests and replies (RFC 826 "merge" rule: update a
// sender we already know; add the sender of a request addressed to us). Per lcore, fixed size,
// no allocation; when full, the least recently refreshed entry is replaced. Replies to received
// packets do not consult it (they swap MACs); it serves traffic rampart originates (through
// neighbour_resolver) and diagnostics.
//
// One writer, its lcore; other lcores may read it (peek). ARP is not spread by RSS: a port hands
// every ARP frame to one queue, so one worker learns what all of them resolve, and the others
// find it here. Each slot carries a version (odd while its owner writes it, a seqlock): a reader
// copies the slot and retries when the version moved, and never blocks the owner. The fields
// are relaxed atomics, which cost the owner what plain loads and stores do on x86.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/addresses.hh"

namespace rampart::route {

class neighbour_table {
 public:
  static constexpr std::size_t capacity = 64;

  struct entry {
    net::ipv4_address ip;
    net::mac_address mac;
    std::uint64_t refreshed_ns = 0;
  };

  // Owner: adds or refreshes ip → mac. Returns false only for addresses that must never be
  // learned (zero, broadcast, multicast IP or MAC).
  bool learn(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept;
  // Owner: refreshes ip only if already present (RFC 826 merge flag); returns whether it was.
  bool refresh(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept;
  // Owner: forgets every entry (the link came back: a neighbour may have another MAC now).
  void forget_all() noexcept;
  // Owner.
  std::optional<net::mac_address> lookup(net::ipv4_address ip) const noexcept;
  std::size_t size() const noexcept;
  // Owner: copies the entries into `out`; returns how many fit.
  std::size_t copy_entries(std::span<entry> out) const noexcept;

  // Any thread: ip's MAC as a consistent copy of its slot.
  std::optional<net::mac_address> peek(net::ipv4_address ip) const noexcept;

 private:
  // ip 0 marks a free slot: zero is never learnable.
  struct slot {
    std::atomic<std::uint32_t> version{0};
    std::atomic<std::uint32_t> ip{0};
    std::atomic<std::uint64_t> mac{0};  // the six bytes, first byte lowest
    std::atomic<std::uint64_t> refreshed_ns{0};
  };
  void write(slot& s, net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept;

  std::array<slot, capacity> _slots{};
};

}  // namespace rampart::route
