#pragma once
// One lcore's view of the proxy's backends: the state of each (health, draining, connections
// open from this lcore) and the balancer that chooses among them. Apps are per lcore, so nothing
// here is shared or locked; each lcore counts only its own connections.
//
// The pool holds the states and keeps, per backend, whether it can take a new connection; the
// balancer (smooth_round_robin, least_connections or maglev_table) decides among those that can.
// After construction nothing allocates: acquire and release are O(1) (round_robin, and
// source_hash's usual case) or O(log n) (least_connections).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "backend_list.hh"
#include "backend_slots.hh"
#include "least_connections.hh"
#include "maglev_table.hh"
#include "smooth_round_robin.hh"

namespace rampart::app::proxy {

enum class balance_method { round_robin, least_connections, source_hash };

struct backend_state {
  backend_entry entry;
  std::uint32_t active = 0;  // connections opened to it by this lcore and not yet released
  bool up = true;            // its health (health_state.hh)
  bool draining = false;     // keeps its connections, takes no new one (/rampart/backend_drain)
  bool removed = false;      // the same, until a SIGHUP lists it again (backend_slots.hh)
};

class backend_pool {
 public:
  // At most max_backends backends (parse_backend_list's bound). max_connections: per backend on
  // this lcore; 0: no limit. Start-up and reload only.
  backend_pool(std::span<const backend_entry> backends, balance_method method,
               std::uint32_t max_connections);
  // A reload's pool, built off the lcore: the balancers include removed slots, which are never
  // available, so a removal moves no other backend's source_hash clients.
  backend_pool(std::span<const backend_slot> slots, balance_method method, std::uint32_t max_connections);

  // On the lcore, before this pool replaces `running`: each backend `running` has keeps its
  // connections, health and drain flag. Does not allocate.
  void take_state_from(const backend_pool& running) noexcept;

  // Chooses the backend of a new connection from `client` and counts the connection on it;
  // release() it when the connection ends or its connect fails. nullopt when no backend can take
  // it (all down, draining or full): the caller refuses the client.
  // attempt: 0 for a client's first connect, k for the k-th retry after failed connects. With
  // source_hash it gives the client's (k+1)-th choice (maglev_table::pick), so a retry goes
  // elsewhere even while the failed backend still counts as up; round_robin moves on by itself;
  // least_connections ignores it.
  std::optional<std::uint16_t> acquire(net::ipv4_address client, std::uint32_t attempt = 0) noexcept;
  void release(std::uint16_t backend) noexcept;

  // What the health checks decide (health_state.hh).
  void set_up(std::uint16_t backend, bool up) noexcept;
  void set_draining(std::uint16_t backend, bool draining) noexcept;

  const backend_state& state(std::uint16_t backend) const noexcept { return _states[backend]; }
  std::size_t size() const noexcept { return _states.size(); }
  // Backends that can take a new connection now.
  std::size_t available_count() const noexcept { return _available_count; }

 private:
  bool can_take(const backend_state& s) const noexcept {
    return s.up && !s.draining && !s.removed && (_max_connections == 0 || s.active < _max_connections);
  }
  // Recomputes the backend's availability after any change and tells the balancer (`picked`:
  // the change is acquire()'s choice of it).
  void refresh(std::uint16_t backend, bool picked = false) noexcept;
  // The same for every backend at once (construction, take_state_from).
  void refresh_all() noexcept;

  std::vector<backend_state> _states;
  std::vector<std::uint8_t> _available;  // can_take() of each backend, as the balancers read it
  std::size_t _available_count = 0;
  balance_method _method;
  std::uint32_t _max_connections;
  // Only the method's own balancer is built; the others stay empty.
  smooth_round_robin _round_robin;
  least_connections _least_connections;
  maglev_table _source_hash;
};

}  // namespace rampart::app::proxy
