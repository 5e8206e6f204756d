#pragma once
// Weighted least connections: a new connection goes to the available backend whose load after
// it, (active + 1) / weight, is lowest; among equals, to the one picked longest ago, so equal
// backends take turns. (HAProxy's leastconn counts the new connection the same way; with equal
// weights it is plain "fewest active connections".)
//
// A tournament tree over the backends keeps the winner at its root: a pick reads the root, O(1);
// a change of one backend (a connection opened or closed, up or down) replays the matches on its
// path to the root, O(log n). No allocation after construction.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "backend_list.hh"

namespace rampart::app::proxy {

class least_connections {
 public:
  least_connections() = default;
  // Every backend starts available, with no connection. Start-up and reload only (allocates).
  explicit least_connections(std::span<const backend_entry> backends);

  // The winner, or nullopt when no backend is available.
  std::optional<std::uint16_t> pick() const noexcept;

  // A backend's connection count or availability changed; `picked`: because it was just chosen,
  // so it also goes behind its equals. One replay either way.
  void update(std::uint16_t backend, std::uint32_t active, bool available, bool picked = false) noexcept;

 private:
  struct player {
    std::uint64_t last_picked = 0;  // the pick number; 0: never
    std::uint32_t active = 0;
    std::uint32_t weight = 1;
    bool available = true;
  };
  static constexpr std::uint16_t nobody = 0xffff;

  std::uint16_t winner(std::uint16_t a, std::uint16_t b) const noexcept;
  void replay(std::uint16_t backend) noexcept;

  std::vector<player> _players;
  // Heap layout: node 1 is the root, node k's children are 2k and 2k+1, the leaves start at
  // _leaves (a power of two); each node holds the index of the winning backend or nobody.
  std::vector<std::uint16_t> _tree;
  std::size_t _leaves = 0;
  std::uint64_t _picks = 0;
};

}  // namespace rampart::app::proxy
