#include "route/route_table.hh"

#include <algorithm>

namespace rampart::route {

namespace {

std::uint32_t mask_of(std::uint8_t prefix_length) noexcept {
  return net::ipv4_interface_address{{}, prefix_length}.netmask();
}

}  // namespace

route_table::route_table(net::ipv4_interface_address port, std::span<const static_route> routes,
                         std::optional<net::ipv4_address> gateway)
    : _port(port) {
  const std::uint32_t port_mask = port.netmask();
  _entries.push_back({port.address.value & port_mask, port_mask, std::nullopt});
  for (const static_route& r : routes) {
    const std::uint32_t mask = mask_of(r.prefix.prefix_length);
    _entries.push_back({r.prefix.address.value & mask, mask, r.via});
  }
  if (gateway) {
    _entries.push_back({0, 0, *gateway});
  }
  // A longer mask is a larger number: sorting by mask, largest first, puts the most specific
  // prefix first. Stable, so the subnet stays ahead of a route with the same prefix length.
  std::stable_sort(_entries.begin(), _entries.end(), [](const entry& a, const entry& b) { return a.mask > b.mask; });
}

std::optional<net::ipv4_address> route_table::next_hop(net::ipv4_address destination) const noexcept {
  const bool subnet_broadcast = _port.prefix_length < 31 && destination == _port.subnet_broadcast();
  if (destination.is_zero() || destination.is_limited_broadcast() || destination.is_multicast() ||
      destination.is_loopback() || destination == _port.address || subnet_broadcast) {
    return std::nullopt;
  }
  for (const entry& e : _entries) {
    if ((destination.value & e.mask) == e.network) {
      return e.via ? *e.via : destination;
    }
  }
  return std::nullopt;
}

}  // namespace rampart::route
