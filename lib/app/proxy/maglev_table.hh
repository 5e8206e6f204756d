#pragma once
// Source hashing with Maglev's consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI '16, §3.4): a lookup table of a prime number of slots,
// each naming a backend, filled from per-backend permutations so that every backend owns a share
// of slots proportional to its weight, and a change of the backend set moves few slots. A client
// address hashes to one slot, so a client keeps its backend, on every lcore (the table and the
// hash depend only on the backend list) and across restarts.
//
// A backend that cannot take the connection (down, draining, full) is skipped without rebuilding
// the table: the client walks its own probe sequence of slots (a step derived from its hash) to
// the next available backend. Only that backend's clients move, and back when it returns.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "backend_list.hh"

namespace rampart::app::proxy {

class maglev_table {
 public:
  // Prime (the permutations need it), and ≥ 100 × max_backends, where the paper measured each
  // backend's share within about 1% of its ideal.
  static constexpr std::uint32_t slots = 65537;

  maglev_table() = default;
  // Fills the table: 128 KiB, 5 to 13 ms for 256 backends on a loaded 2.6 GHz core (under 1 ms
  // for 16). Start-up and reload only.
  explicit maglev_table(std::span<const backend_entry> backends);

  // The client's (attempt + 1)-th distinct available backend along its probe sequence: attempt 0
  // is its usual backend, or the next one when that is not available; attempt k, for the k-th
  // retry after failed connects, the one after k others. nullopt when fewer than attempt + 1
  // backends are available. O(1) expected: the first slot, plus about one probe per unavailable
  // slot met (the share of slots whose backend is unavailable).
  std::optional<std::uint16_t> pick(net::ipv4_address client, std::span<const std::uint8_t> available,
                                    std::uint32_t attempt) const noexcept;

  // The backend of each slot (for tests).
  std::span<const std::uint16_t> entries() const noexcept { return _entries; }

 private:
  std::vector<std::uint16_t> _entries;
};

}  // namespace rampart::app::proxy
