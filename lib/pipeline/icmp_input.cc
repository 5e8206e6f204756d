#include "pipeline/icmp_input.hh"

#include <cstring>
#include <span>

#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/icmp.hh"

namespace rampart::pipeline {

namespace {

// RFC 1122 §3.2.2: an error goes to the transport that sent the quoted datagram; RFC 5927 §4.2:
// check what can be checked before it acts on anything.
packet::verdict icmp_error_input(lcore_context& ctx, const net::icmp_view& icmp, std::uint64_t now_ns) noexcept {
  using stats::drop_reason;
  const auto quote = net::parse_icmp_quoted_tcp(icmp);
  if (!quote) {
    return {packet::action::drop, quote.error()};
  }
  if (quote->source != ctx.identity.ip.address) {
    return {packet::action::drop, drop_reason::icmp_error_not_ours};
  }
  if (ctx.tcp_icmp_error.handle == nullptr) {
    return {packet::action::drop, drop_reason::icmp_error_ignored};
  }
  return ctx.tcp_icmp_error.handle(ctx.tcp_icmp_error.context, *quote, now_ns);
}

}  // namespace

packet::verdict icmp_input(lcore_context& ctx, packet::frame& f, const net::ipv4_view& ip,
                           std::uint64_t now_ns) noexcept {
  using stats::drop_reason;
  const auto icmp = net::icmp_view::parse(ip.payload());
  if (!icmp) {
    return {packet::action::drop, icmp.error()};
  }
  if (net::is_icmp_error(icmp->type())) {
    return icmp_error_input(ctx, *icmp, now_ns);
  }
  if (icmp->type() != net::icmp_type::echo_request) {
    return {packet::action::drop, drop_reason::icmp_unsupported_type};
  }

  const net::ipv4_header request = ip.header();
  const std::size_t message_length = request.payload_length();
  std::byte* const l3 = f.data + net::ethernet_header_length;
  std::byte* message = l3 + request.header_length;
  if (request.header_length > net::ipv4_min_header_length) {
    // TODO(rfc1122-3.2.2.6): Record Route and Timestamp options SHOULD be updated and echoed;
    // they are dropped instead, which RFC 1122 tolerates (it is a SHOULD) and no ping needs.
    std::memmove(l3 + net::ipv4_min_header_length, message, message_length);
    message = l3 + net::ipv4_min_header_length;
  }

  // Type 8 → 0, code unchanged, checksum summed afresh. Not RFC 1624's incremental update: a
  // reply whose words all sum to zero (id 0, seq 0, zero data) must carry 0xffff, and eqn. 3
  // yields 0x0000 there, which no receiver verifies (found by test/fuzz). ICMP is not the flood
  // path, and the data is in cache after the checksum check anyway.
  const std::span<std::byte> reply_message{message, message_length};
  const std::uint16_t old_word = net::load_be16(message);
  net::store_be16(message, static_cast<std::uint16_t>((net::icmp_type::echo_reply << 8) | (old_word & 0xff)));
  net::store_be16(message + 2, 0);
  net::store_be16(message + 2, net::internet_checksum(reply_message));

  // RFC 6864 §4.1: an atomic datagram (DF set, not fragmented) may carry any ID; reusing the
  // request's needs no per-lcore counter. ECN bits are not reflected (RFC 3168 §5: they
  // describe the request's path, not ours).
  net::ipv4_header reply;
  reply.dscp_ecn = static_cast<std::uint8_t>(request.dscp_ecn & 0xfc);
  reply.total_length = static_cast<std::uint16_t>(net::ipv4_min_header_length + message_length);
  reply.identification = request.identification;
  reply.dont_fragment = true;
  reply.ttl = net::ipv4_default_ttl;
  reply.protocol = net::ip_protocol::icmp;
  reply.source = ctx.identity.ip.address;
  reply.destination = request.source;
  const bool offload = ctx.offload_caps.ipv4_checksum;
  net::write_ipv4_header({l3, net::ipv4_min_header_length}, reply, !offload);

  const std::span<std::byte> eth{f.data, net::ethernet_header_length};
  const net::mac_address requester = net::load_mac(f.data + 6);
  net::write_ethernet_header(eth, {requester, ctx.identity.mac, net::ether_type::ipv4});

  f.length = static_cast<std::uint16_t>(net::ethernet_header_length + reply.total_length);
  f.offload = {};
  if (offload) {
    f.offload.ipv4_checksum = true;
    f.offload.l2_length = net::ethernet_header_length;
    f.offload.l3_length = net::ipv4_min_header_length;
  }
  ctx.stats->icmp_echo_replied.add();
  return {packet::action::transmit, {}};
}

}  // namespace rampart::pipeline
