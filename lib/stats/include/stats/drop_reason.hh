#pragma once
// Every reason the datapath drops a frame, one per-lcore counter each (docs/stats.md documents
// them all; keep that file in step with this list). The datapath never throws: a malformed or
// unwanted packet is data, and the step that refuses it returns one of these.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

// X(name, description). Append new reasons inside the group of the step that produces them.
#define RAMPART_DROP_REASONS(X)                                                                    \
  /* Ethernet (classify) */                                                                        \
  X(eth_truncated, "frame shorter than an Ethernet header")                                        \
  X(eth_not_for_us, "destination MAC is neither ours nor broadcast")                               \
  X(eth_unsupported_ethertype, "EtherType other than ARP, IPv4 and IPv6 (IPv6 too when the port has no IPv6 address; VLAN, LLDP, ...)") \
  /* ARP */                                                                                        \
  X(arp_malformed, "ARP shorter than 28 bytes or not Ethernet/IPv4 (htype/ptype/hlen/plen)")       \
  X(arp_not_for_us, "ARP whose target address is not ours (requests for others, gratuitous ARP)")  \
  X(arp_unsupported_op, "ARP operation other than request or reply")                               \
  /* IPv4 input (RFC 791, RFC 1122 3.2.1) */                                                       \
  X(ipv4_truncated, "frame too short for a 20-byte IPv4 header")                                   \
  X(ipv4_bad_version, "IP version field is not 4")                                                 \
  X(ipv4_bad_ihl, "IHL below 5 or header longer than the frame")                                   \
  X(ipv4_bad_total_length, "total length below the header length or beyond the frame")            \
  X(ipv4_bad_checksum, "IPv4 header checksum does not verify")                                     \
  X(ipv4_fragment, "fragment (MF set or offset non-zero); rampart does not reassemble")            \
  X(ipv4_martian_source, "source is 0/8, loopback, multicast, 240/4, our subnet broadcast or our own address (RFC 1122 3.2.1.3)") \
  X(ipv4_not_our_address, "destination is not the port's address")                                 \
  X(ipv4_link_broadcast, "unicast datagram received via link-layer broadcast (RFC 1122 3.3.6)")    \
  X(ipv4_unsupported_protocol, "IP protocol other than ICMP or TCP")                               \
  /* ICMP (RFC 792, RFC 1122 3.2.2) */                                                             \
  X(icmp_truncated, "ICMP message shorter than its 8-byte header")                                 \
  X(icmp_bad_checksum, "ICMP checksum does not verify")                                            \
  X(icmp_unsupported_type, "ICMP type other than echo request and the errors (echo replies, redirects, timestamps, ...)") \
  X(icmp_error_truncated, "ICMP error quoting less than an IPv4 header and 8 bytes (RFC 792)")    \
  X(icmp_error_bad_quote, "ICMP error whose quoted header is not IPv4, has IHL below 5, or is a later fragment") \
  X(icmp_error_not_tcp, "ICMP error about a datagram other than TCP (e.g. our echo replies)")     \
  X(icmp_error_not_ours, "ICMP error quoting a datagram whose source is not our address")        \
  X(icmp_error_ignored, "ICMP error that affects nothing: a soft error (RFC 5927 4.2), an unreachable outside SYN-SENT or for no connection") \
  X(icmp_frag_needed_no_connection, "fragmentation needed quoting a segment of no connection of this lcore") \
  X(icmp_frag_needed_not_in_flight, "fragmentation needed whose quoted sequence is not in flight (RFC 5927 4.1)") \
  X(icmp_unreachable_not_in_flight, "destination unreachable whose quoted sequence is not our SYN in flight (RFC 5927 4.1)") \
  X(icmp_frag_needed_bad_mtu, "fragmentation needed with a next-hop MTU below 68 (0: a pre-RFC 1191 router)") \
  X(icmp_frag_needed_not_smaller, "fragmentation needed whose MTU would not lower the connection's MSS") \
  /* IPv6 input (RFC 8200) */                                                                    \
  X(ipv6_truncated, "frame too short for a 40-byte IPv6 header")                                   \
  X(ipv6_bad_version, "IP version field is not 6")                                                 \
  X(ipv6_bad_payload_length, "payload length beyond the frame")                                 \
  X(ipv6_extension_header_truncated, "extension header, or an option inside one, running past the packet (jumbograms too)") \
  X(ipv6_extension_chain_too_long, "more than 8 extension headers, or their chain past the first 256 bytes of payload") \
  X(ipv6_hop_by_hop_not_first, "hop-by-hop options header other than the first (RFC 8200 4.1)")   \
  X(ipv6_unrecognized_option, "option of unknown type whose two high bits say discard (RFC 8200 4.2)") \
  X(ipv6_routing_type0, "type 0 routing header with segments left (deprecated, RFC 5095)")         \
  X(ipv6_routing_segments_left, "routing header of another type with segments left: rampart forwards nothing (RFC 8200 4.4)") \
  X(ipv6_fragment, "fragment other than an atomic one (RFC 8021); rampart does not reassemble")   \
  X(ipv6_no_next_header, "next header 59, No Next Header: nothing to deliver (RFC 8200 4.7)")       \
  X(ipv6_unsupported_next_header, "upper-layer protocol other than ICMPv6 and TCP (UDP, ESP, ...)") \
  X(ipv6_link_multicast, "unicast IPv6 destination received via link-layer multicast or broadcast") \
  X(ipv6_martian_source, "source is multicast, loopback or IPv4-mapped; or :: or our own address outside Neighbor Discovery") \
  X(ipv6_not_our_address, "destination is not our global or link-local address (nor, for ICMPv6, a group we joined)") \
  X(ipv6_tcp_unhandled, "TCP segment over IPv6: TCP is served over IPv4 only for now")              \
  /* ICMPv6 (RFC 4443) */                                                                          \
  X(icmpv6_truncated, "ICMPv6 message shorter than 8 bytes")                                       \
  X(icmpv6_bad_checksum, "ICMPv6 checksum (pseudo-header included) does not verify")               \
  X(icmpv6_unsupported_type, "ICMPv6 type rampart does not act on (echo replies, router messages, redirects, MLD, ...)") \
  X(icmpv6_error_truncated, "ICMPv6 error quoting less than an IPv6 header and 8 bytes (RFC 4443 2.4)") \
  X(icmpv6_error_bad_quote, "ICMPv6 error whose quoted header is not IPv6")                        \
  X(icmpv6_error_not_tcp, "ICMPv6 error about a packet other than TCP (e.g. our echo replies)")   \
  X(icmpv6_error_not_ours, "ICMPv6 error quoting a packet whose source is not one of our addresses") \
  X(icmpv6_error_ignored, "ICMPv6 error about a TCP segment from us: TCP over IPv6 is not served yet, nothing acts on it") \
  X(icmpv6_reply_too_large, "the ICMPv6 or NDP reply does not fit the frame's buffer")            \
  /* NDP (RFC 4861 7.1) */                                                                         \
  X(ndp_bad_hop_limit, "Neighbor Solicitation or Advertisement whose hop limit is not 255: it crossed a router") \
  X(ndp_bad_code, "Neighbor Solicitation or Advertisement with an ICMPv6 code other than 0")      \
  X(ndp_truncated, "Neighbor Solicitation or Advertisement shorter than 24 bytes")                 \
  X(ndp_multicast_target, "Neighbor Solicitation or Advertisement whose target is a multicast address") \
  X(ndp_bad_option, "NDP option of length 0, past the message, or a link-layer address option not 8 bytes long") \
  X(ndp_bad_dad_probe, "Neighbor Solicitation from :: not to a solicited-node group, or with a source link-layer option") \
  X(ndp_solicited_to_multicast, "Neighbor Advertisement to a multicast address with the Solicited flag set") \
  X(ndp_target_not_ours, "Neighbor Solicitation for an address that is not one of ours")          \
  X(ndp_advertisement_no_entry, "Neighbor Advertisement for an address rampart is not resolving (RFC 4861 7.2.5: discarded)") \
  /* TCP: the listener path replaces this with precise reasons */                                  \
  X(tcp_unhandled, "TCP segment while no TCP handler is attached")                                 \
  /* TCP listener path (lib/tcp; RFC 9293 3.10.7, RFC 5961) */                                     \
  X(tcp_truncated, "IP payload shorter than a 20-byte TCP header")                                 \
  X(tcp_bad_data_offset, "TCP data offset below 5 or beyond the IP payload")                       \
  X(tcp_bad_checksum, "TCP checksum (pseudo-header included) does not verify")                     \
  X(tcp_bad_options, "malformed TCP option list (bad length, runs past the header)")               \
  X(tcp_rst_no_connection, "RST for no connection, to a closed or listening port (RFC 9293 3.10.7.1-2)") \
  X(tcp_no_syn_or_ack, "segment to a listening port with neither SYN, ACK nor RST (RFC 9293 3.10.7.2)") \
  X(tcp_syn_no_cookie_key, "SYN needing a cookie while the key of the current epoch is missing")  \
  X(tcp_syn_backlog_full, "SYN dropped: cookies off and the per-lcore SYN backlog is full")       \
  X(tcp_reply_too_large, "the reply does not fit the frame's capacity")                            \
  X(tcp_rst_out_of_window, "RST outside the receive window of its connection (RFC 5961 3.2)")      \
  X(tcp_ack_missing, "segment without ACK on a connection (RFC 9293 3.10.7.4, fifth check)")      \
  X(tcp_draining, "SYN to a listener while the engine drains after SIGTERM (not answered)")       \
  X(tcp_challenge_ack_limited, "RST/SYN that earned a challenge ACK past the per-connection rate limit (RFC 5961 7)") \
  X(tcp_challenge_ack_lcore_limited, "RST/SYN that earned a challenge ACK past the lcore's tcp.challenge_acks_per_second_lcore") \
  X(tcp_rst_rate_limited, "segment that earned a RST (closed port, bad cookie, bad ACK) past the lcore's tcp.rst_per_second") \
  X(tcp_syn_sent_bad_ack, "RST in SYN-SENT whose ACK does not acknowledge our SYN (RFC 9293 3.10.7.3: dropped)") \
  X(tcp_syn_sent_rst_without_ack, "RST without ACK in SYN-SENT (RFC 9293 3.10.7.3 / RFC 5961 3.2: dropped)") \
  X(tcp_syn_sent_no_syn, "segment in SYN-SENT with neither SYN nor RST (RFC 9293 3.10.7.3 fifth: dropped)") \
  /* Traffic rampart originates (lib/route) */                                                    \
  X(route_unreachable, "frame rampart built for a destination no route covers")                  \
  X(neighbour_queue_full, "frame for a next hop still resolving, with its queue, the lcore's queue or the pending next hops full") \
  X(neighbour_unreachable, "frame for a next hop that answered no ARP request (waiting, or sent in its hold-down)") \
  X(neighbour_tx_staging_full, "frame that waited for ARP and found the TX staging full when the reply came") \
  /* Engine */                                                                                     \
  X(tx_ring_full, "reply built but the TX queue was full (the driver reports its ring full)")      \
  X(tx_refused, "reply built but the driver did not take it and does not report a full ring")     \
  X(tx_link_down, "segment lib/tcp built while the link was down, which the driver did not take") \
  X(rx_multi_segment, "frame received in a chain of mbufs; the datapath handles single-segment frames") \
  X(rx_oversized, "frame longer than port.mtu + 14 (Ethernet header) in one mbuf")

namespace rampart::stats {

enum class drop_reason : std::uint16_t {
#define RAMPART_X(name, description) name,
  RAMPART_DROP_REASONS(RAMPART_X)
#undef RAMPART_X
};

inline constexpr std::size_t drop_reason_count = 0
#define RAMPART_X(name, description) +1
    RAMPART_DROP_REASONS(RAMPART_X)
#undef RAMPART_X
    ;

inline constexpr std::array<std::string_view, drop_reason_count> drop_reason_names = {
#define RAMPART_X(name, description) #name,
    RAMPART_DROP_REASONS(RAMPART_X)
#undef RAMPART_X
};

inline constexpr std::array<std::string_view, drop_reason_count> drop_reason_descriptions = {
#define RAMPART_X(name, description) description,
    RAMPART_DROP_REASONS(RAMPART_X)
#undef RAMPART_X
};

constexpr std::string_view name_of(drop_reason reason) noexcept {
  return drop_reason_names[static_cast<std::size_t>(reason)];
}

}  // namespace rampart::stats
