#pragma once
// Step: an ARP frame (classify said EtherType 0x0806, addressed to us or broadcast).
#include <cstdint>

#include "pipeline/pipeline.hh"

namespace rampart::pipeline {

// RFC 826 "Packet Reception", in its order: check hardware/protocol types and lengths; merge
// (refresh the sender if already known); if we are the target, add the sender if it was not
// known; if the operation is a request, answer it in place.
//
// Returns transmit with frame holding the reply (at least 60 bytes, zero padded), consume for a
// reply addressed to us (its sender was learned; nothing to send), or drop:
//   arp_malformed       too short, or not Ethernet/IPv4 (htype/ptype/hlen/plen)
//   arp_not_for_us      target IP is not ours (gratuitous ARP of others lands here too,
//                       after its sender has been refreshed)
//   arp_unsupported_op  operation is neither request nor reply
// Counts arp_neighbours_learned and arp_requests_answered; drops are counted by the caller.
packet::verdict arp_input(lcore_context& ctx, packet::frame& f, std::uint64_t now_ns) noexcept;

}  // namespace rampart::pipeline
