// A connection's timers. Each control block has one node in the lcore's timer wheel, armed at
// the earliest of its deadlines (connection.hh); when it fires, on_timer runs whichever are due:
//   retransmit_at  RFC 6298 §5 retransmission timeout (go-back-N from SND.UNA, back-off, retry
//                  limit of RFC 9293 §3.8.3 R2), the SYN-ACK of a backlog entry, or the persist
//                  timer's zero-window probe (§3.8.6.1)
//   delayed_ack_at RFC 9293 §3.8.6.3: the ACK we held back is due
//   idle_at        the listener's idle timeout; in TIME-WAIT its 2 MSL; in SYN-RECEIVED the
//                  backlog entry's expiry; in FIN-WAIT-2 the wait for an orphaned peer's FIN
#include <algorithm>

#include "tcp/lcore_tcp.hh"

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

}  // namespace

void lcore_tcp::rearm(connection& c) noexcept {
  const std::uint64_t next = earliest(earliest(c.retransmit_at, c.delayed_ack_at), c.idle_at);
  if (next == 0) {
    _timers.cancel(c.timer);
  } else {
    _timers.arm(c.timer, next);
  }
}

void lcore_tcp::start_retransmit_timer(connection& c, std::uint64_t now_ns) noexcept {
  // RFC 6298 §5.1/5.3: (re)start with the current RTO -- or, when a tail loss probe may go
  // first, with the probe timeout (RFC 8985 §7.2; loss_recovery.cc).
  if (!arm_tail_loss_probe(c, now_ns)) {
    arm_retransmission_timeout(c, now_ns);
  }
}

void lcore_tcp::arm_retransmission_timeout(connection& c, std::uint64_t now_ns) noexcept {
  cancel_tail_loss_probe(c);  // the deadline is the RTO's (or the persist timer's), not a probe's
  c.retransmit_at = now_ns + std::uint64_t{c.rtt.rto_us()} * 1000;
}

void lcore_tcp::touch_idle(connection& c, std::uint64_t now_ns) noexcept {
  const std::uint64_t idle = _listener_info[c.listener].idle_timeout_ns;
  if (idle != 0 && c.state != tcp_state::time_wait && c.state != tcp_state::syn_received) {
    c.idle_at = now_ns + idle;
  }
}

void lcore_tcp::on_timer(connection& c, flow::connection_handle handle, std::uint64_t now_ns) noexcept {
  if (c.idle_at != 0 && c.idle_at <= now_ns) {
    c.idle_at = 0;
    switch (c.state) {
      case tcp_state::time_wait:
      case tcp_state::syn_received:
        // TIME-WAIT's 2 MSL are over (§3.10.7.4); a backlog entry's client never came back.
        erase(handle, close_reason::closed);
        return;
      case tcp_state::fin_wait_2:
        if (_listener_info[c.listener].idle_timeout_ns == 0) {
          // The peer never sent its FIN: like Linux's tcp_fin_timeout, the wait is bounded.
          reset_and_erase(c, handle, close_reason::timeout, now_ns);
          return;
        }
        [[fallthrough]];
      case tcp_state::established:
      case tcp_state::fin_wait_1:
      case tcp_state::close_wait:
      case tcp_state::closing:
      case tcp_state::last_ack:
        reset_and_erase(c, handle, close_reason::idle_timeout, now_ns);
        return;
    }
  }
  if (c.retransmit_at != 0 && c.retransmit_at <= now_ns) {
    c.retransmit_at = 0;
    if (tail_loss_probe_fired(c, now_ns)) {
      // The probe timeout, not the RTO: the probe went and the RTO is armed.
    } else if (c.persist) {
      // RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: probe the zero window with one byte; the
      // connection stays open while the peer answers, up to the persist limit below.
      if (++c.probes > _settings.max_retransmissions) {
        // A peer that holds its window at zero through max_retransmissions probes (minutes, with
        // back-off) is dropped: it would pin its send queue for ever (docs/tcp.md).
        _stats.tcp_persist_aborts.add();
        reset_and_erase(c, handle, close_reason::timeout, now_ns);
        return;
      }
      c.rtt.back_off(_settings.rto);
      _stats.tcp_zero_window_probes.add();
      const bool new_byte = c.snd_nxt == c.snd_una;
      if (send_segment(c, c.snd_una, net::tcp_flag::ack, 0, 1, now_ns) && new_byte) {
        c.snd_nxt += 1;
        if (c.snd_nxt > c.snd_max) {
          c.snd_max = c.snd_nxt;
        }
      }
      start_retransmit_timer(c, now_ns);
    } else if (c.retries >= _settings.max_retransmissions) {
      // RFC 9293 §3.8.3: past R2, "close the connection"; the app learns why.
      reset_and_erase(c, handle, close_reason::timeout, now_ns);
      return;
    } else {
      if (c.state != tcp_state::syn_received) {
        loss_recovery_timeout(c);  // ssthresh, cwnd = 1 SMSS, recovery and SACK state dropped
      }
      ++c.retries;
      _stats.tcp_rto_expiries.add();
      c.rtt.back_off(_settings.rto);  // RFC 6298 §5.5
      c.timing_rtt = false;           // Karn: no sample across a retransmission
      if (c.state == tcp_state::syn_received) {
        _stats.tcp_syn_ack_retransmits.add();
        send_syn_ack(c, now_ns);
      } else {
        c.snd_nxt = c.snd_una;        // §5.4: retransmit the earliest unacknowledged segment
      }
      start_retransmit_timer(c, now_ns);  // §5.6
      if (c.state != tcp_state::syn_received) {
        output(c, now_ns, false);
      }
    }
  }
  if (c.delayed_ack_at != 0 && c.delayed_ack_at <= now_ns) {
    c.delayed_ack_at = 0;
    _stats.tcp_delayed_acks.add();
    output(c, now_ns, true);
  }
  rearm(c);
}

}  // namespace rampart::tcp
