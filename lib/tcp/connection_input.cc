// Segments of a known connection: RFC 9293 §3.10.7.4 ("Other states"), with RFC 5961's
// challenge ACKs for RSTs and SYNs that are in the window but not exact. Until the data path
// lands, data is acknowledged and discarded and the close is passive: the peer's FIN is answered
// by FIN+ACK at once (CLOSE-WAIT lasts no time: the app has nothing more to send), then the
// connection waits in LAST-ACK for the ACK of our FIN.
#include <algorithm>

#include "tcp/lcore_tcp.hh"
#include "tcp/reply.hh"
#include "tcp/segment.hh"

namespace rampart::tcp {

namespace {

using net::seq32;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;

constexpr packet::verdict drop(drop_reason reason) noexcept { return {packet::action::drop, reason}; }

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

// §3.10.7.4 first check, the four cases of the acceptability table (RCV.WND > 0 always: data is
// discarded as it arrives, so the whole configured window stays open).
bool acceptable(const segment& seg, const connection& c, std::uint32_t rcv_wnd) noexcept {
  const seq32 end = c.rcv_nxt + rcv_wnd;
  const std::uint32_t len = seg.sequence_length();
  if (len == 0) {
    return seg.tcp.sequence.in_half_open(c.rcv_nxt, end);
  }
  return seg.tcp.sequence.in_half_open(c.rcv_nxt, end) || (seg.tcp.sequence + (len - 1)).in_half_open(c.rcv_nxt, end);
}

}  // namespace

packet::verdict lcore_tcp::connection_input(segment& seg, flow::connection_handle handle,
                                              std::uint64_t now_ns) noexcept {
  connection& c = _pool[handle];
  const control ctl = control_of(seg);
  const auto now_ms = static_cast<std::uint32_t>(now_ns / 1'000'000);
  const std::uint16_t window =
      static_cast<std::uint16_t>(std::min<std::uint32_t>(_settings.receive_window >> c.rcv_wscale, 65535));

  // <SEQ=seq><ACK=RCV.NXT><CTL=flags>, with Timestamps when negotiated (RFC 7323 §3.2: every
  // segment of such a connection carries TSopt; TSecr echoes TS.Recent).
  const auto send = [&](std::uint8_t flags, seq32 seq) noexcept {
    reply_fields r;
    r.sequence = seq;
    r.acknowledgment = c.rcv_nxt;
    r.flags = flags;
    r.window = window;
    if (c.timestamps) {
      r.options.timestamps = net::tcp_timestamps{now_ms, c.ts_recent};
    }
    return write_reply(seg, r, ip_id(), _settings.offload);
  };
  const auto challenge_ack = [&]() noexcept {
    _stats.tcp_challenge_acks_sent.add();
    return send(ack, c.snd_nxt);
  };

  // A retransmitted SYN for a backlog entry: our SYN-ACK was lost. With no SYN-ACK timer on this
  // path the client's retransmission clocks ours (RFC 9293 §3.8.1 wants the SYN-ACK resent; the
  // first check below would answer a bare ACK instead, which a SYN-SENT client ignores).
  if (c.state == tcp_state::syn_received && ctl == control::syn && !seg.has(ack)) {
    if (seg.tcp.sequence == c.irs) {
      _stats.tcp_syn_received.add();
      _stats.tcp_syn_backlog_used.add();
      return write_syn_ack(seg, c);
    }
    // A SYN with another ISN: the client started over. §3.10.7.4 fourth check, SYN-RECEIVED from
    // a passive OPEN: "return this connection to the LISTEN state", which answers this SYN.
    erase(handle);
    return listen_input(seg, now_ns);
  }

  // LAST-ACK and the peer repeats its FIN (SEG.SEQ+SEG.LEN = RCV.NXT, i.e. before the window):
  // our FIN+ACK was lost. §3.10.7.4 eighth check: "LAST-ACK STATE: Remain in the LAST-ACK state";
  // with no retransmission timer here, the peer's repeat clocks the resend of our FIN.
  if (c.state == tcp_state::last_ack && seg.has(fin) && ctl == control::ack &&
      seg.tcp.sequence + seg.sequence_length() == c.rcv_nxt && c.snd_una != c.snd_nxt) {
    return send(fin | ack, c.snd_nxt - 1);
  }

  // §3.10.7.4 first check: sequence number acceptability.
  if (!acceptable(seg, c, _settings.receive_window)) {
    if (ctl == control::rst) {
      return drop(drop_reason::tcp_rst_out_of_window);  // "If the RST bit is set, drop the segment"
    }
    // "send an acknowledgment: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" and drop the segment.
    _stats.tcp_out_of_window_acks.add();
    return send(ack, c.snd_nxt);
  }
  // RFC 7323 §4.3: TS.Recent follows the TSval of a segment that covers RCV.NXT.
  // TODO(paws): PAWS (RFC 7323 §5) is not enforced yet; with data discarded it guards nothing.
  if (c.timestamps && seg.options.timestamps && seg.tcp.sequence <= c.rcv_nxt) {
    c.ts_recent = seg.options.timestamps->value;
  }

  switch (c.state) {
    case tcp_state::syn_received:
      switch (ctl) {
        case control::rst:
          // §3.10.7.4 second check + RFC 5961 §3.2: exact RST returns a passive open to LISTEN;
          // in-window but not exact gets a challenge ACK.
          if (seg.tcp.sequence != c.rcv_nxt) {
            return challenge_ack();
          }
          erase(handle);
          return packet::consumed();
        case control::syn:
          // §3.10.7.4 fourth check (SYN+ACK, or a SYN in the window): passive open returns to LISTEN.
          erase(handle);
          return packet::consumed();
        case control::no_ack:
          // §3.10.7.4 fifth check: "if the ACK bit is off, drop the segment and return".
          return drop(drop_reason::tcp_ack_missing);
        case control::ack:
          // §3.10.7.4 fifth check, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
          // ESTABLISHED state"; else "form a reset segment <SEQ=SEG.ACK><CTL=RST>".
          if (!(c.snd_una < seg.tcp.acknowledgment && seg.tcp.acknowledgment <= c.snd_nxt)) {
            const packet::verdict v = write_reply(seg, reset_for(seg), ip_id(), _settings.offload);
            if (v.what == packet::action::transmit) {
              _stats.tcp_rst_sent.add();
            }
            return v;
          }
          list_remove(_backlog, handle);
          c.state = tcp_state::established;
          c.snd_una = seg.tcp.acknowledgment;
          c.snd_wnd = std::uint32_t{seg.tcp.window} << c.snd_wscale;
          _stats.tcp_connections_opened.add();
          break;  // "and continue processing": text and FIN as ESTABLISHED, below
      }
      break;
    case tcp_state::established:
    case tcp_state::last_ack:
      switch (ctl) {
        case control::rst:
          // §3.10.7.4 second check + RFC 5961 §3.2: reset only on an exact RCV.NXT match (then
          // "enter the CLOSED state, delete the TCB"); in the window otherwise: challenge ACK.
          if (seg.tcp.sequence != c.rcv_nxt) {
            return challenge_ack();
          }
          erase(handle);
          return packet::consumed();
        case control::syn:
          // §3.10.7.4 fourth check (synchronized states) + RFC 5961 §4: always a challenge ACK.
          return challenge_ack();
        case control::no_ack:
          // §3.10.7.4 fifth check: no ACK, drop.
          return drop(drop_reason::tcp_ack_missing);
        case control::ack:
          // §3.10.7.4 fifth check: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT),
          // then send an ACK, drop the segment, and return".
          if (seg.tcp.acknowledgment > c.snd_nxt) {
            _stats.tcp_out_of_window_acks.add();
            return send(ack, c.snd_nxt);
          }
          // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK"; duplicates are ignored.
          if (c.snd_una < seg.tcp.acknowledgment) {
            c.snd_una = seg.tcp.acknowledgment;
            c.snd_wnd = std::uint32_t{seg.tcp.window} << c.snd_wscale;
          }
          if (c.state == tcp_state::last_ack && c.snd_una == c.snd_nxt) {
            // §3.10.7.4 fifth check, LAST-ACK: "if our FIN is now acknowledged, delete the TCB,
            // enter the CLOSED state".
            erase(handle);
            return packet::consumed();
          }
          break;
      }
      break;
  }

  // §3.10.7.4 seventh check, segment text (ESTABLISHED only; after the peer's FIN no data is
  // taken). In-order data is "accepted" (discarded until the data path lands) and RCV.NXT moves
  // past it; data beyond RCV.NXT is not queued (TODO(reassembly)) and only re-ACKed.
  bool reply_needed = false;
  const bool in_order = seg.tcp.sequence <= c.rcv_nxt;
  if (c.state == tcp_state::established && seg.payload_length > 0) {
    const seq32 data_end = seg.tcp.sequence + seg.payload_length;
    if (in_order && data_end > c.rcv_nxt) {
      c.rcv_nxt = data_end;
    }
    reply_needed = true;  // RFC 9293 §3.8.6.3 allows delaying this; TODO(delayed-ack)
  }
  // §3.10.7.4 eighth check, FIN (only once every byte before it has arrived).
  if (c.state == tcp_state::established && seg.has(fin) && in_order &&
      seg.tcp.sequence + seg.payload_length == c.rcv_nxt) {
    // "Advance RCV.NXT over the FIN ... enter CLOSE-WAIT"; the app closes at once (it has nothing
    // queued), so our FIN rides on the ACK: CLOSE-WAIT -> LAST-ACK (§3.6).
    c.rcv_nxt = c.rcv_nxt + 1;
    c.state = tcp_state::last_ack;
    list_push(_last_ack, handle, now_ns + _settings.last_ack_timeout_ns);
    c.snd_nxt = c.snd_nxt + 1;
    return send(fin | ack, c.snd_nxt - 1);
  }
  if (seg.has(fin) && c.state == tcp_state::established) {
    reply_needed = true;  // a FIN beyond a hole: re-ACK what we have
  }
  if (reply_needed) {
    return send(ack, c.snd_nxt);
  }
  return packet::consumed();
}

}  // namespace rampart::tcp
