// Active open (RFC 9293 §3.10.1 OPEN, §3.10.7.3 SEGMENT ARRIVES in SYN-SENT): connections an app
// opens toward a peer, a service behind rampart. The peer is any TCP: the handshake follows the
// RFC's text case by case, including the simultaneous open of §3.5 (both SYNs cross).
#include "active_open.hh"

#include <algorithm>

#include "connection_input.hh"
#include "connection_lifetime.hh"
#include "connection_output.hh"
#include "connection_timers.hh"
#include "listen_input.hh"
#include "segment_composer.hh"
#include "state_transition.hh"

namespace rampart::tcp {

namespace {

using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;

// A TIME-WAIT entry of ours may give its 4-tuple to a new connection once this long has passed
// since it began (as Linux's tcp_tw_reuse): every segment of the new incarnation then carries a
// later timestamp than the old one's, so the peer's PAWS (RFC 7323 §5) and RFC 6191 tell them
// apart.
constexpr std::uint64_t time_wait_recycle_after_ns = 1'000'000'000;

bool recyclable(const lcore_state& lcore, const connection& c, std::uint64_t now_ns) noexcept {
  if (c.state != tcp_state::time_wait || !c.timestamps || c.lifetime_kind != lifetime_timer::time_wait) {
    return false;
  }
  const std::uint64_t began = c.lifetime_timer_at - lcore.settings.time_wait_ns;
  return now_ns >= began + time_wait_recycle_after_ns;
}

// The local port pool's question about a 4-tuple whose port already serves another connection:
// free when no connection of this lcore has the tuple, or when ours is a recyclable TIME-WAIT.
// A listened port is never taken: a client could come from the same address and port.
class tuple_free final : public flow::tuple_check {
 public:
  tuple_free(const lcore_state& lcore, std::uint64_t now_ns) noexcept : _lcore(lcore), _now_ns(now_ns) {}
  bool is_free(const flow::flow_key& key) const noexcept override {
    if (_lcore.listeners.listens(key.local_port)) {
      return false;
    }
    const auto holder = _lcore.table.lookup(key, _lcore.steering.table_hash(key, _lcore.table));
    return !holder || recyclable(_lcore, _lcore.pool[*holder], _now_ns);
  }

