#include "segment_composer.hh"

#include <algorithm>

#include "cookie/syn_cookie.hh"
#include "connection_reassembly.hh"
#include "connection_timers.hh"

namespace rampart::tcp {

namespace {

using net::seq32;
using net::tcp_flag::ack;
using net::tcp_flag::fin;
using net::tcp_flag::rst;

std::uint32_t now_ms(std::uint64_t now_ns) noexcept { return static_cast<std::uint32_t>(now_ns / 1'000'000); }

// Where a fresh segment goes: the lcore's frame sink, or (an active open's SYN while its next
// hop resolves) the resolver's wait queue.
struct fresh_destination {
  net::ipv4_address held_for;  // 0: the sink
  std::uint64_t now_ns = 0;
};

// The one writer of fresh-buffer segments: the buffer is taken first and the fields composed
// only then, so a segment that cannot leave consumes nothing of the connection (a D-SACK block
// stays for the next ACK).
template <class Compose>
bool send_fresh(lcore_state& lcore, connection& c, std::uint32_t offset, std::uint32_t length,
                Compose&& compose_fields, fresh_destination destination = {}) noexcept {
  if (lcore.buffers == nullptr || lcore.sink == nullptr) {
    lcore.stats.tcp_tx_no_buffer.add();
    return false;
  }
  const auto b = lcore.buffers->allocate();
  if (!b) {
    lcore.stats.tcp_tx_no_buffer.add();
    return false;
  }
  const reply_fields fields = compose_fields();
  const std::size_t header_length = segment_header_length(fields);
  if (header_length + length > b->capacity) {
    lcore.buffers->release(b->handle);
    lcore.stats.count_drop(stats::drop_reason::tcp_reply_too_large);
    return false;
  }
  if (length > 0) {
    c.sendq.copy_out(offset, length, b->data + header_length);
  }
  const segment_endpoints endpoints{lcore.settings.local_mac, c.remote_mac,
                                    net::ipv4_address{c.key.local_ip}, net::ipv4_address{c.key.remote_ip},
                                    c.key.local_port, c.key.remote_port};
  packet::tx_offload_request offload;
  packet::buffer frame = *b;
  frame.length = static_cast<std::uint16_t>(write_segment({b->data, b->capacity}, endpoints, fields,
                                                          static_cast<std::uint16_t>(length), lcore.ip_id(),
                                                          lcore.settings.offload, offload));
  if (destination.held_for.value != 0) {
    if (!lcore.resolver->hold(destination.held_for, frame, offload, destination.now_ns)) {
      lcore.stats.tcp_connect_hold_full.add();  // released by the resolver
      return false;
    }
  } else if (!lcore.sink->push(frame, offload)) {
    lcore.buffers->release(b->handle);
    lcore.stats.tcp_tx_staging_full.add();
    return false;
  }
  lcore.stats.tcp_segments_out.add();
  if (length > 0) {
    lcore.stats.tcp_bytes_out.add(length);
    lcore.stats.listeners[c.listener].bytes_out.add(length);
    c.bytes_out += length;
  }
  if ((length > 0 || (fields.flags & fin) != 0) && fields.sequence < c.snd_max) {
    lcore.stats.tcp_retransmitted_segments.add();
  }
  if ((fields.flags & ack) != 0) {
    ack_sent(c);
  }
  if (c.output_timer_kind == output_timer::retry) {
    // A segment left in a fresh buffer: the shortage that held output back is over, and
    // output() re-arms the retry if it holds data back again. (An in-place reply proves
    // nothing about the pool or the TX staging: it keeps the retry.)
    stop_output_timer(c);
  }
  return true;
}

}  // namespace

reply_fields compose_syn(const tcp_settings& settings, const connection& c, std::uint64_t now_ns) noexcept {
  reply_fields r;
  r.sequence = c.iss;
  r.flags = net::tcp_flag::syn;
  // RFC 7323 §2.2: the window of a SYN is not scaled.
  r.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(settings.receive_window, 65535));
  // RFC 9293 §3.7.1 (MSS), RFC 7323 §2.2 and §3.2 (window scale, timestamps with TSecr 0),
  // RFC 2018 §2 (SACK-permitted): everything the server side can use, offered.
  r.options.mss = settings.mss;
  r.options.window_scale = settings.window_scale;
  r.options.sack_permitted = true;
  r.options.timestamps = net::tcp_timestamps{now_ms(now_ns), 0};
  return r;
}

