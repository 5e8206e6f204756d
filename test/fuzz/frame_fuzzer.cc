// libFuzzer target: frame parsing and the TCP listener path, through pipeline::process_burst with
// a real tcp::lcore_tcp (listeners on 80 and 7, SYN cookies from fixed keys, a fixed clock, a
// 16-connection table). Beyond "no crash, no sanitizer report", every burst is checked against
// three invariants; a violation prints why and aborts, so libFuzzer saves the input:
//
//  (a) no connection without a proof: a flow key that appears in the table during a burst must
//      belong to a frame of that burst which, re-parsed here independently of lib/tcp, is an ACK
//      (no SYN, no RST) to a listened port whose SEG.ACK-1 passes cookie::check_syn_cookie with
//      the same keys and clock, or with the ISN of a SYN of the same flow the run sent earlier
//      when SEG.SEQ lies in (ISN + 1, ISN + 1 + 65535) (a segment overtaking the handshake's ACK,
//      lib/tcp/recent_cookies.hh). In cookie mode auto, a SYN to a listened port (a
//      backlog entry, state syn_received) also qualifies.
//  (b) one frame, at most one reply, and every reply is well formed: length within capacity,
//      no offload requested (the port offers none: software checksums), Ethernet from our MAC,
//      then either an ARP reply to the requester (to its ARP sender MAC, RFC 826) or IPv4 to the
//      frame's source MAC, from our address
//      back to the sender whose header checksum verifies and whose ICMP echo reply / TCP segment
//      checksum verifies, TCP ports swapped; or IPv6 from one of our addresses with no extension
//      header, carrying an ICMPv6 message whose checksum verifies: an echo reply to the sender
//      of a valid echo request with its identifier, sequence and data, or a Neighbor
//      Advertisement (hop limit 255, Override set, our MAC) for the target of a valid
//      solicitation for one of our addresses, to its sender, or to all-nodes with Solicited
//      clear when it came from ::.
//  (c) counters add up: frames in = transmit + consume + drop verdicts; `consumed` moved by
//      exactly the consume verdicts; `dropped` equals the sum of the per-reason counters and
//      moved by exactly the drop verdicts of the burst, reason by reason; no counter ever
//      decreases (except the connection gauge).
//  (d) ICMP errors quoting one of our TCP flows (the quote re-parsed here from the frame): a
//      connection's MSS changes only by a "fragmentation needed" of the burst that quoted it with
//      a sequence number in flight (RFC 5927 §4.1) and an MTU of at least 68, and then to exactly
//      max(MTU, 552) - 40, downwards only; such a frame is consumed only then. The replay burst
//      (bit 7) rebases quoted sequence numbers like acknowledgments (relative to SND.UNA), so
//      errors can name data in flight.
//
// Input layout (test/fuzz/README.md has examples):
//   byte 0: mode bits
//     bit 0  burst: the rest is frames, each [length: 2 bytes big-endian][bytes], up to 32;
//            otherwise the rest is ONE frame
//     bit 1  handshake: every SYN-ACK of burst 1 is turned into the client's matching ACK
//            (the fuzzer cannot compute a cookie without the keys; this lets it reach the
//            connection-created path), and those ACKs run as burst 2
//     bit 2  those ACKs also carry FIN (exercises the state machine behind open_from_cookie)
//     bits 3-4 clock step between bursts: 0, 1 s, 40 s, 70 s (70 s: every cookie has expired)
//     bit 5  cookie mode auto (a stateful SYN backlog of 8, cookies past 4) instead of always
//     bit 6  frames carry an RSS hash (a fixed function of the 4-tuple, as a NIC's would be)
//     bit 7  replay: the frames of burst 1 run again as the last burst, their TCP acknowledgment
//            numbers taken as relative to our ISN when their flow is now in the table (and the
//            checksum fixed if it verified before), so the fuzzer drives the state machine of
//            established connections
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "config/config.hh"
#include "cookie/key_schedule.hh"
#include "engine/tcp_settings.hh"
#include "fuzz_check.hh"
#include "cookie/syn_cookie.hh"
#include "flow/flow_key.hh"
#include "net/arp.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/icmp.hh"
#include "net/icmpv6.hh"
#include "net/ipv4.hh"
#include "net/ipv6.hh"
#include "net/ndp.hh"
#include "net/tcp_header.hh"
#include "pipeline/pipeline.hh"
#include "stats/counters.hh"
#include "tcp/icmp_error_input.hh"
#include "tcp/connection.hh"  // private to lib/tcp: the invariants read control blocks
#include "tcp/lcore_tcp.hh"
#include "tcp/tcp_input.hh"

