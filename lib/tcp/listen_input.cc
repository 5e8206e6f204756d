// Segments that match no connection: RFC 9293 §3.10.7.1 (CLOSED: the port has no listener) and
// §3.10.7.2 (LISTEN), with SYN cookies (RFC 4987 §3.6) standing in for the listener's queue.
#include "listen_input.hh"

#include <algorithm>

#include "cookie/syn_cookie.hh"
#include "connection_input.hh"
#include "connection_lifetime.hh"
#include "connection_output.hh"
#include "connection_timers.hh"
#include "segment_composer.hh"
#include "state_transition.hh"

namespace rampart::tcp {

namespace {

using net::tcp_flag::ack;
using net::tcp_flag::rst;
using net::tcp_flag::syn;
using stats::drop_reason;

cookie::four_tuple tuple_of(const segment& seg) noexcept {
  return {seg.key.remote_ip, seg.key.local_ip, seg.key.remote_port, seg.key.local_port};
}

stats::listener_stats& counters_of(lcore_state& lcore, const segment& seg) noexcept {
  return lcore.stats.listeners[*lcore.listeners.listener_of(seg.tcp.destination_port)];
}

// What seg's SYN cookie covers (RFC 4987 §3.6). The options are set iff the SYN carried
// Timestamps, whose TSecr brings them back (syn_cookie.hh); without Timestamps a cookie keeps
// only the MSS. Built in one place and read from there: copying a std::optional<cookie_options>
// from a helper into the fields went through the stack byte by byte and was read back whole, a
// store-to-load forward that failed on every SYN (perf/bench/tcp/stream_bench, BM_syn_flood).
cookie::syn_fields syn_fields_of(const segment& seg) noexcept {
  cookie::syn_fields fields{tuple_of(seg), seg.tcp.sequence.raw(), seg.options.mss.value_or(0), std::nullopt};
  if (seg.options.timestamps) {
    // rampart does not negotiate ECN (RFC 3168), so the cookie always carries false.
    fields.timestamp_options.emplace(cookie::cookie_options{seg.options.window_scale, seg.options.sack_permitted, false});
  }
  return fields;
}

// A backlog entry's ISS: the cookie the stateless path would have sent, so that the client's ACK
// still opens the connection when it finds no entry -- rampart restarted in between (with cookie
// keys derived from the same master secret), or the entry expired -- as FreeBSD's syncache does
// with syncookies on. Its SYN-ACK then carries the cookie's TSval too (offer_of), and the
// engine's stop drops the entry without a RST (lcore_tcp::shutdown).
// RFC 6528 asks of an ISN that nobody off the path can predict it, so it cannot be used for blind
// injection: its §3 F() is a keyed hash of the 4-tuple, which the cookie is too (SipHash-2-4
// under a secret key, over the 4-tuple, the client's ISN and a clock). 24 of the cookie's 32 bits
// are unpredictable, against 32 for the RFC 6528 ISN: the compromise every cookie SYN-ACK makes
// already (docs/syncookies.md, "Bit layout"), with RFC 5961's challenge ACKs beside it. The
// cookie's clock is coarser than §3's timer M (its top 6 bits count 16 s ticks and wrap every 17
// minutes); RFC 6191 makes that harmless for a TIME-WAIT's new incarnation when the client sends
// Timestamps, as nearly all clients that get a cookie ISS do.
// The RFC 6528 ISN stays where a cookie cannot stand for the entry: in mode off (no ACK is ever
// checked as a cookie), without the epoch's key, and for a SYN without Timestamps offering window
// scale or SACK-permitted, which the backlog grants and such a cookie cannot carry: opened from
// it, the connection would disagree with the client on every window (that client's handshake
// does not survive a restart: docs/operations.md, "rampart itself restarts").
void choose_backlog_iss(const lcore_state& lcore, const segment& seg, connection& c, std::uint64_t now_ns) noexcept {
  const cookie::syn_fields fields = syn_fields_of(seg);
  const bool cookie_holds_all =
      fields.timestamp_options || (!seg.options.window_scale && !seg.options.sack_permitted);
  if (lcore.settings.cookies != cookie_mode::off && cookie_holds_all) {
    if (const auto isn = cookie::make_syn_cookie(fields, now_ns, lcore.keys)) {
      c.iss = net::seq32{*isn};
      c.iss_is_cookie = true;
      return;
    }
  }
  c.iss = net::seq32{initial_sequence(lcore, seg.key, now_ns)};
}

packet::verdict answer_syn(lcore_state& lcore, segment& seg, event_context& ctx) noexcept;
packet::verdict open_from_cookie(lcore_state& lcore, segment& seg, event_context& ctx) noexcept;
// The connection of a verified cookie: IRS = irs (RCV.NXT = irs + 1), the options the cookie
// restores, TS.Recent = ts_recent, SND.* from SEG.ACK; then seg's data, FIN or hole goes to
// connection_input. RST when the table is full (counted).
packet::verdict open_accepted_cookie(lcore_state& lcore, segment& seg, const cookie::accepted_cookie& accepted,
                                     net::seq32 irs, std::uint32_t ts_recent, event_context& ctx) noexcept;

}  // namespace

packet::verdict listen_input(lcore_state& lcore, segment& seg, event_context& ctx) noexcept {
  const bool listened = lcore.listeners.listens(seg.tcp.destination_port);
  const std::uint8_t control = seg.tcp.flags & (syn | ack | rst);

  // §3.10.7.1/2 "first, check for a RST": an incoming RST is never answered (no RST storms).
  if ((control & rst) != 0) {
    return packet::dropped(drop_reason::tcp_rst_no_connection);
  }
  if (!listened) {
    // §3.10.7.1 CLOSED: "a reset is sent in response to any incoming segment except another reset".
    return answer_with_reset(lcore, seg, ctx);
  }
  switch (control) {
    case syn:
      if (lcore.draining) {
        counters_of(lcore, seg).refused.add();
        return packet::dropped(drop_reason::tcp_draining);  // the engine is stopping (set_draining)
      }
      // §3.10.7.2 "third, check for a SYN": answer <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
      return answer_syn(lcore, seg, ctx);
    case ack:
      // §3.10.7.2 "second, check for an ACK" -- except that with cookies an ACK to the listener
      // may complete a handshake whose SYN left no state (RFC 4987 §3.6).
      return open_from_cookie(lcore, seg, ctx);
    case syn | ack: {
      // §3.10.7.2: "Any acknowledgment is bad if it arrives on a connection still in the LISTEN
      // state. An acceptable reset segment should be formed ... <SEQ=SEG.ACK><CTL=RST>".
      return answer_with_reset(lcore, seg, ctx);
    }
    default:
      // §3.10.7.2 "fourth, other data or control": "drop the segment and return" (FIN, URG,
      // PSH or no flag at all: scans).
      return packet::dropped(drop_reason::tcp_no_syn_or_ack);
  }
}

packet::verdict answer_with_reset(lcore_state& lcore, segment& seg, event_context& ctx) noexcept {
  // Every RST here answers a segment nobody authenticated: a forged-cookie ACK flood or a scan of
  // closed ports with spoofed sources would otherwise be reflected one for one. The per-lcore
  // budget bounds that; a peer whose connection we lost then waits for its own timeout instead
  // of learning at once (docs/tcp.md, "Replies to unauthenticated segments").
  if (!lcore.rst_budget.take(ctx.now_ns)) {
    return packet::dropped(drop_reason::tcp_rst_rate_limited);
  }
  const packet::verdict v = write_reply(seg, reset_for(seg), lcore.ip_id(), lcore.settings.offload);
  if (v.what == packet::action::transmit) {
    lcore.stats.tcp_rst_sent.add();
  }
  return v;
}

namespace {

// A stateful half-open entry for seg's SYN, every option kept (RFC 9293 §3.10.7.2: "Set RCV.NXT
// to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected"), in SYN-RECEIVED with its
// SYN-ACK's retransmission and its expiry armed; nullptr when the table is full.
connection* enter_backlog(lcore_state& lcore, const segment& seg, event_context& ctx) noexcept {
  const tcp_settings& settings = lcore.settings;
  const std::uint64_t now_ns = ctx.now_ns;
  connection* entry = insert(lcore, seg, now_ns);
  if (entry == nullptr) {
    return nullptr;
  }
  connection& c = *entry;
  choose_backlog_iss(lcore, seg, c, now_ns);
  c.snd_una = c.iss;
  c.snd_nxt = c.iss + 1;
  c.snd_max = c.snd_nxt;
  c.irs = seg.tcp.sequence;
  c.rcv_nxt = c.irs + 1;  // SYN data is not acknowledged: see the comment on cookies in answer_syn
  c.rcv_adv = c.rcv_nxt + std::min<std::uint32_t>(settings.receive_window, 65535);
  c.peer_mss = seg.announced_mss();
  if (seg.options.window_scale) {
    c.window_scaling = true;
    c.snd_wscale = *seg.options.window_scale;
    c.rcv_wscale = settings.window_scale;
  }
  c.sack_permitted = seg.options.sack_permitted;
  if (seg.options.timestamps) {
    c.timestamps = true;
    c.ts_recent = seg.options.timestamps->value;
  }
  c.snd_wnd = seg.tcp.window;  // RFC 7323 §2.2: a SYN's window is never scaled
  // The SYN-ACK is retransmitted from the initial RTO on (RFC 6298 §2.1, connection_timers.cc)
  // until the entry expires.
  arm_send_timer(c, send_timer::retransmission, now_ns + std::uint64_t{settings.rto.initial_us} * 1000);
  arm_lifetime_timer(c, lifetime_timer::syn_backlog, now_ns + settings.backlog_timeout_ns);
  set_state(lcore, c, tcp_state::syn_received, ctx);
  rearm(lcore, c);
  return &c;
}

packet::verdict answer_syn(lcore_state& lcore, segment& seg, event_context& ctx) noexcept {
  const tcp_settings& settings = lcore.settings;
  const std::uint64_t now_ns = ctx.now_ns;
  lcore.stats.tcp_syn_received.add();
  if (!syncookies_in_force(lcore) && lcore.backlog_size < settings.backlog_capacity) {
    if (const connection* entry = enter_backlog(lcore, seg, ctx)) {
      lcore.stats.tcp_syn_backlog_used.add();
      return write_syn_ack(lcore, seg, offer_of(*entry, now_ns));
    }
    lcore.stats.tcp_table_full_refusals.add();  // the connection table itself is full
  }
  // No room in the backlog (or the table): mode off has nothing else to offer; auto falls back
  // to a cookie (whose ACK meets a full table too, unless a connection closes meanwhile).
  if (settings.cookies == cookie_mode::off) {
    counters_of(lcore, seg).refused.add();
    return packet::dropped(drop_reason::tcp_syn_backlog_full);
  }

  // Stateless: the ISN is the cookie. Without Timestamps the cookie has no room for window scale
  // and SACK-permitted, so the SYN-ACK offers neither (as Linux does): offering them and then
  // forgetting the client's shift would make the two ends disagree on every window.
  const cookie::syn_fields fields = syn_fields_of(seg);
  const auto isn = cookie::make_syn_cookie(fields, now_ns, lcore.keys);
  if (!isn) {
    return packet::dropped(drop_reason::tcp_syn_no_cookie_key);
  }
  syn_ack_offer offer;  // not stored: the cookie carries what the ACK needs back
  offer.iss = net::seq32{*isn};
  // A SYN carrying data: the cookie cannot queue it, so RCV.NXT stays SEG.SEQ+1 and the data is
  // left unacknowledged; the client sends it again after the handshake (RFC 9293 §3.10.7.2
  // allows queueing it, it does not require it).
  offer.rcv_nxt = seg.tcp.sequence + 1;
  if (fields.timestamp_options) {
    offer.timestamps = true;
    offer.tsval = cookie::encode_tsval(static_cast<std::uint32_t>(now_ns / 1'000'000), *fields.timestamp_options);
    offer.tsecr = seg.options.timestamps->value;
    offer.window_scaling = seg.options.window_scale.has_value();
    offer.sack_permitted = seg.options.sack_permitted;
  }
  // Kept so that a segment overtaking this handshake's ACK can be checked (open_from_cookie).
  lcore.cookie_memory.record(seg.hash, {seg.tcp.sequence.raw(), seg.options.timestamps ? seg.options.timestamps->value : 0});
  lcore.stats.tcp_syncookies_sent.add();
  return write_syn_ack(lcore, seg, offer);
}

packet::verdict open_from_cookie(lcore_state& lcore, segment& seg, event_context& ctx) noexcept {
  const std::uint64_t now_ns = ctx.now_ns;
  // §3.10.7.2: an ACK to LISTEN gets <SEQ=SEG.ACK><CTL=RST>.
  const auto refuse = [&]() noexcept { return answer_with_reset(lcore, seg, ctx); };
  if (lcore.settings.cookies == cookie_mode::off) {
    return refuse();  // no cookies were sent: any ACK to the listener is bad
  }
  // RFC 4987 §3.6: the handshake's ACK (or the first data segment) returns the cookie as
  // SEG.ACK - 1 and the client's ISN as SEG.SEQ - 1.
  cookie::ack_fields fields{tuple_of(seg), (seg.tcp.acknowledgment - 1).raw(), (seg.tcp.sequence - 1).raw(),
                            std::nullopt};
  if (seg.options.timestamps) {
    fields.tsecr = seg.options.timestamps->echo_reply;
  }
  // Counted once per verified cookie. A cookie verified while auto mode answers SYNs from the
  // backlog was most likely a backlog entry's ISS (choose_backlog_iss) whose entry is gone.
  const auto count_validated = [&]() noexcept {
    lcore.stats.tcp_syncookies_validated.add();
    if (lcore.settings.cookies == cookie_mode::auto_mode && !syncookies_in_force(lcore)) {
      lcore.stats.tcp_syncookies_entry_lost.add();
    }
  };
  const cookie::check_result checked = cookie::check_syn_cookie(fields, now_ns, lcore.keys);
  if (checked) {
    count_validated();
    // RFC 7323 §4.3: this segment is at RCV.NXT, so its TSval is TS.Recent.
    return open_accepted_cookie(lcore, seg, checked.value(), seg.tcp.sequence - 1,
                                seg.options.timestamps ? seg.options.timestamps->value : 0, ctx);
  }
  if (checked.error() == cookie::cookie_error::bad_hash) {
    // A later segment of the client's first flight that overtook the ACK: SEG.SEQ - 1 is not its
    // ISN. The ISN remembered from its SYN, if any, is only a candidate: the cookie must verify
    // with it, so nothing opens without a cookie that came back from our SYN-ACK. The segment
    // must also lie in the window that SYN-ACK offered, min(receive_window, 65535) unscaled
    // (RFC 7323 §2.2), after the ISN + 1 the ACK would have carried.
    if (const auto syn = lcore.cookie_memory.lookup(seg.hash)) {
      const net::seq32 rcv_nxt = net::seq32{syn->client_isn} + 1;
      const std::uint32_t window = std::min<std::uint32_t>(lcore.settings.receive_window, 65535);
      if (seg.tcp.sequence > rcv_nxt && seg.tcp.sequence < rcv_nxt + window) {
        fields.client_isn = syn->client_isn;
        const cookie::check_result again = cookie::check_syn_cookie(fields, now_ns, lcore.keys);
        if (again) {
          count_validated();
          lcore.stats.tcp_syncookies_reordered.add();
          // RFC 7323 §4.3: TS.Recent comes only from a segment at or below Last.ACK.sent, which
          // this one is not; it is the SYN's TSval until the ACK or first segment arrives, so
          // PAWS (§5.3) lets them in when they do.
          return open_accepted_cookie(lcore, seg, again.value(), net::seq32{syn->client_isn}, syn->syn_tsval, ctx);
        }
      }
    }
  }
  switch (checked.error()) {
    case cookie::cookie_error::bad_hash:
      lcore.stats.tcp_cookie_bad_hash.add();
      break;
    case cookie::cookie_error::expired:
      lcore.stats.tcp_cookie_expired.add();
      break;
    case cookie::cookie_error::future:
      lcore.stats.tcp_cookie_future.add();
      break;
    case cookie::cookie_error::no_key:
      lcore.stats.tcp_cookie_no_key.add();
      break;
  }
  return refuse();
}

packet::verdict open_accepted_cookie(lcore_state& lcore, segment& seg, const cookie::accepted_cookie& accepted,
                                     net::seq32 irs, std::uint32_t ts_recent, event_context& ctx) noexcept {
  connection* opened = insert(lcore, seg, ctx.now_ns);
  if (opened == nullptr) {
    // Refuse cleanly: the client learns at once instead of retransmitting into a full table.
    lcore.stats.tcp_table_full_refusals.add();
    counters_of(lcore, seg).refused.add();
    return answer_with_reset(lcore, seg, ctx);
  }
  connection& c = *opened;
  c.iss = seg.tcp.acknowledgment - 1;
  c.snd_una = seg.tcp.acknowledgment;
  c.snd_nxt = seg.tcp.acknowledgment;
  c.snd_max = seg.tcp.acknowledgment;
  // RFC 9293 §3.10.7.2: "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ" of the SYN.
  c.irs = irs;
  c.rcv_nxt = irs + 1;
  // The cookie's SYN-ACK offered min(receive_window, 65535), unscaled (RFC 7323 §2.2).
  c.rcv_adv = c.rcv_nxt + std::min<std::uint32_t>(lcore.settings.receive_window, 65535);
  c.peer_mss = accepted.mss;
  if (accepted.timestamp_options) {
    const cookie::cookie_options& o = *accepted.timestamp_options;
    if (o.window_scale) {
      c.window_scaling = true;
      c.snd_wscale = *o.window_scale;
      c.rcv_wscale = lcore.settings.window_scale;
    }
    c.sack_permitted = o.sack_permitted;
    c.timestamps = true;
    c.ts_recent = ts_recent;
  }
  // RFC 7323 §2.2: windows after the SYNs are scaled.
  c.snd_wnd = std::uint32_t{seg.tcp.window} << c.snd_wscale;
  c.snd_wl1 = seg.tcp.sequence;
  c.snd_wl2 = seg.tcp.acknowledgment;
  if (!establish(lcore, c, ctx)) {
    return packet::consumed();  // the app aborted in on_open
  }
  // The segment may carry data or a FIN already, at RCV.NXT or beyond a hole (an overtaking
  // segment: queued, answered by a duplicate ACK): hand the rest of it to the state machine.
  if (seg.payload_length > 0 || seg.has(net::tcp_flag::fin)) {
    return connection_input(lcore, c, seg, ctx);
  }
  output(lcore, c, false, ctx);  // what the app sent in on_open
  return packet::consumed();
}

}  // namespace

}  // namespace rampart::tcp
