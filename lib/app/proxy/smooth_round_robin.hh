#pragma once
// Weighted round robin, smooth: a backend of weight 5 among weights {5, 1, 1} is picked in the
// order a a b a c a a, never five times in a row. This is nginx's smooth weighted round robin;
// nginx runs it at every pick over every backend (O(n)), here one whole turn of it is computed
// when the list is built and picks walk it, O(1) per pick.
//
// A backend that cannot take a connection (down, draining or full) is skipped where it appears,
// so over every whole turn each available backend gets exactly its weight's share of the picks.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "backend_list.hh"

namespace rampart::app::proxy {

class smooth_round_robin {
 public:
  smooth_round_robin() = default;
  // One turn: sum(weights) / gcd(weights) slots. Start-up and reload only (allocates).
  explicit smooth_round_robin(std::span<const backend_entry> backends);

  // The next backend of the turn whose `available` flag is set; nullopt when a whole turn has
  // none. Costs one step per unavailable slot passed over.
  std::optional<std::uint16_t> pick(std::span<const std::uint8_t> available) noexcept;

  // The whole turn, in pick order (for tests).
  std::span<const std::uint16_t> turn() const noexcept { return _turn; }

 private:
  std::vector<std::uint16_t> _turn;
  std::uint32_t _next = 0;
};

}  // namespace rampart::app::proxy
