// What a connection sends on its own, in fresh buffers: data within the peer's window (RFC 9293
// §3.8.6), Nagle's rule (RFC 1122 §4.2.3.4), our FIN once everything queued is out (§3.10.4),
// pure ACKs when one is owed, retransmissions after SND.NXT went back to SND.UNA, and the persist
// timer when the peer's window is closed. Every segment carries ACK (all states here are
// synchronized); its fields come from segment_composer.hh.
#include "connection_output.hh"

#include <algorithm>

#include "connection_timers.hh"
#include "loss_recovery.hh"
#include "segment_composer.hh"
#include "state_transition.hh"

namespace rampart::tcp {

namespace {

using net::seq32;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;

// Our FIN has a sequence number (sent at least once).
bool fin_sent(tcp_state state) noexcept {
  switch (state) {
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
      return true;
    case tcp_state::syn_sent:
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::close_wait:
    case tcp_state::closed:
      return false;
  }
  return false;
}

}  // namespace

std::uint16_t effective_mss(const lcore_state& lcore, const connection& c) noexcept {
  // RFC 9293 §3.7.1: Eff.snd.MSS = min(SendMSS + 20, MMS_S) - TCPhdrsize - IPoptionsize; the
  // 12 bytes of a Timestamps option come out of every segment once negotiated (RFC 7323 §3.2).
  const std::uint16_t mss = std::min(c.peer_mss, lcore.settings.mss);
  return static_cast<std::uint16_t>(c.timestamps ? mss - 12 : mss);
}

void output(lcore_state& lcore, connection& c, bool ack_now, event_context& ctx) noexcept {
  if (c.state == tcp_state::syn_sent || c.state == tcp_state::syn_received) {
    return;  // nothing but our SYN or SYN-ACK until the handshake completes (§3.10.2: data waits)
  }
  const std::uint64_t now_ns = ctx.now_ns;
  bool sent = false;
  bool blocked = false;  // no buffer or no TX room: retry on a later turn
  const bool may_send_data = c.state == tcp_state::established || c.state == tcp_state::close_wait ||
                             (fin_sent(c.state) && c.snd_nxt - c.snd_una < static_cast<std::int32_t>(c.sendq.size()));
  if (may_send_data && c.send_timer_kind != send_timer::persist) {
    const std::uint16_t mss = effective_mss(lcore, c);
    std::uint32_t room = congestion_room(lcore, c, ctx);  // cwnd (loss_recovery.cc)
    for (;;) {
      const auto offset = static_cast<std::uint32_t>(c.snd_nxt - c.snd_una);
      if (offset >= c.sendq.size()) {
        break;
      }
      const std::uint32_t queued = c.sendq.size() - offset;
      const seq32 window_end = c.snd_una + c.snd_wnd;
      const std::uint32_t usable = window_end > c.snd_nxt ? static_cast<std::uint32_t>(window_end - c.snd_nxt) : 0;
      const std::uint32_t length = std::min<std::uint32_t>({queued, mss, usable, room});
      if (length == 0 && usable == 0) {
        // The peer's window is closed and nothing is in flight to bring an update: probe it
        // (RFC 9293 §3.8.6.1, the persist timer).
        if (c.snd_wnd == 0 && c.snd_nxt == c.snd_una) {
          arm_persist_timer(c, now_ns);
        }
        break;
      }
      if (length == 0) {
        break;  // cwnd is full: ACKs will open it
      }
      if (length < mss && c.snd_nxt != c.snd_una) {
        // Nagle (RFC 1122 §4.2.3.4): a short segment waits while data is unacknowledged, unless
        // the listener turned Nagle off. Sender SWS avoidance (§3.8.6.2.1): a short segment
        // that the window, not the queue, cut short waits for a bigger window.
        if ((c.nagle && !c.fin_queued) || length < queued) {
          break;
        }
      }
      const std::uint8_t flags = static_cast<std::uint8_t>(ack | (length == queued ? psh : 0));
      if (!send_segment(lcore, c, c.snd_nxt, flags, offset, length, ctx)) {
        blocked = true;  // the data stays queued for a later turn
        break;
      }
      if (!c.timestamps && !c.timing_rtt && c.snd_nxt == c.snd_max) {
        // RFC 6298 §3 (Karn): time a segment on its first transmission only.
        c.timing_rtt = true;
        c.rtt_sequence = c.snd_nxt + length;
        c.rtt_start_us = static_cast<std::uint32_t>(now_ns / 1000);
      }
      if (c.snd_nxt == c.snd_max) {
        sent_new_data(lcore, c);
      }
      c.snd_nxt += length;
      if (c.snd_nxt > c.snd_max) {
        c.snd_max = c.snd_nxt;
      }
      room -= length;
      sent = true;
      if (c.send_timer_kind == send_timer::off || c.send_timer_kind == send_timer::loss_probe) {
        start_retransmit_timer(lcore, c, now_ns);  // RFC 8985 §7.2: new data restarts a probe timeout
      }
    }
  }
  // RFC 9293 §3.10.4 CLOSE: FIN once everything queued has been sent; again after a timeout
  // moved SND.NXT back (then SND.NXT + 1 <= SND.MAX).
  const bool all_data_sent = c.snd_nxt - c.snd_una == static_cast<std::int32_t>(c.sendq.size());
  const bool fin_due = c.fin_queued && all_data_sent && c.send_timer_kind != send_timer::persist &&
                       (!fin_sent(c.state) || (c.snd_nxt < c.snd_max && c.state != tcp_state::fin_wait_2 &&
                                               c.state != tcp_state::time_wait));
  if (fin_due && !send_segment(lcore, c, c.snd_nxt, fin | ack, 0, 0, ctx)) {
    blocked = true;
  } else if (fin_due) {
    c.snd_nxt += 1;
    if (c.snd_nxt > c.snd_max) {
      c.snd_max = c.snd_nxt;
    }
    if (c.state == tcp_state::established) {
      set_state(lcore, c, tcp_state::fin_wait_1, ctx);  // §3.10.4 ESTABLISHED: "enter FIN-WAIT-1"
    } else if (c.state == tcp_state::close_wait) {
      set_state(lcore, c, tcp_state::last_ack, ctx);    // §3.10.4 CLOSE-WAIT: "enter LAST-ACK"
    }
    sent = true;
    if (c.send_timer_kind == send_timer::off) {
      start_retransmit_timer(lcore, c, now_ns);
    }
  }
  // An owed ACK whose SACK blocks did not fit beside the data it rode on goes again alone.
  if (ack_now && (!sent || ctx.sack_cut_for == &c) && !send_segment(lcore, c, control_sequence(c), ack, 0, 0, ctx)) {
    blocked = true;
  }
  if (blocked && (c.output_timer_kind == output_timer::off || c.output_timer_at > now_ns + 1'000'000)) {
    // A local shortage, not loss: try again within a timer tick, also when a delayed ACK was
    // already due later (it held the data up to delayed_ack_ns, fuzz_tcp_stream); the retry sends
    // that ACK too.
    arm_output_timer(c, output_timer::retry, now_ns + 1'000'000);
  }
  rearm(lcore, c);
}

}  // namespace rampart::tcp
