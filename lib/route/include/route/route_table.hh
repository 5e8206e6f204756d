#pragma once
// Where a datagram rampart originates goes next: straight to its destination on the port's own
// subnet, or to the router of the most specific configured prefix that holds it, or to the
// default gateway (RFC 1122 §3.3.1.1-§3.3.1.2: on-link or first-hop router, chosen by the
// longest matching prefix). Built once per worker lcore at start-up, read-only after.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "net/addresses.hh"

namespace rampart::route {

// A configured route: every destination inside `prefix` (its address is the network, host bits
// zero) is reached through `via`, a host on the port's subnet.
struct static_route {
  net::ipv4_interface_address prefix;
  net::ipv4_address via;
};

class route_table {
 public:
  // `port` is the port's address and prefix (its subnet is on-link). The routes and the gateway
  // are taken as the config module validated them (vias on the subnet, no duplicate prefix).
  route_table(net::ipv4_interface_address port, std::span<const static_route> routes,
              std::optional<net::ipv4_address> gateway);

  // The neighbour a datagram for `destination` is handed to: `destination` itself when it is
  // on the port's subnet, else the `via` of the longest prefix holding it (the gateway counts as
  // 0.0.0.0/0, the subnet as the port's prefix). nullopt: no route, or no unicast host to route
  // to (0.0.0.0, 255.255.255.255, multicast, loopback, our own address, the subnet's broadcast).
  std::optional<net::ipv4_address> next_hop(net::ipv4_address destination) const noexcept;

 private:
  struct entry {
    std::uint32_t network = 0;
    std::uint32_t mask = 0;
    std::optional<net::ipv4_address> via;  // nullopt: on-link, the destination itself
  };
  net::ipv4_interface_address _port;
  std::vector<entry> _entries;  // longest prefix first, so the first match is the answer
};

}  // namespace rampart::route
