#include "pipeline/classify.hh"

namespace rampart::pipeline {

bool is_joined_ipv6_group(const port_identity& identity, const net::mac_address& destination) noexcept {
  if (!identity.ipv6) {
    return false;
  }
  return destination == net::ipv6_address::all_nodes().multicast_mac() ||
         destination == identity.ipv6->global.address.solicited_node().multicast_mac() ||
         destination == identity.ipv6->link_local.solicited_node().multicast_mac();
}

}  // namespace rampart::pipeline