namespace {

using namespace rampart;
using bytes = std::vector<std::byte>;

using fuzz::t0_ns;  // the unit tests' instant and master secret (fuzz_check.hh)
constexpr std::size_t frame_capacity = 2048;  // an mbuf's data room (RTE_MBUF_DEFAULT_DATAROOM)
constexpr std::size_t max_burst = 32;
constexpr std::array<std::uint64_t, 4> clock_steps_ns = {0, 1'000'000'000ULL, 40'000'000'000ULL,
                                                         70'000'000'000ULL};
constexpr std::array<std::uint16_t, 2> listened_ports = {80, 7};

// Ours: 10.77.0.2/24 and fd77::2/64 at 02:00:00:00:00:02 (the seeds, make_corpus.py, use the same).
const net::mac_address our_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const net::ipv4_interface_address our_ip{{0x0a4d0002}, 24};
const pipeline::ipv6_identity our_ipv6{*net::ipv6_interface_address::parse("fd77::2/64"),
                                       net::ipv6_address::link_local_of(our_mac)};

namespace mode_bit {
constexpr std::uint8_t burst = 1U << 0;
constexpr std::uint8_t handshake = 1U << 1;
constexpr std::uint8_t ack_fin = 1U << 2;
constexpr std::uint8_t clock_shift = 3;
constexpr std::uint8_t auto_cookies = 1U << 5;
constexpr std::uint8_t rss = 1U << 6;
constexpr std::uint8_t replay = 1U << 7;
}  // namespace mode_bit

// ---- Independent re-parsing (net views only; nothing of lib/pipeline or lib/tcp) ----

// An ICMP error for us quoting a TCP segment of ours, as the pipeline would hand it to lib/tcp.
struct icmp_probe {
  flow::flow_key key;  // the quoted segment's flow, remote = the quoted destination
  net::icmp_quoted_tcp quote;
  std::size_t icmp_offset = 0;  // of the ICMP message in the frame
  std::size_t icmp_length = 0;
  std::size_t sequence_offset = 0;  // of the quoted sequence number in the frame
};

std::optional<icmp_probe> probe_icmp(std::span<const std::byte> frame) {
  const auto eth = net::ethernet_view::parse(frame);
  if (!eth || eth->ether_type() != net::ether_type::ipv4 || eth->destination() != our_mac) {
    return std::nullopt;
  }
  const auto ip = net::ipv4_view::parse(eth->payload());
  if (!ip || ip->is_fragment() || ip->destination() != our_ip.address || ip->protocol() != net::ip_protocol::icmp) {
    return std::nullopt;
  }
  const auto icmp = net::icmp_view::parse(ip->payload());
  if (!icmp || !net::is_icmp_error(icmp->type())) {
    return std::nullopt;
  }
  const auto quote = net::parse_icmp_quoted_tcp(*icmp);
  if (!quote || quote->source != our_ip.address) {
    return std::nullopt;
  }
  icmp_probe p;
  p.key = {quote->destination.value, quote->source.value, quote->destination_port, quote->source_port};
  p.quote = *quote;
  p.icmp_offset = net::ethernet_header_length + ip->header_length();
  p.icmp_length = ip->payload().size();
  const std::size_t quoted_ihl = std::size_t{std::to_integer<std::uint8_t>(icmp->data()[0]) & 0x0fU} * 4;
  p.sequence_offset = p.icmp_offset + net::icmp_header_length + quoted_ihl + 4;
  return p;
}

// A TCP segment the pipeline would hand to lib/tcp: for us at L2 and L3, valid IPv4, not a
// fragment, a TCP header that parses, a checksum that verifies.
struct tcp_probe {
  flow::flow_key key;  // remote = the frame's source
  net::tcp_header tcp;
  net::tcp_options options;
  std::size_t l4_offset = 0;
  std::size_t l4_length = 0;
};

std::optional<tcp_probe> probe_tcp(std::span<const std::byte> frame) {
  const auto eth = net::ethernet_view::parse(frame);
  if (!eth || eth->ether_type() != net::ether_type::ipv4) {
    return std::nullopt;
  }
  if (eth->destination() != our_mac && !eth->destination().is_broadcast()) {
    return std::nullopt;
  }
  const auto ip = net::ipv4_view::parse(eth->payload());
  if (!ip || ip->is_fragment() || ip->destination() != our_ip.address || ip->protocol() != net::ip_protocol::tcp) {
    return std::nullopt;
  }
  const auto tcp = net::tcp_view::parse(ip->payload());
  if (!tcp || !net::ipv4_l4_checksum_verifies(ip->source(), ip->destination(), net::ip_protocol::tcp, ip->payload())) {
    return std::nullopt;
  }
  const net::tcp_header& th = tcp->header();
  return tcp_probe{{ip->source().value, ip->destination().value, th.source_port, th.destination_port},
                   th,
                   tcp->options(),
                   net::ethernet_header_length + ip->header_length(),
                   ip->payload().size()};
}

bool listened(std::uint16_t port) {
  return std::find(listened_ports.begin(), listened_ports.end(), port) != listened_ports.end();
}

// A SYN the run sent to a listened port: its flow and ISN.
struct sent_syn {
  flow::flow_key key;
  std::uint32_t isn = 0;
};

// Invariant (a): may this frame have created the connection of its flow? `syns`: every SYN sent
// so far, whose ISN the listener may remember for a segment that overtook the handshake's ACK.
bool may_open(const tcp_probe& p, bool auto_cookies, std::uint64_t now_ns, const cookie::key_set& keys,
              std::span<const sent_syn> syns) {
  using namespace net::tcp_flag;
  if (!listened(p.key.local_port)) {
    return false;
  }
  const std::uint8_t control = p.tcp.flags & (syn | ack | rst);
  if (control == syn) {
    return auto_cookies;  // a backlog entry (RFC 9293 §3.10.7.2, SYN-RECEIVED kept in the table)
  }
  if (control != ack) {
    return false;
  }
  cookie::ack_fields fields{{p.key.remote_ip, p.key.local_ip, p.key.remote_port, p.key.local_port},
                            (p.tcp.acknowledgment - 1).raw(),
                            (p.tcp.sequence - 1).raw(),
                            std::nullopt};
  if (p.options.timestamps) {
    fields.tsecr = p.options.timestamps->echo_reply;
  }
  if (cookie::check_syn_cookie(fields, now_ns, keys).ok()) {
    return true;
  }
  // The cookie SYN-ACK offered a 65535-byte window (the harness's receive_window is larger).
  for (const sent_syn& syn : syns) {
    const net::seq32 rcv_nxt = net::seq32{syn.isn} + 1;
    if (syn.key == p.key && p.tcp.sequence > rcv_nxt && p.tcp.sequence < rcv_nxt + 65535) {
      fields.client_isn = syn.isn;
      if (cookie::check_syn_cookie(fields, now_ns, keys).ok()) {
        return true;
      }
    }
  }
  return false;
}

// The ICMPv6 message of a valid IPv6 packet, re-parsed as ipv6_input and icmpv6_input would.
std::optional<net::icmpv6_view> icmpv6_of(const net::ipv6_view& ip) {
  const auto upper = net::find_upper_layer(ip);
  if (!upper || upper->protocol != net::ipv6_next_header::icmpv6) {
    return std::nullopt;
  }
  const auto icmp = net::icmpv6_view::parse(ip.source(), ip.destination(), upper->message);
  return icmp ? std::optional{*icmp} : std::nullopt;
}

bool ours6(const net::ipv6_address& address) {
  return address == our_ipv6.global.address || address == our_ipv6.link_local;
}

// Invariant (b) for IPv6: an echo reply or a Neighbor Advertisement, and nothing else.
void check_ipv6_reply(const net::ethernet_view& in_eth, const net::ethernet_view& out_eth) {
  const auto in_ip = net::ipv6_view::parse(in_eth.payload());
  FUZZ_CHECK(in_ip.ok(), "an invalid IPv6 packet got a reply");
  const auto in_icmp = icmpv6_of(*in_ip);
  FUZZ_CHECK(in_icmp.has_value(), "an IPv6 packet without a valid ICMPv6 message got a reply");
  const auto out_ip = net::ipv6_view::parse(out_eth.payload());
  FUZZ_CHECK(out_ip.ok(), "IPv6 reply does not parse");
  FUZZ_CHECK(out_ip->header().next_header == net::ipv6_next_header::icmpv6, "IPv6 reply has extension headers");
  FUZZ_CHECK(ours6(out_ip->source()), "IPv6 reply not from one of our addresses");
  FUZZ_CHECK(out_ip->packet().size() == out_eth.payload().size(), "IPv6 reply's frame longer than its packet");
  const auto out_icmp = icmpv6_of(*out_ip);
  FUZZ_CHECK(out_icmp.has_value(), "ICMPv6 reply truncated or its checksum does not verify");

  if (out_icmp->type() == net::icmpv6_type::echo_reply) {
    FUZZ_CHECK(in_icmp->type() == net::icmpv6_type::echo_request, "echo reply to something else than a request");
    FUZZ_CHECK(out_eth.destination() == in_eth.source(), "echo reply not sent to the sender's MAC");
    FUZZ_CHECK(out_ip->destination() == in_ip->source(), "echo reply not addressed to the sender");
    FUZZ_CHECK(!in_ip->source().is_unspecified() && !in_ip->source().is_multicast() && !ours6(in_ip->source()),
               "echo reply to a martian source");
    FUZZ_CHECK(out_icmp->identifier() == in_icmp->identifier() && out_icmp->sequence() == in_icmp->sequence(),
               "echo reply changed identifier or sequence (RFC 4443 §4.2)");
    FUZZ_CHECK(std::equal(out_icmp->data().begin(), out_icmp->data().end(), in_icmp->data().begin(),
                          in_icmp->data().end()),
               "echo reply data differs from the request's (RFC 4443 §4.2)");
    return;
  }
  FUZZ_CHECK(out_icmp->type() == net::icmpv6_type::neighbor_advertisement, "ICMPv6 reply is neither echo reply nor NA");
  FUZZ_CHECK(in_icmp->type() == net::icmpv6_type::neighbor_solicitation, "advertised without a solicitation");
  const auto solicitation = net::parse_neighbor_solicitation(in_ip->header(), *in_icmp);
  FUZZ_CHECK(solicitation.ok(), "answered an invalid Neighbor Solicitation (RFC 4861 §7.1.1)");
  FUZZ_CHECK(ours6(solicitation->target), "answered a solicitation for another address");
  const auto advertisement = net::parse_neighbor_advertisement(out_ip->header(), *out_icmp);
  FUZZ_CHECK(advertisement.ok(), "our Neighbor Advertisement is invalid (RFC 4861 §7.1.2)");
  FUZZ_CHECK(advertisement->target == solicitation->target, "advertised another target than solicited");
  FUZZ_CHECK(advertisement->override && !advertisement->router, "advertisement flags R/O wrong (RFC 4861 §7.2.4)");
  FUZZ_CHECK(advertisement->target_link_layer == our_mac, "advertisement does not carry our MAC");
  FUZZ_CHECK(out_ip->source() == solicitation->target, "advertisement not sent from its target");
  if (in_ip->source().is_unspecified()) {
    FUZZ_CHECK(!advertisement->solicited && out_ip->destination() == net::ipv6_address::all_nodes() &&
                   out_eth.destination() == net::ipv6_address::all_nodes().multicast_mac(),
               "answer to a DAD probe not multicast to all-nodes with S clear (RFC 4861 §7.2.4)");
  } else {
    FUZZ_CHECK(advertisement->solicited && out_ip->destination() == in_ip->source(),
               "solicited advertisement not sent to the solicitor with S set (RFC 4861 §7.2.4)");
    FUZZ_CHECK(out_eth.destination() == solicitation->source_link_layer.value_or(in_eth.source()),
               "solicited advertisement not sent to the solicitor's link-layer address");
  }
}

// Invariant (b): `reply` is what the pipeline made of `request`.
void check_reply(std::span<const std::byte> request, std::span<const std::byte> reply) {
  const auto in_eth = net::ethernet_view::parse(request);
  FUZZ_CHECK(in_eth.ok(), "a frame shorter than an Ethernet header got a reply");
  const auto out_eth = net::ethernet_view::parse(reply);
  FUZZ_CHECK(out_eth.ok(), "reply shorter than an Ethernet header");
  FUZZ_CHECK(out_eth->source() == our_mac, "reply not sent from our MAC");
  FUZZ_CHECK(out_eth->ether_type() == in_eth->ether_type(), "reply of another EtherType than the request");

  if (out_eth->ether_type() == net::ether_type::arp) {
    const auto in_arp = net::arp_view::parse(in_eth->payload());
    const auto out_arp = net::arp_view::parse(out_eth->payload());
    FUZZ_CHECK(in_arp.ok(), "a malformed ARP packet got a reply");
    FUZZ_CHECK(out_arp.ok(), "ARP reply does not parse");
    FUZZ_CHECK(in_arp->operation() == net::arp_op::request, "answered an ARP packet that is not a request");
    FUZZ_CHECK(in_arp->target_ip() == our_ip.address, "answered an ARP request for another address");
    FUZZ_CHECK(out_arp->operation() == net::arp_op::reply, "ARP answer is not a reply");
    FUZZ_CHECK(out_arp->sender_mac() == our_mac && out_arp->sender_ip() == our_ip.address,
               "ARP reply does not announce our address");
    FUZZ_CHECK(out_arp->target_mac() == in_arp->sender_mac() && out_arp->target_ip() == in_arp->sender_ip(),
               "ARP reply not addressed to the requester");
    // RFC 826: "Send the packet to the (new) target hardware address": the ARP sender's MAC,
    // which need not be the Ethernet source of the request (a proxy, a bridge).
    FUZZ_CHECK(out_eth->destination() == in_arp->sender_mac(), "ARP reply not sent to the requester's MAC");
    return;
  }

  if (out_eth->ether_type() == net::ether_type::ipv6) {
    check_ipv6_reply(*in_eth, *out_eth);
    return;
  }
  FUZZ_CHECK(out_eth->ether_type() == net::ether_type::ipv4, "reply is neither ARP, IPv4 nor IPv6");
  FUZZ_CHECK(out_eth->destination() == in_eth->source(), "IPv4 reply not sent to the sender's MAC");
  const auto in_ip = net::ipv4_view::parse(in_eth->payload());
  FUZZ_CHECK(in_ip.ok(), "an invalid IPv4 datagram got a reply");
  const auto out_ip = net::ipv4_view::parse(out_eth->payload());
  FUZZ_CHECK(out_ip.ok(), "IPv4 reply does not parse (lengths or header checksum)");
  FUZZ_CHECK(out_ip->source() == our_ip.address, "IPv4 reply not from our address");
  FUZZ_CHECK(out_ip->destination() == in_ip->source(), "IPv4 reply not addressed to the sender");
  FUZZ_CHECK(!out_ip->is_fragment(), "IPv4 reply is a fragment");
  FUZZ_CHECK(out_ip->protocol() == in_ip->protocol(), "reply of another IP protocol than the request");
  FUZZ_CHECK(net::ethernet_header_length + out_ip->total_length() <= reply.size(), "IPv4 reply beyond the frame");

  if (out_ip->protocol() == net::ip_protocol::icmp) {
    const auto out_icmp = net::icmp_view::parse(out_ip->payload());
    FUZZ_CHECK(out_icmp.ok(), "ICMP reply truncated or its checksum does not verify");
    FUZZ_CHECK(out_icmp->type() == net::icmp_type::echo_reply, "ICMP reply is not an echo reply");
    const auto in_icmp = net::icmp_view::parse(in_ip->payload());
    FUZZ_CHECK(in_icmp.ok() && in_icmp->type() == net::icmp_type::echo_request, "answered a non-echo ICMP");
    FUZZ_CHECK(out_icmp->identifier() == in_icmp->identifier() && out_icmp->sequence() == in_icmp->sequence(),
               "echo reply changed identifier or sequence (RFC 792)");
    FUZZ_CHECK(std::equal(out_icmp->data().begin(), out_icmp->data().end(), in_icmp->data().begin(),
                          in_icmp->data().end()),
               "echo reply data differs from the request's (RFC 792)");
    return;
  }
  FUZZ_CHECK(out_ip->protocol() == net::ip_protocol::tcp, "reply is neither ICMP nor TCP");
  const auto in_tcp = net::tcp_view::parse(in_ip->payload());
  FUZZ_CHECK(in_tcp.ok(), "a malformed TCP segment got a reply");
  FUZZ_CHECK(net::ipv4_l4_checksum_verifies(in_ip->source(), in_ip->destination(), net::ip_protocol::tcp,
                                            in_ip->payload()),
             "a TCP segment with a bad checksum got a reply");
  const auto out_tcp = net::tcp_view::parse(out_ip->payload());
  FUZZ_CHECK(out_tcp.ok(), "TCP reply does not parse");
  FUZZ_CHECK(net::ipv4_l4_checksum_verifies(out_ip->source(), out_ip->destination(), net::ip_protocol::tcp,
                                            out_ip->payload()),
             "TCP reply checksum does not verify");
  FUZZ_CHECK(out_tcp->header().source_port == in_tcp->header().destination_port &&
                 out_tcp->header().destination_port == in_tcp->header().source_port,
             "TCP reply ports not swapped");
  // A RST is never answered (RFC 9293 §3.10.7.1-3), except that one inside the window of an open
  // connection but not at RCV.NXT gets a challenge ACK (RFC 9293 §3.10.7.4, from RFC 5961 §3.2):
  // a pure ACK, never a RST, SYN or FIN.
  if ((in_tcp->header().flags & net::tcp_flag::rst) != 0) {
    FUZZ_CHECK(out_tcp->header().flags == net::tcp_flag::ack,
               "answered a RST with something other than a challenge ACK (RFC 9293 §3.10.7)");
  }
}

// ---- Invariant (c): a plain copy of the counters, before and after ----

stats::snapshot read(const stats::lcore_stats& s) {
  stats::snapshot snap;
  snap.accumulate(s);
  return snap;
}

void check_counters(const stats::snapshot& before, const stats::snapshot& after,
                    std::span<const packet::verdict> verdicts) {
// Gauges (counters.hh: a description starting "gauge:") go down as well as up.
#define RAMPART_X(name, description)                                                        \
  if (!std::string_view{description}.starts_with("gauge:")) {                                \
    FUZZ_CHECK(after.name >= before.name, "counter " #name " decreased");                  \
  }
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  std::array<std::uint64_t, stats::drop_reason_count> expected{};
  std::uint64_t drops = 0;
  std::uint64_t transmits = 0;
  std::uint64_t consumes = 0;
  for (const packet::verdict& v : verdicts) {
    if (v.what == packet::action::transmit) {
      ++transmits;
    } else if (v.what == packet::action::consume) {
      ++consumes;
    } else {
      FUZZ_CHECK(v.what == packet::action::drop, "verdict neither transmit nor drop");
      FUZZ_CHECK(static_cast<std::size_t>(v.reason) < stats::drop_reason_count, "drop reason out of range");
      ++expected[static_cast<std::size_t>(v.reason)];
      ++drops;
    }
  }
  FUZZ_CHECK(transmits + consumes + drops == verdicts.size(), "frames in != transmitted + consumed + dropped");
  FUZZ_CHECK(after.consumed - before.consumed == consumes, "`consumed` moved by other than the burst's consume verdicts");
  FUZZ_CHECK(after.dropped - before.dropped == drops, "`dropped` moved by other than the burst's drop verdicts");
  std::uint64_t by_reason = 0;
  for (std::size_t r = 0; r < stats::drop_reason_count; ++r) {
    FUZZ_CHECK(after.drops[r] >= before.drops[r], "a drop counter decreased");
    FUZZ_CHECK(after.drops[r] - before.drops[r] == expected[r],
               "a drop reason counted other than its verdicts (double or missed count)");
    by_reason += after.drops[r];
  }
  FUZZ_CHECK(by_reason == after.dropped, "`dropped` differs from the sum of the per-reason counters");
}

// ---- One fuzz input ----

// Mode bit 6: a NIC's Toeplitz hash is a function of the 4-tuple only; any such function will do.
std::uint32_t rss_hash(const flow::flow_key& k) {
  return (k.remote_ip * 0x9e3779b1U) ^ (k.local_ip * 0x85ebca6bU) ^ (k.ports_word() * 0xc2b2ae35U);
}

struct harness {
  explicit harness(std::uint8_t mode) : mode(mode) {
    tcp::tcp_settings settings = engine::tcp_settings_of(config::engine_config{}, {});  // the config's defaults
    settings.mss = 1460;
    settings.window_scale = 7;
    settings.connections = 16;  // small: the fuzzer fills it and reaches table_full
    settings.cookies = (mode & mode_bit::auto_cookies) != 0 ? tcp::cookie_mode::auto_mode
                                                                : tcp::cookie_mode::always;
    settings.backlog_capacity = 8;
    settings.auto_threshold = 4;
    tcp.emplace(settings, listeners, stats, flow::hash_seed{1, 2}, cookie::siphash_key{3, 4});
    ctx.identity = {our_mac, our_ip, our_ipv6};
    ctx.offload_caps = {};  // software checksums: every reply must carry verifiable sums
    ctx.stats = &stats;
    ctx.tcp = {&tcp::tcp_input_handler, &*tcp};
    ctx.tcp_icmp_error = {&tcp::icmp_error_handler, &*tcp};
  }

  // Runs one burst of copies of `inputs` at `now_ns`, checks (a), (b), (c); returns the replies.
  std::vector<bytes> run(std::vector<bytes> inputs, std::uint64_t now_ns) {
    const std::size_t n = inputs.size();
    const cookie::key_set keys = fuzz::test_key_schedule().keys_at(now_ns);
    tcp->update_keys(keys);  // as the control thread would between bursts

    std::vector<std::array<std::byte, frame_capacity>> buffers(n);
    std::vector<packet::frame> frames(n);
    std::vector<packet::verdict> verdicts(n);
    std::vector<std::optional<tcp_probe>> probes(n);
    std::vector<bool> known_before(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::copy(inputs[i].begin(), inputs[i].end(), buffers[i].begin());
      frames[i].data = buffers[i].data();
      frames[i].length = static_cast<std::uint16_t>(inputs[i].size());
      frames[i].capacity = frame_capacity;
      probes[i] = probe_tcp(inputs[i]);
      if (probes[i]) {
        known_before[i] = find(probes[i]->key) != nullptr;
        if ((mode & mode_bit::rss) != 0) {
          frames[i].rss_hash = rss_hash(probes[i]->key);
          frames[i].rss_hash_valid = true;
        }
      }
    }
    // (d) The state of every connection an ICMP error of the burst quotes, before the burst.
    struct quoted_state {
      icmp_probe probe;
      bool known = false;
      std::uint16_t peer_mss = 0;
      net::seq32 snd_una{0};
      net::seq32 snd_max{0};
    };
    std::vector<std::optional<quoted_state>> quoted(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (auto p = probe_icmp(inputs[i])) {
        quoted_state q{*p};
        if (const tcp::connection* c = find(p->key)) {
          q = {*p, true, c->peer_mss, c->snd_una, c->snd_max};
        }
        quoted[i] = q;
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (probes[i] && (probes[i]->tcp.flags & (net::tcp_flag::syn | net::tcp_flag::ack | net::tcp_flag::rst)) ==
                           net::tcp_flag::syn) {
        syns.push_back({probes[i]->key, probes[i]->tcp.sequence.raw()});
      }
    }
    const std::uint32_t size_before = tcp->connection_count();
    const stats::snapshot before = read(stats);

    pipeline::process_burst(ctx, frames, verdicts, now_ns);
    check_icmp_errors(quoted, verdicts);

    // (c)
    const stats::snapshot after = read(stats);
    check_counters(before, after, verdicts);
    frames_in += n;
    for (const packet::verdict& v : verdicts) {
      transmitted += v.what == packet::action::transmit ? 1 : 0;
    }
    FUZZ_CHECK(frames_in == transmitted + after.consumed + after.dropped,
               "over the run, frames in != transmitted + consumed + dropped");

    // (a) Every flow of the burst that is in the table now and was not before must have a
    // frame in this burst entitled to open it; and no connection may appear for another flow.
    const bool auto_cookies = (mode & mode_bit::auto_cookies) != 0;
    std::uint32_t new_flows = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!probes[i] || known_before[i]) {
        continue;
      }
      const tcp::connection* c = find(probes[i]->key);
      if (c == nullptr) {
        continue;
      }
      bool first = true;  // count each new flow once
      bool entitled = false;
      for (std::size_t j = 0; j < n; ++j) {
        if (probes[j] && probes[j]->key == probes[i]->key) {
          first = first && j >= i;
          entitled = entitled || may_open(*probes[j], auto_cookies, now_ns, keys, syns);
        }
      }
      FUZZ_CHECK(entitled, "connection created without a valid cookie (or, in mode auto, a SYN)");
      FUZZ_CHECK(c->state != tcp::tcp_state::syn_received || auto_cookies, "a SYN-RECEIVED entry in mode always");
      new_flows += first ? 1 : 0;
    }
    FUZZ_CHECK(tcp->connection_count() <= size_before + new_flows, "table grew by a flow no frame of the burst had");
    FUZZ_CHECK(tcp->connection_count() <= tcp->settings().connections, "table beyond its capacity");

    // (b) One verdict per frame is all the API allows; check what each transmit holds.
    std::vector<bytes> replies;
    for (std::size_t i = 0; i < n; ++i) {
      if (verdicts[i].what != packet::action::transmit) {
        continue;
      }
      FUZZ_CHECK(frames[i].data == buffers[i].data(), "frame data pointer moved");
      FUZZ_CHECK(frames[i].length <= frames[i].capacity, "reply longer than the frame's capacity");
      const packet::tx_offload_request& o = frames[i].offload;
      FUZZ_CHECK(!o.ipv4_checksum && !o.tcp_checksum, "checksum offload requested from a port without it");
      const std::span<const std::byte> reply{frames[i].data, frames[i].length};
      check_reply(inputs[i], reply);
      replies.emplace_back(reply.begin(), reply.end());
    }
    if (verbose) {
      // RAMPART_FUZZ_VERBOSE=1: what each burst did, to check that a seed reaches its path.
      std::fprintf(stderr, "burst of %zu at t0+%llus: %zu replies, consumed %llu, dropped %llu, "
                           "cookies sent %llu validated %llu, opened %llu, table %u\n",
                   n, static_cast<unsigned long long>((now_ns - t0_ns) / 1'000'000'000ULL), replies.size(),
                   static_cast<unsigned long long>(after.consumed - before.consumed),
                   static_cast<unsigned long long>(after.dropped - before.dropped),
                   static_cast<unsigned long long>(after.tcp_syncookies_sent - before.tcp_syncookies_sent),
                   static_cast<unsigned long long>(after.tcp_syncookies_validated - before.tcp_syncookies_validated),
                   static_cast<unsigned long long>(after.tcp_connections_opened - before.tcp_connections_opened),
                   tcp->connection_count());
      for (std::size_t i = 0; i < n; ++i) {
        if (verdicts[i].what == packet::action::drop) {
          const auto name = stats::name_of(verdicts[i].reason);
          std::fprintf(stderr, "  frame %zu dropped: %.*s\n", i, static_cast<int>(name.size()), name.data());
        }
      }
    }
    return replies;
  }

  // Invariant (d). Only quoted connections can change MSS: one frag-needed may lower it, and the
  // rest of the burst (other frames of the same flow) is checked against the state before.
  template <class Quoted>
  void check_icmp_errors(const std::vector<std::optional<Quoted>>& quoted,
                         const std::vector<packet::verdict>& verdicts) const {
    for (std::size_t i = 0; i < quoted.size(); ++i) {
      if (!quoted[i]) {
        continue;
      }
      const auto& q = *quoted[i];
      const tcp::connection* c = find(q.probe.key);
      const bool consumed = verdicts[i].what == packet::action::consume;
      FUZZ_CHECK(verdicts[i].what != packet::action::transmit, "an ICMP error was answered");
      if (!q.known) {
        FUZZ_CHECK(!consumed, "an ICMP error consumed without a connection to act on");
        continue;
      }
      if (c == nullptr) {
        continue;  // a RST of the burst, processed after the error, closed it
      }
      FUZZ_CHECK(c->peer_mss >= tcp::min_path_mtu - 40, "a connection's MSS below min_path_mtu - 40");
      if (!consumed) {
        continue;  // another frame of the burst may have lowered it; that one is checked itself
      }
      const net::icmp_quoted_tcp& e = q.probe.quote;
      FUZZ_CHECK(e.type == net::icmp_type::destination_unreachable && e.code == net::icmp_code_fragmentation_needed,
                 "an ICMP error other than fragmentation needed acted");
      FUZZ_CHECK(q.snd_una <= e.sequence && e.sequence < q.snd_max,
                 "fragmentation needed acted on a sequence number not in flight (RFC 5927 4.1)");
      FUZZ_CHECK(e.next_hop_mtu >= 68, "fragmentation needed acted on an MTU below 68");
      const auto expected = static_cast<std::uint16_t>(std::max(e.next_hop_mtu, tcp::min_path_mtu) - 40);
      FUZZ_CHECK(expected < q.peer_mss, "fragmentation needed raised or kept the MSS");
      FUZZ_CHECK(c->peer_mss <= expected, "fragmentation needed left the MSS above max(MTU, 552) - 40");
    }
  }

  // The table is searched with the hash the segments carried: the RSS one in mode bit 6.
  const tcp::connection* find(const flow::flow_key& key) const {
    return (mode & mode_bit::rss) != 0 ? tcp->find(key, rss_hash(key)) : tcp->find(key);
  }

  std::uint8_t mode;
  std::vector<tcp::listener_settings> listeners =
      engine::tcp_listeners_of(std::vector<config::listener_config>{{80, "http", {}}, {7, "echo", {}}});
  stats::lcore_stats stats;
  std::optional<tcp::lcore_tcp> tcp;
  pipeline::lcore_context ctx;
  std::vector<sent_syn> syns;  // every SYN of the run's bursts, for invariant (a)
  std::uint64_t frames_in = 0;
  std::uint64_t transmitted = 0;
  bool verbose = std::getenv("RAMPART_FUZZ_VERBOSE") != nullptr;
};

// The client's answer to one of our SYN-ACKs: the handshake's third segment (RFC 9293 §3.5,
// figure 6 line 4), echoing our TSval when the SYN-ACK carried Timestamps (RFC 7323 §3.2).
std::optional<bytes> ack_for(std::span<const std::byte> syn_ack, bool with_fin) {
  const auto eth = net::ethernet_view::parse(syn_ack);
  if (!eth || eth->ether_type() != net::ether_type::ipv4) {
    return std::nullopt;
  }
  const auto ip = net::ipv4_view::parse(eth->payload());
  if (!ip || ip->protocol() != net::ip_protocol::tcp) {
    return std::nullopt;
  }
  const auto tcp = net::tcp_view::parse(ip->payload());
  if (!tcp || tcp->header().flags != (net::tcp_flag::syn | net::tcp_flag::ack)) {
    return std::nullopt;
  }
  net::tcp_header th;
  th.source_port = tcp->header().destination_port;
  th.destination_port = tcp->header().source_port;
  th.sequence = tcp->header().acknowledgment;
  th.acknowledgment = tcp->header().sequence + 1;
  th.flags = net::tcp_flag::ack | (with_fin ? net::tcp_flag::fin : 0);
  th.window = 502;
  net::tcp_options options;
  if (const auto& ts = tcp->options().timestamps) {
    options.timestamps = net::tcp_timestamps{ts->echo_reply + 1, ts->value};
  }
  const std::size_t tcp_length = net::tcp_min_header_length + net::tcp_options_length(options);

  bytes frame(net::ethernet_header_length + net::ipv4_min_header_length + tcp_length);
  const std::span<std::byte> out{frame};
  net::write_ethernet_header(out, {eth->source(), eth->destination(), net::ether_type::ipv4});
  net::ipv4_header ih;
  ih.total_length = static_cast<std::uint16_t>(net::ipv4_min_header_length + tcp_length);
  ih.dont_fragment = true;
  ih.protocol = net::ip_protocol::tcp;
  ih.source = ip->destination();
  ih.destination = ip->source();
  net::write_ipv4_header(out.subspan(net::ethernet_header_length), ih, true);
  const std::span<std::byte> l4 = out.subspan(net::ethernet_header_length + net::ipv4_min_header_length);
  net::write_tcp_header(l4, th, options);
  net::store_be16(l4.data() + 16, net::ipv4_l4_checksum(ih.source, ih.destination, net::ip_protocol::tcp, l4));
  return frame;
}

// Replay (mode bit 7): a segment of a flow now in the table gets SEG.ACK = ISS + its own
// acknowledgment field, so "ack 1" means "everything we sent". The checksum is recomputed only
// when it verified before: a deliberately bad checksum stays bad.
bytes rebase_icmp_quote(const bytes& original, const harness& h);

bytes rebase_ack(const bytes& original, const harness& h) {
  const auto p = probe_tcp(original);
  if (!p) {
    return rebase_icmp_quote(original, h);
  }
  const tcp::connection* c = h.find(p->key);
  if (c == nullptr) {
    return original;
  }
  bytes frame = original;
  std::byte* l4 = frame.data() + p->l4_offset;
  net::store_be32(l4 + 8, (c->iss + p->tcp.acknowledgment.raw()).raw());
  net::store_be16(l4 + 16, 0);
  const net::ipv4_address source{p->key.remote_ip};
  const net::ipv4_address destination{p->key.local_ip};
  net::store_be16(l4 + 16, net::ipv4_l4_checksum(source, destination, net::ip_protocol::tcp,
                                                 {l4, p->l4_length}));
  return frame;
}

// Replay of an ICMP error quoting a flow now in the table: the quoted sequence number becomes
// SND.UNA + its value, so "seq 0" names the oldest byte in flight; the ICMP checksum is redone
// (probe_icmp only accepts errors whose checksum verified).
bytes rebase_icmp_quote(const bytes& original, const harness& h) {
  const auto p = probe_icmp(original);
  if (!p) {
    return original;
  }
  const tcp::connection* c = h.find(p->key);
  if (c == nullptr) {
    return original;
  }
  bytes frame = original;
  net::store_be32(frame.data() + p->sequence_offset, (c->snd_una + p->quote.sequence.raw()).raw());
  std::byte* icmp = frame.data() + p->icmp_offset;
  net::store_be16(icmp + 2, 0);
  net::store_be16(icmp + 2, net::internet_checksum({icmp, p->icmp_length}));
  return frame;
}

std::vector<bytes> split(std::span<const std::byte> rest, bool burst) {
  std::vector<bytes> frames;
  if (!burst) {
    const std::size_t length = std::min(rest.size(), frame_capacity);
    frames.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(length));
    return frames;
  }
  while (rest.size() >= 2 && frames.size() < max_burst) {
    const std::size_t declared = net::load_be16(rest.data());
    rest = rest.subspan(2);
    const std::size_t length = std::min({declared, rest.size(), frame_capacity});
    frames.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(length));
    rest = rest.subspan(length);
  }
  return frames;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t mode = data[0];
  const std::span<const std::byte> rest{reinterpret_cast<const std::byte*>(data) + 1, size - 1};
  const std::vector<bytes> first = split(rest, (mode & mode_bit::burst) != 0);
  if (first.empty()) {
    return 0;
  }
  const std::uint64_t step = clock_steps_ns[(mode >> mode_bit::clock_shift) & 3];
  std::uint64_t now = t0_ns;

  harness h(mode);
  const std::vector<bytes> replies = h.run(first, now);
  if ((mode & mode_bit::handshake) != 0) {
    std::vector<bytes> acks;
    for (const bytes& reply : replies) {
      if (auto ack = ack_for(reply, (mode & mode_bit::ack_fin) != 0)) {
        acks.push_back(std::move(*ack));
      }
    }
    if (!acks.empty()) {
      now += step;
      h.run(acks, now);
    }
  }
  if ((mode & mode_bit::replay) != 0) {
    std::vector<bytes> again;
    again.reserve(first.size());
    for (const bytes& f : first) {
      again.push_back(rebase_ack(f, h));
    }
    now += step;
    h.run(again, now);
  }
  return 0;
}
