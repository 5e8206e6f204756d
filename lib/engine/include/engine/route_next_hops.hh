#pragma once
// lib/tcp's way to a peer it opens a connection to (tcp::next_hop_resolver), over the worker's
// routes and neighbour resolution (lib/route). The two modules stay apart: this is where the
// engine joins them, one per worker.
#include <cstdint>

#include "packet/buffer.hh"
#include "route/lcore_routes.hh"
#include "tcp/next_hop.hh"

namespace rampart::engine {

class route_next_hops final : public tcp::next_hop_resolver {
 public:
  route_next_hops(route::lcore_routes& routes, packet::buffer_pool& pool) noexcept : _routes(routes), _pool(pool) {}

  result resolve(net::ipv4_address destination, std::uint64_t now_ns) noexcept override {
    const auto r = _routes.resolve(destination, now_ns);
    if (!r) {
      return {status::unreachable, {}};  // no route covers it
    }
    switch (r->what) {
      case route::resolution::status::reachable:
        return {status::resolved, r->mac};
      case route::resolution::status::pending:
      case route::resolution::status::no_room:  // hold() drops (and counts) the frame: the SYN's timer tries again
        return {status::pending, {}};
      case route::resolution::status::unreachable:
        break;
    }
    return {status::unreachable, {}};
  }

  bool hold(net::ipv4_address destination, const packet::buffer& frame, const packet::tx_offload_request& offload,
            std::uint64_t now_ns) noexcept override {
    switch (_routes.send(destination, frame, offload, now_ns)) {
      case route::send_result::sent:
      case route::send_result::queued:
        return true;
      case route::send_result::dropped:
        return false;  // released and counted by the resolver
      case route::send_result::sink_full:
        _pool.release(frame.handle);  // resolved meanwhile, but no TX room this turn: lost like any SYN
        return false;
    }
    return false;
  }

 private:
  route::lcore_routes& _routes;
  packet::buffer_pool& _pool;
};

}  // namespace rampart::engine