 private:
  const lcore_state& _lcore;
  std::uint64_t _now_ns;
};

// A 4-tuple toward remote:port from a local port of this lcore whose replies land on its queue
// (flow::local_port_pool), with the hash its connection goes into the table under; its
// TIME-WAIT holder is retired if it had one.
struct chosen_tuple {
  flow::flow_key key;
  std::uint32_t hash = 0;
};
std::optional<chosen_tuple> choose_local_port(lcore_state& lcore, net::ipv4_address remote, std::uint16_t port,
                                              event_context& ctx) noexcept {
  const flow::flow_key wanted{remote.value, lcore.settings.local_ip.value, port, 0};
  const auto key = lcore.local_ports->acquire(wanted, tuple_free{lcore, ctx.now_ns});
  if (!key) {
    return std::nullopt;
  }
  const chosen_tuple chosen{*key, lcore.steering.table_hash(*key, lcore.table)};
  if (const auto holder = lcore.table.lookup(chosen.key, chosen.hash)) {
    erase(lcore, lcore.pool[*holder], close_reason::closed, ctx);  // its port user goes with it
    lcore.stats.tcp_time_wait_recycled.add();
  }
  return chosen;
}

// The peer's SYN (or SYN-ACK): its sequence space, and its options against what our SYN offered
// (compose_syn): each is on when both sides sent it.
void take_peer_options(lcore_state& lcore, connection& c, const segment& seg) noexcept {
  c.peer_mss = seg.announced_mss();
  if (seg.options.window_scale) {
    c.window_scaling = true;
    c.snd_wscale = *seg.options.window_scale;
    c.rcv_wscale = lcore.settings.window_scale;
  } else {
    c.window_scaling = false;  // RFC 7323 §2.2: neither side scales then
    c.snd_wscale = 0;
    c.rcv_wscale = 0;
  }
  c.sack_permitted = seg.options.sack_permitted;
  if (seg.options.timestamps) {
    c.timestamps = true;
    c.ts_recent = seg.options.timestamps->value;
  }
  c.irs = seg.tcp.sequence;
  c.rcv_nxt = c.irs + 1;
  c.rcv_adv = c.rcv_nxt + std::min<std::uint32_t>(lcore.settings.receive_window, 65535);  // our SYN's window
  // RFC 7323 §2.2: the window of a SYN is never scaled.
  c.snd_wnd = seg.tcp.window;
  c.snd_wl1 = seg.tcp.sequence;
  c.snd_wl2 = seg.tcp.acknowledgment;
  answer_sender(c, seg);  // the next hop that answered (the peer, or the gateway before it)
}

// Our SYN is acknowledged: ESTABLISHED (§3.10.7.3 fourth check, "If SND.UNA > ISS").
// False: the app aborted in on_connected.
bool complete_active_open(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  if (c.retries == 0) {
    // Karn (RFC 6298 §3): the SYN went once, so the handshake is an RTT sample.
    c.rtt.sample(static_cast<std::uint32_t>((ctx.now_ns - c.opened_ns) / 1000), lcore.settings.rto);
  } else if (lcore.settings.rto.initial_us < 3'000'000) {
    // RFC 6298 §5.7: after a SYN timed out with an initial RTO under 3 s, the RTO "MUST be
    // re-initialized to 3 seconds when data transmission begins".
    c.rtt = rtt_estimator{rto_limits{lcore.settings.rto.min_us, lcore.settings.rto.max_us,
                                     std::min<std::uint32_t>(3'000'000, lcore.settings.rto.max_us)}};
  }
  c.retries = 0;
  stop_send_timer(c);
  stop_lifetime_timer(c);  // the connect timeout
  return establish(lcore, c, ctx);
}

}  // namespace

connect_result open_connection(lcore_state& lcore, std::uint8_t listener, const connect_request& request,
                               event_context& ctx) noexcept {
  const std::uint64_t now_ns = ctx.now_ns;
  if (lcore.resolver == nullptr ||
      lcore.resolver->resolve(request.remote, now_ns).what == next_hop_resolver::status::unreachable) {
    lcore.stats.tcp_connect_no_route.add();
    return {{}, connect_error::no_route};
  }
  const auto tuple = choose_local_port(lcore, request.remote, request.port, ctx);
  if (!tuple) {
    lcore.stats.tcp_connect_no_port.add();
    return {{}, connect_error::no_local_port};
  }
  connection* opened = insert(lcore, tuple->key, tuple->hash, listener, now_ns);
  if (opened == nullptr) {
    lcore.local_ports->release(tuple->key.local_port);
    lcore.stats.tcp_table_full_refusals.add();
    return {{}, connect_error::table_full};
  }
  connection& c = *opened;
  c.outbound = true;
  c.app_open = lcore.app_of(c) != nullptr;
  c.app_context = request.context;
  c.nagle = request.nagle.value_or(c.nagle);
  // §3.10.1 OPEN: "An initial send sequence number (ISS) is selected. A SYN segment of the form
  // <SEQ=ISS><CTL=SYN> is sent. Set SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT state".
  c.iss = net::seq32{initial_sequence(lcore, c.key, now_ns)};
  c.snd_una = c.iss;
  c.snd_nxt = c.iss + 1;
  c.snd_max = c.snd_nxt;
  set_state(lcore, c, tcp_state::syn_sent, ctx);
  lcore.stats.tcp_connects_started.add();
  send_syn(lcore, c, ctx);  // resolved or held: the resolver answered, not unreachable, just above
  arm_send_timer(c, send_timer::retransmission, now_ns + std::uint64_t{lcore.settings.rto.initial_us} * 1000);
  const std::uint64_t timeout = request.timeout_ns != 0 ? request.timeout_ns : lcore.settings.connect_timeout_ns;
  arm_lifetime_timer(c, lifetime_timer::connect, now_ns + timeout);
  rearm(lcore, c);
  return {lcore.id_of(c), std::nullopt};
}

bool syn_timeout(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  if (c.retries >= lcore.settings.max_retransmissions) {
    erase(lcore, c, close_reason::timeout, ctx);  // §3.8.3 R2 for a SYN
    return false;
  }
  ++c.retries;
  c.rtt.back_off(lcore.settings.rto);  // RFC 6298 §5.5
  if (send_syn(lcore, c, ctx) == next_hop_resolver::status::unreachable) {
    erase(lcore, c, close_reason::unreachable, ctx);
    return false;
  }
  lcore.stats.tcp_syn_retransmits.add();
  arm_retransmission_timeout(c, ctx.now_ns);
  return true;
}

namespace {

// §3.10.7.3, check by check.
packet::verdict syn_sent_input(lcore_state& lcore, connection& c, segment& seg, event_context& ctx) noexcept {
  lcore.stats.tcp_segments_in.add();
  // §3.10.7.3 first, the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
  // the RST bit is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>".
  const bool acknowledges = seg.has(ack);
  if (acknowledges && (seg.tcp.acknowledgment <= c.iss || seg.tcp.acknowledgment > c.snd_nxt)) {
    if (seg.has(rst)) {
      return packet::dropped(drop_reason::tcp_syn_sent_bad_ack);
    }
    return answer_with_reset(lcore, seg, ctx);
  }
  // Second, the RST bit: with an acceptable ACK, "signal to the user 'error: connection reset'
  // ... enter CLOSED state, delete TCB"; without an ACK, "drop the segment and return" (which
  // RFC 5961 §3.2 keeps: a blind RST cannot refuse our connection).
  if (seg.has(rst)) {
    if (!acknowledges) {
      return packet::dropped(drop_reason::tcp_syn_sent_rst_without_ack);
    }
    erase(lcore, c, close_reason::refused, ctx);
    return packet::consumed();
  }
  // Fifth: "If neither of the SYN or RST bits is set, then drop the segment and return."
  if (!seg.has(syn)) {
    return packet::dropped(drop_reason::tcp_syn_sent_no_syn);
  }
  // Fourth, the SYN bit: "RCV.NXT is set to SEG.SEQ+1, IRS is set to SEG.SEQ. SND.UNA should be
  // advanced to equal SEG.ACK (if there is an ACK)".
  take_peer_options(lcore, c, seg);
  if (!acknowledges) {
    // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
    // and send it." (Text in that SYN is not acknowledged: the peer sends it again.) The SYN-ACK
    // is retransmitted as a backlog entry's is; the connect timeout still bounds the whole.
    set_state(lcore, c, tcp_state::syn_received, ctx);
    return write_syn_ack(lcore, seg, offer_of(c, ctx.now_ns));
  }
  c.snd_una = seg.tcp.acknowledgment;
  // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to ESTABLISHED,
  // form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it. Data or controls that
  // were queued for transmission MAY be included."
  if (!complete_active_open(lcore, c, ctx)) {
    return packet::consumed();  // the app aborted in on_connected
  }
  // "If there are other controls or text in the segment, then continue processing at the sixth
  // step ... where the URG bit is checked": text and FIN of the SYN-ACK (TCP Fast Open servers
  // send data there), after the SYN's sequence number.
  bool fin_reached = seg.has(fin);
  if (seg.payload_length > 0) {
    const auto room = static_cast<std::uint32_t>(c.rcv_adv - c.rcv_nxt);
    const std::uint32_t length = std::min<std::uint32_t>(seg.payload_length, room);
    if (length > 0 && !deliver(lcore, c, {seg.payload, length, seg.frame->buffer}, ctx)) {
      return packet::consumed();
    }
    fin_reached = fin_reached && length == seg.payload_length;  // trimmed: the peer sends the rest again
  }
  if (fin_reached && !take_fin(lcore, c, ctx)) {
    return packet::consumed();
  }
  output(lcore, c, true, ctx);
  return packet::consumed();
}

packet::verdict simultaneous_syn_ack_input(lcore_state& lcore, connection& c, segment& seg,
                                           event_context& ctx) noexcept {
  lcore.stats.tcp_segments_in.add();
  // §3.10.7.4 fifth check in SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
  // ESTABLISHED state ... If the segment acknowledgment is not acceptable, form a reset segment
  // <SEQ=SEG.ACK><CTL=RST>".
  if (!(c.snd_una < seg.tcp.acknowledgment && seg.tcp.acknowledgment <= c.snd_nxt)) {
    return answer_with_reset(lcore, seg, ctx);
  }
  c.snd_una = seg.tcp.acknowledgment;
  c.snd_wnd = seg.tcp.window;  // a SYN's window: not scaled (RFC 7323 §2.2)
  c.snd_wl1 = seg.tcp.sequence;
  c.snd_wl2 = seg.tcp.acknowledgment;
  if (!complete_active_open(lcore, c, ctx)) {
    return packet::consumed();
  }
  output(lcore, c, true, ctx);  // the ACK of its SYN (it repeated the SYN: it has not seen ours acknowledged)
  return packet::consumed();
}

}  // namespace

packet::verdict active_open_input(lcore_state& lcore, connection& c, segment& seg, event_context& ctx) noexcept {
  if (c.state == tcp_state::syn_sent) {
    return syn_sent_input(lcore, c, seg, ctx);
  }
  if (seg.has(syn) && seg.has(ack) && !seg.has(rst) && seg.tcp.sequence == c.irs) {
    return simultaneous_syn_ack_input(lcore, c, seg, ctx);  // the peer's SYN-ACK after its SYN
  }
  return connection_input(lcore, c, seg, ctx);
}

}  // namespace rampart::tcp
