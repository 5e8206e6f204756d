// ICMP errors about our segments. Two act, and only after RFC 5927's checks (the quoted 4-tuple
// names a connection of this lcore, the quoted sequence number is in flight: §4.1, which a
// blind attacker has to guess):
// - "fragmentation needed" (RFC 1191) with a plausible MTU smaller than the connection's;
// - any other "destination unreachable" about the SYN of our own active open in SYN-SENT, which
//   fails the connect at once instead of at its timeout: RFC 1122 §4.2.3.9's hard errors (port,
//   protocol unreachable) and, as RFC 5461 §4.1 allows for SYN-SENT and Linux does, the soft ones
//   (network, host unreachable, administratively prohibited). A proxy then tries its next
//   backend without waiting.
// Every other error is a soft error (RFC 5927 §4.2, RFC 1122 §4.2.3.9; source quench: RFC 6633)
// and changes nothing.
#include "tcp/icmp_error_input.hh"

#include <algorithm>

#include "tcp/lcore_tcp.hh"
#include "connection_lifetime.hh"
#include "connection_output.hh"
#include "deferred_work.hh"
#include "event_context.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

namespace {

using stats::drop_reason;

// RFC 1122 §4.2.3.9: protocol and port unreachable are hard errors ("the peer refuses").
constexpr std::uint8_t icmp_code_protocol_unreachable = 2;
constexpr std::uint8_t icmp_code_port_unreachable = 3;

// The connection the quoted segment belongs to, if any.
connection* quoted_connection(lcore_state& lcore, const net::icmp_quoted_tcp& quote) noexcept {
  // The quoted segment went from us (local) to the peer (remote).
  const flow::flow_key key{quote.destination.value, quote.source.value, quote.destination_port, quote.source_port};
  // TODO(pmtu-rss): with several queues the table is keyed by the NIC's RSS hash, which this
  // software hash does not reproduce, and the error may reach another lcore than the
  // connection's; both end as if there were no connection (docs/tcp.md, "Path MTU").
  const auto handle = lcore.table.lookup(key, lcore.table.hash(key));
  return handle ? &lcore.pool[*handle] : nullptr;
}

// RFC 5927 §4.1: SND.UNA <= SEG.SEQ < SND.NXT, with SND.MAX for SND.NXT (after a timeout SND.NXT
// went back, and the segments beyond it are still on the path). In SYN-SENT: the ISS alone.
bool in_flight(const connection& c, const net::icmp_quoted_tcp& quote) noexcept {
  return c.snd_una <= quote.sequence && quote.sequence < c.snd_max;
}

packet::verdict syn_sent_unreachable(lcore_state& lcore, const net::icmp_quoted_tcp& quote,
                                     std::uint64_t now_ns) noexcept {
  connection* c = quoted_connection(lcore, quote);
  // Outside SYN-SENT an unreachable is a soft error (RFC 5461 §4: a route may come back;
  // retransmissions and their timeout decide). A passive open's SYN-RECEIVED is not ours to
  // give up on either: the client retransmits its SYN.
  if (c == nullptr || c->state != tcp_state::syn_sent) {
    return packet::dropped(drop_reason::icmp_error_ignored);
  }
  if (!in_flight(*c, quote)) {
    return packet::dropped(drop_reason::icmp_unreachable_not_in_flight);
  }
  const bool refused = quote.code == icmp_code_protocol_unreachable || quote.code == icmp_code_port_unreachable;
  lcore.stats.icmp_unreachable_applied.add();
  // A turn of its own: the app's on_close may act (a proxy resets its client or connects to
  // the next backend), and what it asks of other connections runs at the event's end.
  turn_scope turn{lcore, now_ns};
  erase(lcore, *c, refused ? close_reason::refused : close_reason::unreachable, turn.ctx);
  finish_event(lcore, turn.ctx);
  return packet::consumed();
}

}  // namespace

packet::verdict lcore_tcp::icmp_error_input(const net::icmp_quoted_tcp& quote, std::uint64_t now_ns) noexcept {
  lcore_state& lcore = *_state;
  if (quote.type != net::icmp_type::destination_unreachable) {
    return packet::dropped(drop_reason::icmp_error_ignored);
  }
  if (quote.code != net::icmp_code_fragmentation_needed) {
    return syn_sent_unreachable(lcore, quote, now_ns);
  }
  connection* found = quoted_connection(lcore, quote);
  if (found == nullptr) {
    return packet::dropped(drop_reason::icmp_frag_needed_no_connection);
  }
  connection& c = *found;
  if (!in_flight(c, quote)) {
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