syn_ack_offer offer_of(const connection& c, std::uint64_t now_ns) noexcept {
  std::uint32_t tsval = now_ms(now_ns);
  if (c.iss_is_cookie && c.timestamps) {
    // The TSval carries the options the cookie's ACK needs back, as a cookie SYN-ACK's does
    // (listen_input.cc, choose_backlog_iss). encode_tsval stays at or below the clock and never
    // decreases with it, so retransmissions and the connection's later TSvals are monotonic
    // (RFC 7323 §5.4).
    const cookie::cookie_options options{c.window_scaling ? std::optional<std::uint8_t>{c.snd_wscale} : std::nullopt,
                                         c.sack_permitted, false};
    tsval = cookie::encode_tsval(tsval, options);
  }
  return syn_ack_offer{c.iss, c.rcv_nxt, c.window_scaling, c.sack_permitted, c.timestamps, tsval, c.ts_recent};
}

reply_fields compose(lcore_state& lcore, connection& c, seq32 seq, std::uint8_t flags, std::uint32_t payload_length,
                     event_context& ctx) noexcept {
  reply_fields r;
  r.sequence = seq;
  r.acknowledgment = c.rcv_nxt;
  r.flags = flags;
  if (c.timestamps && (flags & rst) == 0) {
    // RFC 7323 §3.2: every segment of such a connection carries TSopt; TSecr echoes TS.Recent.
    r.options.timestamps = net::tcp_timestamps{now_ms(ctx.now_ns), c.ts_recent};
  }
  if ((flags & ack) != 0) {
    // SACK blocks fit beside the payload within the segment size the peer accepts.
    const std::uint32_t segment_room = std::min(c.peer_mss, lcore.settings.mss);
    add_sack_blocks(lcore, c, r.options, segment_room > payload_length ? segment_room - payload_length : 0, ctx);
  }
  r.window = advertised_window(lcore, c);
  return r;
}

net::seq32 control_sequence(const connection& c) noexcept {
  // Before the handshake completes, SND.WND is not the peer's window yet.
  const bool synchronized = c.state != tcp_state::syn_sent && c.state != tcp_state::syn_received;
  const net::seq32 window_end = c.snd_una + c.snd_wnd;
  return synchronized && c.snd_nxt > window_end ? window_end : c.snd_nxt;
}

std::uint16_t advertised_window(const lcore_state& lcore, connection& c) noexcept {
  // What the app holds back closes the window (stream::retain_buffer); the right edge never
  // moves left (RFC 9293 §3.8.6.2.2: "shrinking the window" is strongly discouraged).
  const std::uint32_t receive_window = lcore.settings.receive_window;
  std::uint32_t window = receive_window > c.rcv_held ? receive_window - c.rcv_held : 0;
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

void ack_sent(connection& c) noexcept {
  c.segments_unacked = 0;
  if (c.output_timer_kind == output_timer::delayed_ack) {
    stop_output_timer(c);
  }
}

packet::verdict reply_in_place(lcore_state& lcore, segment& seg, connection& c, std::uint8_t flags, seq32 seq,
                               event_context& ctx) noexcept {
  const packet::verdict v = write_reply(seg, compose(lcore, c, seq, flags, 0, ctx), lcore.ip_id(), lcore.settings.offload);
  if (v.what == packet::action::transmit && (flags & ack) != 0) {
    ack_sent(c);
  }
  return v;
}

packet::verdict write_syn_ack(lcore_state& lcore, segment& seg, const syn_ack_offer& offer) noexcept {
  return write_reply(seg, compose_syn_ack(lcore.settings, offer), lcore.ip_id(), lcore.settings.offload);
}

bool send_segment(lcore_state& lcore, connection& c, seq32 seq, std::uint8_t flags, std::uint32_t offset,
                  std::uint32_t length, event_context& ctx) noexcept {
  return send_fresh(lcore, c, offset, length, [&]() noexcept { return compose(lcore, c, seq, flags, length, ctx); });
}

next_hop_resolver::status send_syn(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  if (lcore.resolver == nullptr) {
    return next_hop_resolver::status::unreachable;
  }
  const net::ipv4_address peer{c.key.remote_ip};
  const next_hop_resolver::result hop = lcore.resolver->resolve(peer, ctx.now_ns);
  if (hop.what == next_hop_resolver::status::unreachable) {
    return hop.what;
  }
  fresh_destination destination;
  if (hop.what == next_hop_resolver::status::resolved) {
    c.remote_mac = hop.mac;
  } else {
    destination = {peer, ctx.now_ns};
  }
  send_fresh(lcore, c, 0, 0, [&]() noexcept { return compose_syn(lcore.settings, c, ctx.now_ns); }, destination);
  return hop.what;
}

bool send_syn_ack(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  return send_fresh(lcore, c, 0, 0,
                    [&]() noexcept { return compose_syn_ack(lcore.settings, offer_of(c, ctx.now_ns)); });
}

}  // namespace rampart::tcp
