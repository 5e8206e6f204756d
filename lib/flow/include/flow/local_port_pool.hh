#pragma once
// The local ports one worker lcore opens connections from (active opens to backends). A port is
// handed out for a remote endpoint only when
//  - the endpoint's replies to it land on this worker's RX queue (rss_steering::lands_here), so
//    the connection's segments reach the lcore that owns it; and
//  - the 4-tuple is free: no connection of this lcore uses it, or lib/tcp says it may be reused.
//
// No two lcores can hand out the same 4-tuple. With RSS every lcore draws from the whole range,
// and a 4-tuple lands on exactly one queue, so the lcores' sets are disjoint by construction.
// Without RSS (one queue, or a port whose steering is unknown) the range is split into one
// contiguous slice per lcore.
//
// Which ports land here for an endpoint. The reply hash is linear, and the RETA index is its low
// bits: index = base(endpoint) ^ low(port), where base covers the addresses and the remote port,
// and low(port) is the local port's own contribution. So the range is sorted once into classes by
// low(port), and for an endpoint the usable classes are base ^ e for the RETA entries e of this
// queue: every candidate the pool looks at lands here, with no trial and error, whatever the
// number of queues. About 1/queues of the range is usable per endpoint (usable_ports).
//
// Order (RFC 6056 §3.3.3, "Simple Hash-Based Port Selection"): the walk over an endpoint's
// usable ports starts at a keyed hash of the endpoint plus a counter that advances with every
// candidate examined, so ports are hard to guess from outside, and a port just released is the
// last one that endpoint gets again.
//
// Use tracking. The pool counts, per port, the connections it handed it out to (acquire adds one,
// release takes one off). A port with no user is free for any endpoint without further question.
// A port with users may still be free for this endpoint (its users talk to other endpoints), or
// its 4-tuple may be in TIME-WAIT and reusable (RFC 6191, with timestamps): that is lib/tcp's
// decision, asked through tuple_check. Release a port when its connection leaves the flow table
// (after TIME-WAIT, or when its tuple was reused), never earlier.
//
// Cost: one reply hash per acquire, then per candidate a few loads and one division; a candidate
// in use costs a tuple_check call (a flow table lookup). A search examines at most probe_limit
// positions of the walk (a position past the end of a class smaller than the largest names no
// port), and never more than one cycle: when they all fail, the endpoint's usable ports are
// (nearly) all taken, or all of them when the cycle is shorter than probe_limit.
// No allocation, lock or exception after construction.
#include <cstdint>
#include <optional>
#include <vector>

#include "flow/flow_key.hh"
#include "flow/rss_steering.hh"

namespace rampart::flow {

// lib/tcp's answer for a 4-tuple whose local port already has a user: may a new connection
// take it? True when no connection has the tuple, or when the one that has it is in TIME-WAIT
// and may be replaced (RFC 6191). The pool asks only about tuples it would hand out.
class tuple_check {
 public:
  virtual bool is_free(const flow_key& key) const noexcept = 0;

 protected:
  ~tuple_check() = default;
};

struct local_port_pool_options {
  std::uint16_t first_port = 32768;  // the configured range (tcp.local_ports), inclusive
  std::uint16_t last_port = 60999;
  std::uint32_t lcore_index = 0;     // this worker among `lcore_count`: its slice without RSS
  std::uint32_t lcore_count = 1;
  std::uint32_t probe_limit = 256;   // positions of the walk one acquire examines at most
  std::optional<hash_seed> seed;     // the RFC 6056 offset's key; nullopt: hash_seed::random()
};

class local_port_pool {
 public:
  // Sorts this lcore's ports into classes under `steering`, which must outlive the pool.
  // Throws std::invalid_argument for first_port > last_port, lcore_index >= lcore_count, a slice
  // with no port (more lcores than ports), probe_limit 0; std::bad_alloc. Start-up only.
  local_port_pool(const rss_steering& steering, const local_port_pool_options& options);
  local_port_pool(const local_port_pool&) = delete;
  local_port_pool& operator=(const local_port_pool&) = delete;

  // A free local port for `wanted` (local_ip, remote_ip, remote_port; its local_port is
  // ignored) whose replies land on this lcore: `wanted` with local_port set, counted as one more
  // user of the port. nullopt when the probe_limit positions examined named no free port (counted
  // in exhaustions()), or when no port of this lcore's share lands here for that endpoint.
  std::optional<flow_key> acquire(const flow_key& wanted, const tuple_check& check) noexcept;

  // One user less for `port` (a port acquire returned, from this pool, still counted).
  void release(std::uint16_t port) noexcept;

  // How many of this lcore's ports a connection to `wanted`'s endpoint could use: the ones whose
  // replies land here (all of its slice without RSS).
  std::uint32_t usable_ports(const flow_key& wanted) const noexcept;

  // Users summed over all ports: the connections holding a port of this pool.
  std::uint64_t in_use() const noexcept { return _in_use; }
  // Acquires that found no port.
  std::uint64_t exhaustions() const noexcept { return _exhaustions; }
  // The ports this lcore may draw from: the whole range with RSS, its slice without.
  std::uint16_t first_port() const noexcept { return _first; }
  std::uint32_t port_count() const noexcept { return static_cast<std::uint32_t>(_users.size()); }

 private:
  // The RETA index bits of the reply hash that do not depend on the local port.
  std::uint32_t endpoint_bits(const flow_key& wanted) const noexcept;
  std::uint32_t class_size(std::uint32_t c) const noexcept { return _class_start[c + 1] - _class_start[c]; }

  const rss_steering& _steering;
  hash_seed _seed;
  std::uint16_t _first = 0;
  std::uint32_t _probe_limit = 0;
  std::vector<std::uint32_t> _entries;      // RETA entries of this queue ({0} without RSS)
  std::vector<std::uint32_t> _class_start;  // class c's ports: _class_ports[_class_start[c] .. [c+1])
  std::vector<std::uint16_t> _class_ports;  // this lcore's ports, by class, ascending in a class
  std::uint32_t _largest_class = 0;         // ports in the largest class (>= 1)
  std::vector<std::uint32_t> _users;        // connections per port, indexed by port - _first
  std::uint32_t _next = 0;                  // RFC 6056 next_ephemeral
  std::uint64_t _in_use = 0;
  std::uint64_t _exhaustions = 0;
};

}  // namespace rampart::flow
