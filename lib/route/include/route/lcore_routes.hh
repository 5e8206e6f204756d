#pragma once
// One worker lcore's way out for the frames it originates (active opens, their segments): the
// route table picks the next hop, the resolver finds its MAC and holds the frame while ARP
// answers. The engine builds one per worker and hands it to the layers that send
// (pipeline::lcore_context::routes).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "route/neighbour_resolver.hh"
#include "route/route_table.hh"

namespace rampart::route {

class lcore_routes {
 public:
  lcore_routes(route_table table, neighbour_table& neighbours, net::mac_address our_mac,
               net::ipv4_address our_ip, packet::buffer_pool& pool, packet::frame_sink& sink,
               stats::lcore_stats& stats) noexcept
      : _table(std::move(table)), _neighbours(neighbours), _resolver(neighbours, our_mac, our_ip, pool, sink, stats),
        _pool(pool), _stats(stats) {}

  const route_table& table() const noexcept { return _table; }
  neighbour_resolver& resolver() noexcept { return _resolver; }

  // Sends `frame`, an Ethernet frame carrying an IPv4 datagram for `destination`, to its next
  // hop (neighbour_resolver::send). No route: released and dropped as route_unreachable.
  // Takes the buffer in every case but send_result::sink_full.
  send_result send(net::ipv4_address destination, const packet::buffer& frame,
                   const packet::tx_offload_request& offload, std::uint64_t now_ns) noexcept;

  // Resolves the next hop of `destination` (neighbour_resolver::resolve); nullopt: no route.
  std::optional<resolution> resolve(net::ipv4_address destination, std::uint64_t now_ns) noexcept;

  // Every next hop: the learned neighbours, then the pending ones. Returns how many fit `out`;
  // neighbour_table::capacity + neighbour_resolver::max_pending rows hold them all.
  static constexpr std::size_t max_rows = neighbour_table::capacity + neighbour_resolver::max_pending;
  std::size_t list(std::span<neighbour_row> out, std::uint64_t now_ns) const noexcept;

 private:
  route_table _table;
  const neighbour_table& _neighbours;
  neighbour_resolver _resolver;
  packet::buffer_pool& _pool;
  stats::lcore_stats& _stats;
};

}  // namespace rampart::route
