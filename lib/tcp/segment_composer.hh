#pragma once
// What our segments say, put together in one place: the fields of every segment a connection
// sends (compose; SYN-ACKs: compose_syn_ack), and the two ways they leave. In place, over the
// frame of the segment they answer (one frame in, one frame out: nothing allocates on the SYN
// flood's path); or in a fresh buffer to the lcore's frame sink. Every segment carrying our ACK
// goes through ack_sent, whichever way it leaves.
#include <algorithm>
#include <cstdint>

#include "net/seq32.hh"
#include "packet/frame.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "reply.hh"
#include "segment.hh"

namespace rampart::tcp {

// What a SYN-ACK says beyond the settings: a half-open entry's fields (offer_of), or a cookie's,
// which has no entry (building a whole connection for it cost about 20 instructions a SYN).
struct syn_ack_offer {
  net::seq32 iss;
  net::seq32 rcv_nxt;
  bool window_scaling = false;  // offer our window scale (the SYN offered one)
  bool sack_permitted = false;
  bool timestamps = false;
  std::uint32_t tsval = 0;      // our TSval when timestamps
  std::uint32_t tsecr = 0;      // the SYN's TSval
};
syn_ack_offer offer_of(const connection& c, std::uint64_t now_ns) noexcept;

// <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> with MSS, and window scale, SACK-permitted and timestamps
// where the SYN offered them (RFC 7323 §2.2, RFC 2018 §2); its window is never scaled. Inline: it
// is on the SYN flood's path, and as a call it cost 16 instructions a SYN (BM_syn_flood).
inline reply_fields compose_syn_ack(const tcp_settings& settings, const syn_ack_offer& offer) noexcept {
  reply_fields r;
  r.sequence = offer.iss;
  r.acknowledgment = offer.rcv_nxt;
  r.flags = net::tcp_flag::syn | net::tcp_flag::ack;
  // RFC 7323 §2.2: the window of a SYN-ACK is not scaled.
  r.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(settings.receive_window, 65535));
  r.options.mss = settings.mss;
  // RFC 7323 §2.2 / RFC 2018 §2: offer window scale and SACK only to a SYN that offered them.
  if (offer.window_scaling) {
    r.options.window_scale = settings.window_scale;
  }
  r.options.sack_permitted = offer.sack_permitted;
  if (offer.timestamps) {
    // RFC 7323 §3.2: TSecr echoes the SYN's TSval.
    r.options.timestamps = net::tcp_timestamps{offer.tsval, offer.tsecr};
  }
  return r;
}

// An active open's <SEQ=ISS><CTL=SYN>, offering MSS, window scale, SACK-permitted and timestamps.
reply_fields compose_syn(const tcp_settings& settings, const connection& c, std::uint64_t now_ns) noexcept;

// <SEQ=seq><ACK=RCV.NXT><CTL=flags> of a synchronized connection with `payload_length` data
// octets: the window we advertise, TSopt once negotiated (RFC 7323 §3.2; not on a RST), and on an
// ACK as many SACK and D-SACK blocks as fit beside the payload (connection_reassembly.hh).
reply_fields compose(lcore_state& lcore, connection& c, net::seq32 seq, std::uint8_t flags,
                     std::uint32_t payload_length, event_context& ctx) noexcept;

// The sequence number of a segment that carries no data (an ACK, a RST): SND.NXT, unless that
// lies beyond the peer's window, as it does once a zero-window probe's byte went out (RFC 9293
// §3.8.6.1): then the window's right edge, SND.UNA + SND.WND. A peer whose window is zero accepts
// a segment only at RCV.NXT (§3.10.7.4, acceptability with RCV.WND = 0) and drops the rest with
// the ACK and window they carry (Linux 6.18, its receive queue not empty, drops the probe whole
// too: its byte lies beyond the window). At SND.NXT, nothing we sent would tell such a peer that
// its data arrived: it retransmits for ever while its own window stays shut, as a Linux echo
// server blocked in send() does (Linux's own ACKs use tcp_acceptable_seq, this rule).
net::seq32 control_sequence(const connection& c) noexcept;

// The window field for c (RFC 9293 §3.8.6.2.2: its right edge never moves left), raising
// RCV.ADV to what it advertises.
std::uint16_t advertised_window(const lcore_state& lcore, connection& c) noexcept;

// A segment carrying our ACK left, in place or fresh: it satisfies a delayed one (RFC 9293
// §3.8.6.3).
void ack_sent(connection& c) noexcept;

// In place: compose(seq, flags) over seg's frame (an ACK answering it: challenge, duplicate,
// out-of-window). The verdict is write_reply's.
packet::verdict reply_in_place(lcore_state& lcore, segment& seg, connection& c, std::uint8_t flags, net::seq32 seq,
                               event_context& ctx) noexcept;
// In place: the SYN-ACK of `offer` over the SYN's frame (cookie or backlog entry).
packet::verdict write_syn_ack(lcore_state& lcore, segment& seg, const syn_ack_offer& offer) noexcept;

// Fresh buffer: compose(seq, flags) with `length` bytes of the send queue from `offset` (bytes
// after SND.UNA). False when no buffer or no sink room (counted: tcp_tx_no_buffer,
// tcp_tx_staging_full, tcp_reply_too_large); then nothing changed.
bool send_segment(lcore_state& lcore, connection& c, net::seq32 seq, std::uint8_t flags, std::uint32_t offset,
                  std::uint32_t length, event_context& ctx) noexcept;
// Fresh buffer: an active open's SYN (first or again), to the next hop the resolver names: sent
// when it is resolved (remote_mac set), held by the resolver while it is pending, not built when
// it is unreachable (the caller fails the connection). A SYN that found no buffer is lost like
// any other: the retransmission timer sends it again.
next_hop_resolver::status send_syn(lcore_state& lcore, connection& c, event_context& ctx) noexcept;
// Fresh buffer: a backlog entry's SYN-ACK again (its retransmission timer fired).
bool send_syn_ack(lcore_state& lcore, connection& c, event_context& ctx) noexcept;

}  // namespace rampart::tcp
