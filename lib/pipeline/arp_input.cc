#include "pipeline/arp_input.hh"

#include <algorithm>
#include <span>

#include "net/arp.hh"
#include "net/ethernet.hh"

namespace rampart::pipeline {

packet::verdict arp_input(lcore_context& ctx, packet::frame& f, std::uint64_t now_ns) noexcept {
  using stats::drop_reason;
  const std::span<std::byte> bytes{f.data, f.length};
  const auto arp = net::arp_view::parse(bytes.subspan(net::ethernet_header_length));
  if (!arp) {
    return {packet::action::drop, arp.error()};
  }
  const net::arp_packet in = arp->packet();
  const net::ipv4_address our_ip = ctx.identity.ip.address;

  // RFC 826: "If the pair <protocol type, sender protocol address> is already in my
  // translation table, update the sender hardware address field ... set Merge_flag to true."
  // A sender claiming our own address is a conflict (RFC 5227 §2.4), never a neighbour.
  bool learned = false;
  bool merged = false;
  if (in.sender_ip != our_ip) {
    merged = ctx.neighbours.refresh(in.sender_ip, in.sender_mac, now_ns);
    learned = merged;
  }
  // RFC 826: "?Am I the target protocol address? Yes: If Merge_flag is false, add the triplet."
  if (in.target_ip != our_ip) {
    if (learned) {
      ctx.stats->arp_neighbours_learned.add();
    }
    return {packet::action::drop, drop_reason::arp_not_for_us};
  }
  if (!merged && in.sender_ip != our_ip) {
    learned = ctx.neighbours.learn(in.sender_ip, in.sender_mac, now_ns);
  }
  if (learned) {
    ctx.stats->arp_neighbours_learned.add();
    if (ctx.routes != nullptr) {
      ctx.routes->resolver().resolved(in.sender_ip, in.sender_mac);  // frames waiting for it leave
    }
  }

  switch (in.operation) {
    case net::arp_op::request:
      break;
    case net::arp_op::reply:
      return packet::consumed();  // its sender was learned above; nothing to answer
    default:
      return {packet::action::drop, drop_reason::arp_unsupported_op};
  }

  // RFC 826: "Swap hardware and protocol fields, putting the local hardware and protocol
  // addresses in the sender fields. Set the ar$op field to ares_op$REPLY. Send the packet to
  // the (new) target hardware address on the same hardware on which the request was received."
  const net::arp_packet reply{net::arp_op::reply, ctx.identity.mac, our_ip, in.sender_mac, in.sender_ip};
  net::write_ethernet_header(bytes, {in.sender_mac, ctx.identity.mac, net::ether_type::arp});
  net::write_arp(bytes.subspan(net::ethernet_header_length), reply);

  // Pad to the Ethernet minimum with zeros rather than whatever followed the request (trailing
  // bytes of a received frame are the sender's, and would otherwise leak back on the wire).
  // The engine's mbufs always hold 60 bytes; a smaller buffer still gets a correct 42-byte
  // reply, which the NIC pads.
  constexpr std::size_t arp_frame_length = net::ethernet_header_length + net::arp_ipv4_length;
  const std::size_t length = std::min<std::size_t>(net::ethernet_min_frame_length,
                                                   std::max<std::size_t>(f.capacity, arp_frame_length));
  std::fill(f.data + arp_frame_length, f.data + length, std::byte{0});
  f.length = static_cast<std::uint16_t>(length);
  f.offload = {};  // ARP carries no checksum
  ctx.stats->arp_requests_answered.add();
  return {packet::action::transmit, {}};
}

}  // namespace rampart::pipeline
