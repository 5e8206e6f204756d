// ICMP errors about our segments. Only "fragmentation needed" (RFC 1191) acts, and only after
// RFC 5927's checks: the quoted 4-tuple names a connection of this lcore, the quoted sequence
// number is in flight (§4.1, which a blind attacker has to guess), the MTU is plausible and
// smaller than what the connection uses. Every other error is a soft error (RFC 5927 §4.2, RFC
// 1122 §4.2.3.9; source quench: RFC 6633) and changes nothing.
#include "tcp/icmp_error_input.hh"

#include <algorithm>

#include "tcp/lcore_tcp.hh"
#include "connection_output.hh"
#include "event_context.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

namespace {

using stats::drop_reason;

}  // namespace

packet::verdict lcore_tcp::icmp_error_input(const net::icmp_quoted_tcp& quote, std::uint64_t now_ns) noexcept {
  lcore_state& lcore = *_state;
  if (quote.type != net::icmp_type::destination_unreachable || quote.code != net::icmp_code_fragmentation_needed) {
    return packet::dropped(drop_reason::icmp_error_ignored);
  }
  // The quoted segment went from us (local) to the peer (remote).
  const flow::flow_key key{quote.destination.value, quote.source.value, quote.destination_port, quote.source_port};
  // TODO(pmtu-rss): with several queues the table is keyed by the NIC's RSS hash, which this
  // software hash does not reproduce, and the error may reach another lcore than the
  // connection's; both end as icmp_frag_needed_no_connection (docs/tcp.md, "Path MTU").
  const auto handle = lcore.table.lookup(key, lcore.table.hash(key));
  if (!handle) {
    return packet::dropped(drop_reason::icmp_frag_needed_no_connection);
  }
  connection& c = lcore.pool[*handle];
  // RFC 5927 §4.1: SND.UNA <= SEG.SEQ < SND.NXT, with SND.MAX for SND.NXT (after a timeout
  // SND.NXT went back, and the segments beyond it are still on the path).
  if (!(c.snd_una <= quote.sequence && quote.sequence < c.snd_max)) {
    return packet::dropped(drop_reason::icmp_frag_needed_not_in_flight);
  }
  // RFC 1191 §4: 0 comes from routers that predate it (no plateau search here: ignored).
  if (quote.next_hop_mtu < rfc791_min_mtu) {
    return packet::dropped(drop_reason::icmp_frag_needed_bad_mtu);
  }
  // RFC 1191 §3: the MSS follows the path MTU (MTU - 40: IPv4 and TCP headers without options,
  // the same base as the MSS option; effective_mss takes the options off), never up here.
  const std::uint16_t mtu = std::max(quote.next_hop_mtu, min_path_mtu);
  const auto mss = static_cast<std::uint16_t>(mtu - 40);
  if (mss >= std::min(c.peer_mss, lcore.settings.mss)) {
    return packet::dropped(drop_reason::icmp_frag_needed_not_smaller);
  }
  c.peer_mss = mss;
  lcore.stats.icmp_frag_needed_applied.add();
  // The segments in flight were too big for the path and are lost: send them again at the new
  // size now, as Linux's tcp_simple_retransmit does, without a congestion response (the loss
  // says nothing about congestion) and without an RTT sample across it (Karn).
  const bool handshaking = c.state == tcp_state::syn_sent || c.state == tcp_state::syn_received;
  if (!handshaking && c.send_timer_kind != send_timer::persist && c.snd_max != c.snd_una) {
    c.snd_nxt = c.snd_una;
    c.timing_rtt = false;
    event_context ctx{now_ns};
    output(lcore, c, false, ctx);
  }
  return packet::consumed();
}

packet::verdict icmp_error_handler(void* context, const net::icmp_quoted_tcp& quote, std::uint64_t now_ns) noexcept {
  return static_cast<lcore_tcp*>(context)->icmp_error_input(quote, now_ns);
}

}  // namespace rampart::tcp
