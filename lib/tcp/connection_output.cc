// What a connection sends on its own, in fresh buffers: data within the peer's window (RFC 9293
// §3.8.6), Nagle's rule (RFC 1122 §4.2.3.4), our FIN once everything queued is out (§3.10.4),
// pure ACKs when one is owed, retransmissions after SND.NXT went back to SND.UNA, zero-window
// probes, and the RSTs of aborts. Every segment carries ACK (all states here are synchronized)
// and, once negotiated, Timestamps (RFC 7323 §3.2).
#include <algorithm>

#include "tcp/lcore_tcp.hh"
#include "tcp/reply.hh"

namespace rampart::tcp {

namespace {

using net::seq32;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::psh;
using net::tcp_flag::rst;
using net::tcp_flag::syn;

// Our FIN has a sequence number (sent at least once).
bool fin_sent(tcp_state state) noexcept {
  switch (state) {
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
      return true;
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::close_wait:
      return false;
  }
  return false;
}

std::uint32_t now_ms(std::uint64_t now_ns) noexcept { return static_cast<std::uint32_t>(now_ns / 1'000'000); }

}  // namespace

std::uint16_t lcore_tcp::effective_mss(const connection& c) const noexcept {
  // RFC 9293 §3.7.1: Eff.snd.MSS = min(SendMSS + 20, MMS_S) - TCPhdrsize - IPoptionsize; the
  // 12 bytes of a Timestamps option come out of every segment once negotiated (RFC 7323 §3.2).
  const std::uint16_t mss = std::min(c.peer_mss, _settings.mss);
  return static_cast<std::uint16_t>(c.timestamps ? mss - 12 : mss);
}

std::uint16_t lcore_tcp::advertised_window(connection& c) const noexcept {
  // What the app holds back closes the window (stream::retain_buffer); the right edge never
  // moves left (RFC 9293 §3.8.6.2.2: "shrinking the window" is strongly discouraged).
  std::uint32_t window = _settings.receive_window > c.rcv_held ? _settings.receive_window - c.rcv_held : 0;
  if (c.rcv_nxt + window < c.rcv_adv) {
    window = static_cast<std::uint32_t>(c.rcv_adv - c.rcv_nxt);
  }
  const std::uint32_t on_wire = std::min<std::uint32_t>(window >> c.rcv_wscale, 65535);
  const seq32 edge = c.rcv_nxt + (on_wire << c.rcv_wscale);
  if (edge > c.rcv_adv) {
    c.rcv_adv = edge;
  }
  return static_cast<std::uint16_t>(on_wire);
}

bool lcore_tcp::send_segment(connection& c, seq32 seq, std::uint8_t flags, std::uint32_t offset,
                             std::uint32_t length, std::uint64_t now_ns, const net::tcp_options* options) noexcept {
  if (_buffers == nullptr || _sink == nullptr) {
    _stats.tcp_tx_no_buffer.add();
    return false;
  }
  const auto b = _buffers->allocate();
  if (!b) {
    _stats.tcp_tx_no_buffer.add();
    return false;
  }
  reply_fields fields;
  fields.sequence = seq;
  fields.acknowledgment = c.rcv_nxt;
  fields.flags = flags;
  if (options != nullptr) {
    fields.options = *options;
  } else if (c.timestamps && (flags & rst) == 0) {
    fields.options.timestamps = net::tcp_timestamps{now_ms(now_ns), c.ts_recent};
  }
  if (options == nullptr && (flags & ack) != 0) {
    // SACK blocks fit beside the payload within the segment size the peer accepts.
    const std::uint32_t segment_room = std::min(c.peer_mss, _settings.mss);
    add_sack_blocks(c, fields.options, segment_room > length ? segment_room - length : 0);
  }
  // RFC 7323 §2.2: the window of a SYN is never scaled.
  fields.window = (flags & syn) != 0 ? static_cast<std::uint16_t>(std::min<std::uint32_t>(_settings.receive_window, 65535))
                                     : advertised_window(c);
  const std::size_t header_length = segment_header_length(fields);
  if (header_length + length > b->capacity) {
    _buffers->release(b->handle);
    _stats.count_drop(stats::drop_reason::tcp_reply_too_large);
    return false;
  }
  if (length > 0) {
    c.sendq.copy_out(offset, length, b->data + header_length);
  }
  const segment_endpoints endpoints{_settings.local_mac, c.remote_mac,
                                    net::ipv4_address{c.key.local_ip}, net::ipv4_address{c.key.remote_ip},
                                    c.key.local_port, c.key.remote_port};
  packet::tx_offload_request offload;
  packet::buffer frame = *b;
  frame.length = static_cast<std::uint16_t>(write_segment({b->data, b->capacity}, endpoints, fields,
                                                          static_cast<std::uint16_t>(length), ip_id(),
                                                          _settings.offload, offload));
  if (!_sink->push(frame, offload)) {
    _buffers->release(b->handle);
    _stats.tcp_tx_staging_full.add();
    return false;
  }
  _stats.tcp_segments_out.add();
  if (length > 0) {
    _stats.tcp_bytes_out.add(length);
    _stats.listeners[c.listener].bytes_out.add(length);
    c.bytes_out += length;
  }
  if ((length > 0 || (flags & fin) != 0) && seq < c.snd_max) {
    _stats.tcp_retransmitted_segments.add();
  }
  if ((flags & ack) != 0) {
    // Any segment carrying our ACK satisfies a pending or delayed one (RFC 9293 §3.8.6.3).
    c.delayed_ack_at = 0;
    c.segments_unacked = 0;
  }
  return true;
}

void lcore_tcp::send_syn_ack(connection& c, std::uint64_t now_ns) noexcept {
  net::tcp_options options;
  options.mss = _settings.mss;
  if (c.window_scaling) {
    options.window_scale = _settings.window_scale;
  }
  options.sack_permitted = c.sack_permitted;
  if (c.timestamps) {
    options.timestamps = net::tcp_timestamps{now_ms(now_ns), c.ts_recent};
  }
  send_segment(c, c.iss, syn | ack, 0, 0, now_ns, &options);
}

void lcore_tcp::output(connection& c, std::uint64_t now_ns, bool ack_now) noexcept {
  if (c.state == tcp_state::syn_received) {
    return;  // nothing but the SYN-ACK until the handshake completes
  }
  bool sent = false;
  bool blocked = false;  // no buffer or no TX room: retry on a later turn
  const bool may_send_data = c.state == tcp_state::established || c.state == tcp_state::close_wait ||
                             (fin_sent(c.state) && c.snd_nxt - c.snd_una < static_cast<std::int32_t>(c.sendq.size()));
  if (may_send_data && !c.persist) {
    const std::uint16_t mss = effective_mss(c);
    std::uint32_t room = congestion_room(c, now_ns);  // cwnd (loss_recovery.cc)
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
          c.persist = true;
          arm_retransmission_timeout(c, now_ns);
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
      if (!send_segment(c, c.snd_nxt, flags, offset, length, now_ns)) {
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
        sent_new_data(c, length);
      }
      c.snd_nxt += length;
      if (c.snd_nxt > c.snd_max) {
        c.snd_max = c.snd_nxt;
      }
      room -= length;
      sent = true;
      if (c.retransmit_at == 0 || tail_loss_probe_armed(c)) {
        start_retransmit_timer(c, now_ns);  // RFC 8985 §7.2: new data restarts a probe timeout
      }
    }
  }
  // RFC 9293 §3.10.4 CLOSE: FIN once everything queued has been sent; again after a timeout
  // moved SND.NXT back (then SND.NXT + 1 <= SND.MAX).
  const bool all_data_sent = c.snd_nxt - c.snd_una == static_cast<std::int32_t>(c.sendq.size());
  const bool fin_due = c.fin_queued && all_data_sent && !c.persist &&
                       (!fin_sent(c.state) || (c.snd_nxt < c.snd_max && c.state != tcp_state::fin_wait_2 &&
                                               c.state != tcp_state::time_wait));
  if (fin_due && !send_segment(c, c.snd_nxt, fin | ack, 0, 0, now_ns)) {
    blocked = true;
  } else if (fin_due) {
    c.snd_nxt += 1;
    if (c.snd_nxt > c.snd_max) {
      c.snd_max = c.snd_nxt;
    }
    if (c.state == tcp_state::established) {
      c.state = tcp_state::fin_wait_1;  // §3.10.4 ESTABLISHED: "enter FIN-WAIT-1"
    } else if (c.state == tcp_state::close_wait) {
      c.state = tcp_state::last_ack;    // §3.10.4 CLOSE-WAIT: "enter LAST-ACK"
    }
    sent = true;
    if (c.retransmit_at == 0) {
      start_retransmit_timer(c, now_ns);
    }
  }
  // An owed ACK whose SACK blocks did not fit beside the data it rode on goes again alone.
  if (ack_now && (!sent || _sack_cut_for == &c) && !send_segment(c, c.snd_nxt, ack, 0, 0, now_ns)) {
    blocked = true;
  }
  if (blocked && (c.delayed_ack_at == 0 || c.delayed_ack_at > now_ns + 1'000'000)) {
    // A local shortage, not loss: try again within a timer tick (the delayed-ACK deadline runs
    // output() with an ACK), without the back-off of a retransmission timeout; also when a
    // delayed ACK was already due later (it held the data up to delayed_ack_ns, fuzz_tcp_stream).
    c.delayed_ack_at = now_ns + 1'000'000;
  }
  rearm(c);
}

}  // namespace rampart::tcp
