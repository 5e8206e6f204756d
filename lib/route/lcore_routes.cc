#include "route/lcore_routes.hh"

#include <algorithm>
#include <array>

namespace rampart::route {

send_result lcore_routes::send(net::ipv4_address destination, const packet::buffer& frame,
                               const packet::tx_offload_request& offload, std::uint64_t now_ns) noexcept {
  const std::optional<net::ipv4_address> next_hop = _table.next_hop(destination);
  if (!next_hop) {
    _pool.release(frame.handle);
    _stats.count_drop(stats::drop_reason::route_unreachable);
    return send_result::dropped;
  }
  return _resolver.send(*next_hop, frame, offload, now_ns);
}

std::optional<resolution> lcore_routes::resolve(net::ipv4_address destination, std::uint64_t now_ns) noexcept {
  const std::optional<net::ipv4_address> next_hop = _table.next_hop(destination);
  if (!next_hop) {
    return std::nullopt;
  }
  return _resolver.resolve(*next_hop, now_ns);
}

std::size_t lcore_routes::list(std::span<neighbour_row> out, std::uint64_t now_ns) const noexcept {
  std::array<neighbour_table::entry, neighbour_table::capacity> learned;
  const std::size_t count = _neighbours.copy_entries(learned);
  std::size_t n = 0;
  for (std::size_t i = 0; i < count && n < out.size(); ++i) {
    const neighbour_table::entry& e = learned[i];
    out[n++] = {e.ip, e.mac, now_ns - std::min(now_ns, e.refreshed_ns), neighbour_state::reachable};
  }
  return n + _resolver.list_pending(out.subspan(n), now_ns);
}

}  // namespace rampart::route
