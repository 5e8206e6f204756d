// Segments of a known connection: RFC 9293 §3.10.7.4 ("Other states") in its order of checks,
// with PAWS (RFC 7323 §5.3), RFC 5961's challenge ACKs (rate-limited per connection, §7) and
// RFC 6191's reuse of TIME-WAIT. In-order data goes to the app at once (zero-copy); data beyond
// RCV.NXT waits in the out-of-order queue (connection_reassembly.cc). Replies that answer one
// segment with one segment (challenge ACKs, out-of-window ACKs, RSTs, a repeated SYN-ACK) rewrite
// the segment's own frame; everything else leaves through output() in fresh buffers.
#include "connection_input.hh"

#include <algorithm>

#include "app_calls.hh"
#include "connection_lifetime.hh"
#include "connection_output.hh"
#include "connection_reassembly.hh"
#include "connection_timers.hh"
#include "listen_input.hh"
#include "loss_recovery.hh"
#include "segment_composer.hh"
#include "state_transition.hh"

namespace rampart::tcp {

namespace {

using net::seq32;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;

// The control bits in the order §3.10.7.4 checks them: RST (second check), SYN (fourth), then
// whether ACK is present (fifth). One value per segment, so the state machine is one switch.
enum class control : std::uint8_t { rst, syn, no_ack, ack };

control control_of(const segment& seg) noexcept {
  if (seg.has(rst)) {
    return control::rst;
  }
  if (seg.has(syn)) {
    return control::syn;
  }
  return seg.has(ack) ? control::ack : control::no_ack;
}

// §3.10.7.4 first check, the four cases of the acceptability table.
bool acceptable(const segment& seg, seq32 rcv_nxt, std::uint32_t rcv_wnd) noexcept {
  const seq32 end = rcv_nxt + rcv_wnd;
  const std::uint32_t len = seg.sequence_length();
  if (rcv_wnd == 0) {
    return len == 0 && seg.tcp.sequence == rcv_nxt;
  }
  if (len == 0) {
    return seg.tcp.sequence.in_half_open(rcv_nxt, end);
  }
  return seg.tcp.sequence.in_half_open(rcv_nxt, end) || (seg.tcp.sequence + (len - 1)).in_half_open(rcv_nxt, end);
}

// on_writable for an app whose send was cut short (stream.hh), once an ACK of this segment freed
// send space, whatever else the segment carries. False: the app aborted the connection.
bool wake_writer(lcore_state& lcore, connection& c, bool space_freed, event_context& ctx) noexcept {
  if (!space_freed || !c.app_open || c.fin_queued) {
    return true;
  }
  c.writable_wanted = false;
  return call_app(lcore, c, ctx, [](application& app, stream& s) noexcept { app.on_writable(s); });
}

// RFC 7323 §5.3 R1 compares timestamps as 32-bit serial numbers.
bool timestamp_before(std::uint32_t a, std::uint32_t b) noexcept { return static_cast<std::int32_t>(a - b) < 0; }

bool fin_in_flight(tcp_state state) noexcept {
  return state == tcp_state::fin_wait_1 || state == tcp_state::closing || state == tcp_state::last_ack;
}

packet::verdict challenge_ack(lcore_state& lcore, segment& seg, connection& c, event_context& ctx) noexcept {
  // RFC 5961 §7: challenge ACKs are rate-limited, here per connection and never through one
  // global budget, whose exhaustion is itself an off-path side channel (CVE-2016-5696).
  const auto second = static_cast<std::uint32_t>(ctx.now_ns / 1'000'000'000);
  if (c.challenge_second != second) {
    c.challenge_second = second;
    c.challenge_acks = 0;
  }
  if (c.challenge_acks >= lcore.settings.challenge_acks_per_second) {
    return packet::dropped(drop_reason::tcp_challenge_ack_limited);
  }
  // And per lcore: a storm spread over many connections (each under its own limit) must not
  // turn the lcore into a reflector either (docs/tcp.md, "Replies to unauthenticated segments").
  if (!lcore.challenge_budget.take(ctx.now_ns)) {
    return packet::dropped(drop_reason::tcp_challenge_ack_lcore_limited);
  }
  ++c.challenge_acks;
  lcore.stats.tcp_challenge_acks_sent.add();
  return reply_in_place(lcore, seg, c, ack, control_sequence(c), ctx);
}

// Both directions closed after we closed first: TIME-WAIT for time_wait_ns (RFC 9293 §3.6).
void enter_time_wait(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  set_state(lcore, c, tcp_state::time_wait, ctx);
  stop_send_timer(c);
  // §3.10.7.4: "start the time-wait timer"
  arm_lifetime_timer(c, lifetime_timer::time_wait, ctx.now_ns + lcore.settings.time_wait_ns);
  drop_scoreboard(lcore, c);
  if (lcore.buffers != nullptr) {
    c.sendq.clear(lcore.send_pool);
  }
}

}  // namespace

bool establish(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  // The tuple's cookie SYN-ACK is answered: data later sent to a connection we dropped (abort,
  // timeout, idle) must meet the RST again, not re-open it from the memory (listen_input.cc).
  lcore.cookie_memory.forget(c.hash);
  start_congestion_control(lcore, c);
  touch_idle(lcore, c, ctx.now_ns);
  return set_state(lcore, c, tcp_state::established, ctx);
}

bool deliver(lcore_state& lcore, connection& c, const data_view& view, event_context& ctx) noexcept {
  c.rcv_nxt += view.length;
  c.bytes_in += view.length;
  lcore.stats.tcp_bytes_in.add(view.length);
  lcore.stats.listeners[c.listener].bytes_in.add(view.length);
  return call_app(lcore, c, ctx, [&](application& app, stream& s) noexcept { app.on_data(s, view); });
}

bool take_fin(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  c.rcv_nxt += 1;  // "advance RCV.NXT over the FIN"
  release_queue(lcore, c);  // anything queued beyond the FIN is not part of the stream
  switch (c.state) {
    case tcp_state::established:
      // "Enter the CLOSE-WAIT state"; the app decides when to close its side.
      return set_state(lcore, c, tcp_state::close_wait, ctx);
    case tcp_state::fin_wait_1:
      set_state(lcore, c, tcp_state::closing, ctx);  // our FIN not acknowledged yet (else FIN-WAIT-2 above)
      return true;
    case tcp_state::fin_wait_2:
      enter_time_wait(lcore, c, ctx);  // "Enter the TIME-WAIT state"
      return true;
    default:
      return true;
  }
}

packet::verdict connection_input(lcore_state& lcore, connection& c, segment& seg, event_context& ctx) noexcept {
  const std::uint64_t now_ns = ctx.now_ns;
  const tcp_settings& settings = lcore.settings;
  const control ctl = control_of(seg);
  // SYN-RECEIVED from a passive OPEN (a backlog entry) goes back to LISTEN where §3.10.7.4 says
  // so; from an active OPEN (a simultaneous open, active_open.cc) it is handled as a
  // synchronized state.
  const bool passive_half_open = c.state == tcp_state::syn_received && !c.outbound;
  lcore.stats.tcp_segments_in.add();

  if (c.state == tcp_state::syn_received && ctl == control::syn && !seg.has(ack)) {
    if (seg.tcp.sequence == c.irs) {
      // A retransmitted SYN: our SYN-ACK was lost. §3.8.1 wants it resent; the first check
      // below would answer a bare ACK instead, which a SYN-SENT client ignores.
      if (passive_half_open) {
        lcore.stats.tcp_syn_received.add();
        lcore.stats.tcp_syn_backlog_used.add();
      }
      return write_syn_ack(lcore, seg, offer_of(c, now_ns));
    }
  }
  if (passive_half_open && ctl == control::syn && !seg.has(ack)) {
    // A SYN with another ISN: the client started over. §3.10.7.4 fourth check, SYN-RECEIVED from
    // a passive OPEN: "return this connection to the LISTEN state", which answers this SYN.
    erase(lcore, c, close_reason::closed, ctx);
    return listen_input(lcore, seg, ctx);
  }
  if (c.state == tcp_state::time_wait && ctl == control::syn && !seg.has(ack)) {
    // RFC 6191 §2: a SYN in TIME-WAIT opens a new incarnation when its timestamp is newer than
    // TS.Recent (or, without timestamps, its sequence number is beyond RCV.NXT, RFC 1122
    // §4.2.2.13); otherwise RFC 5961 §4 applies: challenge ACK (below).
    const bool newer = c.timestamps && seg.options.timestamps
                           ? timestamp_before(c.ts_recent, seg.options.timestamps->value)
                           : seg.tcp.sequence > c.rcv_nxt;
    if (newer) {
      erase(lcore, c, close_reason::closed, ctx);
      lcore.stats.tcp_time_wait_reused.add();
      return listen_input(lcore, seg, ctx);
    }
  }

  // RFC 7323 §5.3 R1 (PAWS), before the sequence check: a segment whose TSval is older than
  // TS.Recent is a duplicate from an earlier wrap of the sequence space. Send an ACK, drop it.
  if (c.timestamps && seg.options.timestamps && ctl != control::rst &&
      timestamp_before(seg.options.timestamps->value, c.ts_recent)) {
    lcore.stats.tcp_paws_rejected.add();
    return reply_in_place(lcore, seg, c, ack, control_sequence(c), ctx);
  }

  // A segment whose ACK is acceptable names the neighbour the peer now sends through: a peer (or
  // the router before it) that came back with another MAC, a failover, is followed from its first
  // such segment on, where the MAC learned at the handshake would send every later segment to
  // nobody. Before the sequence check: a peer facing our closed window sends only probes below
  // RCV.NXT, and what would open the window is our data, sent to that MAC. (Only a host on our
  // own link can set the source MAC, and such a host can answer our ARP requests anyway.)
  if (ctl == control::ack && c.snd_una <= seg.tcp.acknowledgment && seg.tcp.acknowledgment <= c.snd_max) {
    answer_sender(c, seg);
  }

  // §3.10.7.4 first check: sequence number acceptability against the window we advertised.
  const std::uint32_t rcv_wnd = c.rcv_adv > c.rcv_nxt ? static_cast<std::uint32_t>(c.rcv_adv - c.rcv_nxt) : 0;
  if (!acceptable(seg, c.rcv_nxt, rcv_wnd)) {
    if (ctl == control::rst) {
      return packet::dropped(drop_reason::tcp_rst_out_of_window);  // "If the RST bit is set, drop the segment"
    }
    if (ctl == control::syn && !passive_half_open) {
      // RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK "irrespective of the
      // sequence number", so a SYN storm with random sequence numbers meets the same limits as
      // one in the window instead of an unlimited out-of-window ACK each.
      return challenge_ack(lcore, seg, c, ctx);
    }
    if (c.state == tcp_state::time_wait && seg.has(fin)) {
      // A retransmitted FIN restarts the 2 MSL.
      arm_lifetime_timer(c, lifetime_timer::time_wait, now_ns + settings.time_wait_ns);
      rearm(lcore, c);
    }
    // "send an acknowledgment: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" and drop the segment.
    lcore.stats.tcp_out_of_window_acks.add();
    if (seg.payload_length > 0 && seg.tcp.sequence + seg.payload_length <= c.rcv_nxt) {
      note_duplicate(lcore, c, {seg.tcp.sequence, seg.tcp.sequence + seg.payload_length}, ctx);  // all received before
    }
    return reply_in_place(lcore, seg, c, ack, control_sequence(c), ctx);
  }
  // RFC 7323 §4.3: TS.Recent follows the TSval of a segment that covers RCV.NXT.
  if (c.timestamps && seg.options.timestamps && seg.tcp.sequence <= c.rcv_nxt) {
    c.ts_recent = seg.options.timestamps->value;
  }
  touch_idle(lcore, c, now_ns);

  bool writable = false;
  switch (ctl) {
    case control::rst:
      // §3.10.7.4 second check + RFC 5961 §3.2: reset only on an exact RCV.NXT match ("enter the
      // CLOSED state, delete the TCB"; a passive open goes back to LISTEN); in the window
      // otherwise: challenge ACK.
      if (seg.tcp.sequence != c.rcv_nxt) {
        return challenge_ack(lcore, seg, c, ctx);
      }
      // "If this connection was initiated with an active OPEN (i.e., came from SYN-SENT state),
      // then the connection was refused".
      erase(lcore, c, c.state == tcp_state::syn_received && c.outbound ? close_reason::refused : close_reason::reset, ctx);
      return packet::consumed();
    case control::syn:
      if (passive_half_open) {
        // §3.10.7.4 fourth check (SYN+ACK, or a SYN in the window): passive open returns to LISTEN.
        erase(lcore, c, close_reason::closed, ctx);
        return packet::consumed();
      }
      // §3.10.7.4 fourth check (synchronized states) + RFC 5961 §4: always a challenge ACK.
      return challenge_ack(lcore, seg, c, ctx);
    case control::no_ack:
      // §3.10.7.4 fifth check: "if the ACK bit is off, drop the segment and return".
      return packet::dropped(drop_reason::tcp_ack_missing);
    case control::ack:
      break;
  }
  // §3.10.7.4 fifth check, the ACK field.
  const seq32 seg_ack = seg.tcp.acknowledgment;
  if (c.state == tcp_state::syn_received) {
    // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state"; else "form a reset
    // segment <SEQ=SEG.ACK><CTL=RST>".
    if (!(c.snd_una < seg_ack && seg_ack <= c.snd_nxt)) {
      return answer_with_reset(lcore, seg, ctx);
    }
    c.snd_una = seg_ack;
    c.snd_wnd = std::uint32_t{seg.tcp.window} << c.snd_wscale;
    c.snd_wl1 = seg.tcp.sequence;
    c.snd_wl2 = seg_ack;
    stop_send_timer(c);      // the SYN-ACK is acknowledged
    stop_lifetime_timer(c);  // no longer a backlog entry
    c.retries = 0;
    if (!establish(lcore, c, ctx)) {
      return packet::consumed();
    }
    // "and continue processing": text and FIN as ESTABLISHED, below.
  } else {
    // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the
    // segment, and return" (SND.MAX: after a timeout SND.NXT moved back).
    if (seg_ack > c.snd_max) {
      lcore.stats.tcp_out_of_window_acks.add();
      return reply_in_place(lcore, seg, c, ack, control_sequence(c), ctx);
    }
    const seq32 prior_una = c.snd_una;  // for loss recovery (loss_recovery_ack below)
    const std::uint32_t prior_wnd = c.snd_wnd;
    if (seg_ack > c.snd_una) {
      // "SND.UNA < SEG.ACK =< SND.NXT: set SND.UNA <- SEG.ACK", releasing what is acknowledged.
      const auto acked = static_cast<std::uint32_t>(seg_ack - c.snd_una);
      const std::uint32_t queued = c.sendq.size();
      const bool fin_acked = fin_in_flight(c.state) && acked > queued;
      const std::uint32_t data_acked = std::min(acked, queued);
      if (lcore.buffers != nullptr) {
        c.sendq.consume(lcore.send_pool, data_acked);
      }
      c.snd_una = seg_ack;
      if (c.snd_nxt < c.snd_una) {
        c.snd_nxt = c.snd_una;
      }
      // RTT (RFC 6298 §2): from the echoed timestamp (RFC 7323 §4.1), or from the timed segment.
      if (c.timestamps && seg.options.timestamps && seg.options.timestamps->echo_reply != 0) {
        const std::uint32_t rtt_ms = static_cast<std::uint32_t>(now_ns / 1'000'000) - seg.options.timestamps->echo_reply;
        if (rtt_ms < 600'000) {
          c.rtt.sample(rtt_ms * 1000, settings.rto);
        }
      } else if (c.timing_rtt && seg_ack >= c.rtt_sequence) {
        c.timing_rtt = false;
        c.rtt.sample(static_cast<std::uint32_t>(now_ns / 1000) - c.rtt_start_us, settings.rto);
      }
      c.retries = 0;
      if (c.send_timer_kind == send_timer::persist) {
        stop_send_timer(c);  // the probe was acknowledged: the window opened
      }
      // RFC 6298 §5.2/5.3: stop the timer when everything is acknowledged, else restart it.
      if (c.snd_una == c.snd_max) {
        stop_send_timer(c);
      } else {
        start_retransmit_timer(lcore, c, now_ns);
      }
      writable = data_acked > 0 && c.writable_wanted;
      if (fin_acked) {
        switch (c.state) {
          case tcp_state::fin_wait_1:
            set_state(lcore, c, tcp_state::fin_wait_2, ctx);  // "if our FIN is now acknowledged, enter FIN-WAIT-2"
            if (lcore.listener_of(c).idle_timeout_ns == 0) {
              // A bounded wait for the peer's FIN (with an idle timeout, that one bounds it).
              arm_lifetime_timer(c, lifetime_timer::fin_wait_2, now_ns + settings.time_wait_ns);
            }
            break;
          case tcp_state::closing:
            enter_time_wait(lcore, c, ctx);  // "enter the TIME-WAIT state"
            break;
          case tcp_state::last_ack:
            erase(lcore, c, close_reason::closed, ctx);  // "delete the TCB, enter the CLOSED state"
            return packet::consumed();
          default:
            break;
        }
      }
    }
    // Window update: "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated ...
    // if (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK))".
    if (c.snd_wl1 < seg.tcp.sequence || (c.snd_wl1 == seg.tcp.sequence && c.snd_wl2 <= seg_ack)) {
      const std::uint32_t window = std::uint32_t{seg.tcp.window} << c.snd_wscale;
      if (window == 0 && c.snd_wnd != 0) {
        lcore.stats.tcp_zero_window_received.add();
      }
      if (window > 0) {
        c.probes = 0;  // the zero window opened: the persist limit starts over
      }
      if (window > 0 && c.send_timer_kind == send_timer::persist) {
        if (c.snd_nxt != c.snd_una) {
          arm_retransmission_timeout(c, now_ns);  // the probe's byte is in flight
        } else {
          stop_send_timer(c);
        }
      }
      c.snd_wnd = window;
      c.snd_wl1 = seg.tcp.sequence;
      c.snd_wl2 = seg_ack;
    }
    loss_recovery_ack(lcore, c, seg, prior_una, prior_wnd, ctx);
  }

  // §3.10.7.4 seventh check, segment text: taken in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2.
  bool ack_now = false;
  const bool takes_text = c.state == tcp_state::established || c.state == tcp_state::fin_wait_1 ||
                          c.state == tcp_state::fin_wait_2;
  if (takes_text && seg.tcp.sequence > c.rcv_nxt && (seg.payload_length > 0 || seg.has(fin))) {
    // A hole before it (connection_reassembly.cc). Its ACK may be the last one owed: the app
    // hears about the space it freed now, or never (a proxy holding bytes for this side stalls).
    if (!wake_writer(lcore, c, writable, ctx)) {
      return packet::consumed();
    }
    return queue_out_of_order(lcore, seg, c, ctx);
  }
  if (seg.payload_length > 0 && takes_text) {
    const auto skip = static_cast<std::uint32_t>(c.rcv_nxt - seg.tcp.sequence);
    const std::uint32_t fresh = seg.payload_length > skip ? seg.payload_length - skip : 0;
    const std::uint32_t room = c.rcv_adv > c.rcv_nxt ? static_cast<std::uint32_t>(c.rcv_adv - c.rcv_nxt) : 0;
    const std::uint32_t length = std::min(fresh, room);  // beyond the window: trimmed (§3.10.7.4)
    if (skip > 0) {
      note_duplicate(lcore, c, {seg.tcp.sequence, seg.tcp.sequence + std::min<std::uint32_t>(skip, seg.payload_length)},
                     ctx);
    }
    if (length > 0) {
      const bool fills_hole = !c.ooo.empty();
      if (!deliver(lcore, c, {seg.payload + skip, length, seg.frame->buffer}, ctx)) {
        return packet::consumed();  // the app aborted
      }
      // Delayed ACK (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2): at least every second segment,
      // otherwise within delayed_ack_ns. A segment that fills (part of) a hole is ACKed at
      // once (RFC 5681 §4.2), after the queued data it joined.
      if (fills_hole) {
        ack_now = true;
        if (!deliver_queued(lcore, c, ctx)) {
          return packet::consumed();
        }
      } else if (++c.segments_unacked >= 2) {
        ack_now = true;
      } else if (c.output_timer_kind == output_timer::off) {
        arm_output_timer(c, output_timer::delayed_ack, now_ns + settings.delayed_ack_ns);
      }
    }
    if (length < seg.payload_length) {
      ack_now = true;  // a duplicate or a trimmed segment: tell the peer where we are
    }
  }

  // §3.10.7.4 eighth check, FIN, once every byte before it has arrived.
  if (seg.has(fin)) {
    if (seg.tcp.sequence + seg.payload_length == c.rcv_nxt && takes_text) {
      ack_now = true;
      if (!take_fin(lcore, c, ctx)) {
        return packet::consumed();
      }
    } else {
      ack_now = true;  // a repeated FIN (CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT)
      if (c.state == tcp_state::time_wait) {
        // "restart the 2 MSL timeout"
        arm_lifetime_timer(c, lifetime_timer::time_wait, now_ns + settings.time_wait_ns);
      }
    }
  }

  if (!wake_writer(lcore, c, writable, ctx)) {
    return packet::consumed();
  }
  if (c.window_update_due) {
    c.window_update_due = false;
    lcore.stats.tcp_window_updates_sent.add();
    ack_now = true;
  }
  output(lcore, c, ack_now, ctx);
  return packet::consumed();
}

}  // namespace rampart::tcp
