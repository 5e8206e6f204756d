#pragma once
// Step: an ICMPv6 message in a validated IPv6 packet for us (ipv6_input checked the
// destination: one of our addresses, all-nodes or one of our solicited-node groups).
#include "net/ipv6.hh"
#include "packet/frame.hh"
#include "pipeline/pipeline.hh"

namespace rampart::pipeline {

// Checks the checksum (net::icmpv6_view::parse: icmpv6_truncated, icmpv6_bad_checksum), then:
// - echo request (RFC 4443 §4.1): answered in place, to the MAC and address it came from, from
//   the address it was sent to (for all-nodes: our address of the requester's scope), hop limit
//   64, the request's DSCP, flow label 0, the data unchanged; extension headers not echoed.
//   Counts icmpv6_echo_replied.
// - Neighbor Solicitation (net::parse_neighbor_solicitation's errors) for one of our addresses
//   (else ndp_target_not_ours): answered in place with a Neighbor Advertisement carrying our
//   MAC, Override set (RFC 4861 §7.2.4); Solicited set and sent to the solicitor (to its
//   source link-layer address when it gave one), or, for a duplicate address probe from ::,
//   Solicited clear and sent to all-nodes. Counts ndp_solicitations_answered.
// - Neighbor Advertisement (net::parse_neighbor_advertisement's errors): for one of our
//   addresses from another MAC, a duplicate address (RFC 4862 §5.4.4): counts
//   ndp_address_conflicts and consumes it; any other is ndp_advertisement_no_entry.
// - errors (net::parse_icmpv6_quoted_tcp's errors; icmpv6_error_not_ours when the quoted source
//   is not ours): icmpv6_error_ignored, as nothing sends TCP over IPv6 yet.
// - anything else: icmpv6_unsupported_type.
// A source that is :: outside a solicitation, or one of our addresses outside an advertisement,
// is ipv6_martian_source; a reply that does not fit the frame's buffer icmpv6_reply_too_large.
packet::verdict icmpv6_input(lcore_context& ctx, packet::frame& f, const net::ipv6_view& ip,
                             const net::ipv6_upper_layer& upper) noexcept;

}  // namespace rampart::pipeline
