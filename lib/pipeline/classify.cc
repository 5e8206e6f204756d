#include "pipeline/classify.hh"

#include "net/ethernet.hh"

namespace rampart::pipeline {

classification classify(const port_identity& identity, std::span<const std::byte> frame) noexcept {
  using stats::drop_reason;
  const auto eth = net::ethernet_view::parse(frame);
  if (!eth) {
    return {l3_kind::drop, eth.error()};
  }
  const net::mac_address destination = eth->destination();
  if (destination != identity.mac && !destination.is_broadcast()) {
    return {l3_kind::drop, drop_reason::eth_not_for_us};
  }
  switch (eth->ether_type()) {
    case net::ether_type::arp:
      return {l3_kind::arp, {}};
    case net::ether_type::ipv4:
      return {l3_kind::ipv4, {}};
    default:
      return {l3_kind::drop, drop_reason::eth_unsupported_ethertype};
  }
}

}  // namespace rampart::pipeline
