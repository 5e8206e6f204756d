// A connection's timers (connection_timers.hh). When the node fires, on_timer runs whichever
// deadlines are due, by their kind:
//   lifetime  idle: the listener's idle timeout (RST); syn_backlog: a half-open entry's client
//             never came back; connect: an active open's peer never answered; fin_wait_2: the
//             wait for an orphaned peer's FIN; time_wait: 2 MSL
//   send      retransmission: RFC 6298 §5 (go-back-N from SND.UNA, back-off, the retry limit of
//             RFC 9293 §3.8.3 R2), or a backlog entry's SYN-ACK or an active open's SYN again; persist: the zero-window
//             probe of §3.8.6.1; loss_probe: RFC 8985 §7.3 (loss_recovery.cc)
//   output    delayed_ack: RFC 9293 §3.8.6.3, the ACK we held back is due; retry: output that a
//             full pool or TX staging held back (both run output() with an ACK)
#include "connection_timers.hh"

#include <algorithm>

#include "active_open.hh"
#include "connection_lifetime.hh"
#include "connection_output.hh"
#include "loss_recovery.hh"
#include "segment_composer.hh"

namespace rampart::tcp {

namespace {

std::uint64_t earliest(std::uint64_t a, std::uint64_t b) noexcept {
  if (a == 0) {
    return b;
  }
  if (b == 0) {
    return a;
  }
  return std::min(a, b);
}

// RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: probe the zero window with one byte; the connection
// stays open while the peer answers, up to the persist limit. False: the connection is gone.
bool send_zero_window_probe(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  if (++c.probes > lcore.settings.max_retransmissions) {
    // A peer that holds its window at zero through max_retransmissions probes (minutes, with
    // back-off) is dropped: it would pin its send queue for ever (docs/tcp.md).
    lcore.stats.tcp_persist_aborts.add();
    reset_and_erase(lcore, c, close_reason::timeout, ctx);
    return false;
  }
  c.rtt.back_off(lcore.settings.rto);
  lcore.stats.tcp_zero_window_probes.add();
  const bool new_byte = c.snd_nxt == c.snd_una;
  if (send_segment(lcore, c, c.snd_una, net::tcp_flag::ack, 0, 1, ctx) && new_byte) {
    c.snd_nxt += 1;
    if (c.snd_nxt > c.snd_max) {
      c.snd_max = c.snd_nxt;
    }
  }
  arm_persist_timer(c, ctx.now_ns);
  return true;
}

// RFC 6298 §5.4-5.6 (RFC 9293 §3.8.3 R2 past the retry limit). False: the connection is gone.
bool retransmission_timeout(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  if (c.state == tcp_state::syn_sent) {
    return syn_timeout(lcore, c, ctx);  // active_open.cc
  }
  if (c.retries >= lcore.settings.max_retransmissions) {
    // RFC 9293 §3.8.3: past R2, "close the connection"; the app learns why.
    reset_and_erase(lcore, c, close_reason::timeout, ctx);
    return false;
  }
  const bool half_open = c.state == tcp_state::syn_received;
  if (!half_open) {
    loss_recovery_timeout(lcore, c);  // ssthresh, cwnd = 1 SMSS, recovery and SACK state dropped
  }
  ++c.retries;
  lcore.stats.tcp_rto_expiries.add();
  c.rtt.back_off(lcore.settings.rto);  // RFC 6298 §5.5
  c.timing_rtt = false;                // Karn: no sample across a retransmission
  if (half_open) {
    lcore.stats.tcp_syn_ack_retransmits.add();
    send_syn_ack(lcore, c, ctx);
  } else {
    c.snd_nxt = c.snd_una;  // §5.4: retransmit the earliest unacknowledged segment
  }
  start_retransmit_timer(lcore, c, ctx.now_ns);  // §5.6
  if (!half_open) {
    output(lcore, c, false, ctx);
  }
  return true;
}

}  // namespace

void rearm(lcore_state& lcore, connection& c) noexcept {
  const std::uint64_t next = earliest(earliest(c.send_timer_at, c.output_timer_at), c.lifetime_timer_at);
  if (next == 0) {
    lcore.timers.cancel(c.timer);
  } else {
    lcore.timers.arm(c.timer, next);
  }
}

void start_retransmit_timer(lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept {
  if (!arm_tail_loss_probe(lcore, c, now_ns)) {
    arm_retransmission_timeout(c, now_ns);
  }
}

void arm_retransmission_timeout(connection& c, std::uint64_t now_ns) noexcept {
  arm_send_timer(c, send_timer::retransmission, now_ns + std::uint64_t{c.rtt.rto_us()} * 1000);
}

void arm_persist_timer(connection& c, std::uint64_t now_ns) noexcept {
  arm_send_timer(c, send_timer::persist, now_ns + std::uint64_t{c.rtt.rto_us()} * 1000);
}

void retry_after_link_outage(lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept {
  // A loss probe is due within 2 SRTT anyway, and before its first RTO nothing backed off.
  if (c.send_timer_kind != send_timer::retransmission && c.send_timer_kind != send_timer::persist) {
    return;
  }
  // RFC 6298 §5.5 doubles the RTO because a timeout may mean congestion on the path. These
  // timeouts were our own link refusing frames (the worker freed them: tx_link_down), which the
  // port saw and reported, so they say nothing about the path: undo the doublings and send now
  // instead of at a deadline that may be a minute away. Linux has no such step (it waits for the
  // backed-off RTO: its sockets do not follow one device's carrier), but there the outage is
  // rarely the host's own; here the link is rampart's. The timer fires once, as an ordinary
  // timeout: one segment (cwnd 1 SMSS), one back-off, then the usual schedule.
  c.rtt.forget_back_off(lcore.settings.rto);
  arm_send_timer(c, c.send_timer_kind, now_ns);
  rearm(lcore, c);
}

void touch_idle(const lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept {
  const std::uint64_t idle = lcore.listener_of(c).idle_timeout_ns;
  if (idle != 0 && c.lifetime_kind != lifetime_timer::syn_backlog && c.lifetime_kind != lifetime_timer::time_wait &&
      c.lifetime_kind != lifetime_timer::connect) {
    arm_lifetime_timer(c, lifetime_timer::idle, now_ns + idle);
  }
}

void on_timer(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  const std::uint64_t now_ns = ctx.now_ns;
  if (c.lifetime_timer_at != 0 && c.lifetime_timer_at <= now_ns) {
    const lifetime_timer kind = c.lifetime_kind;
    stop_lifetime_timer(c);
    switch (kind) {
      case lifetime_timer::syn_backlog:
      case lifetime_timer::time_wait:
        erase(lcore, c, close_reason::closed, ctx);
        return;
      case lifetime_timer::connect:
        // No SYN-ACK in time (a simultaneous open's SYN-RECEIVED included): the app hears
        // timeout; no RST, the peer never synchronized with us.
        erase(lcore, c, close_reason::timeout, ctx);
        return;
      case lifetime_timer::fin_wait_2:
        // The peer never sent its FIN: like Linux's tcp_fin_timeout, the wait is bounded.
        reset_and_erase(lcore, c, close_reason::timeout, ctx);
        return;
      case lifetime_timer::idle:
        reset_and_erase(lcore, c, close_reason::idle_timeout, ctx);
        return;
      case lifetime_timer::off:
        break;
    }
  }
  if (c.send_timer_at != 0 && c.send_timer_at <= now_ns) {
    const send_timer kind = c.send_timer_kind;
    stop_send_timer(c);
    switch (kind) {
      case send_timer::loss_probe:
        fire_tail_loss_probe(lcore, c, ctx);  // the probe goes, and the RTO is armed
        break;
      case send_timer::persist:
        if (!send_zero_window_probe(lcore, c, ctx)) {
          return;
        }
        break;
      case send_timer::retransmission:
        if (!retransmission_timeout(lcore, c, ctx)) {
          return;
        }
        break;
      case send_timer::off:
        break;
    }
  }
  if (c.output_timer_at != 0 && c.output_timer_at <= now_ns) {
    stop_output_timer(c);
    lcore.stats.tcp_delayed_acks.add();
    output(lcore, c, true, ctx);
  }
  rearm(lcore, c);
}

}  // namespace rampart::tcp
