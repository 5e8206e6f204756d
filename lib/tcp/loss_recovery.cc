// Loss recovery and the congestion window, per ACK and per timeout:
//   - cwnd from the listener's congestion control (congestion_control.hh), starting at the
//     initial window of RFC 6928; output() sends at most min(cwnd, peer window) beyond SND.UNA
//   - limited transmit (RFC 3042): the first two duplicate ACKs each let one new segment out
//   - without SACK, NewReno (RFC 6582): fast retransmit on the third duplicate ACK, cwnd
//     inflation per further duplicate, a retransmission per partial ACK with deflation, exit on
//     the ACK of everything sent before the loss (cwnd = min(ssthresh, FlightSize + SMSS))
//   - with SACK negotiated, RFC 6675: a scoreboard (sack_scoreboard.hh) from the peer's blocks,
//     recovery on the third duplicate ACK or once IsLost(SND.UNA), then NextSeg/pipe decide what
//     leaves: lost segments first, new data, then other unSACKed holes
//   - a retransmission timeout (RFC 5681 §3.1, RFC 6298 §5): ssthresh from FlightSize, cwnd one
//     segment, recovery and SACK information dropped (RFC 2018 §8), go-back-N by the caller
//   - D-SACK (RFC 2883 §4): a block below the cumulative ACK reports a duplicate; one for data
//     sent before the last recovery point, after a retransmission, is a spurious retransmission
//     (counted; cwnd is not restored)
//   - tail loss probes (RFC 8985 §7, with SACK): when no ACK comes for the probe timeout, the
//     next new segment, or the last one again, goes before the RTO would; the ACKs it draws
//     (SACK) start fast recovery, or acknowledge a repaired tail
// and the send budget's waiting list (send_budget.hh).
#include "loss_recovery.hh"

#include <algorithm>

#include "app_calls.hh"
#include "connection_output.hh"
#include "connection_timers.hh"
#include "segment_composer.hh"

namespace rampart::tcp {

namespace {

using net::seq32;

// connection::recovery bits.
namespace recovery_flag {
inline constexpr std::uint8_t active = 1U << 0;         // in fast recovery (NewReno or SACK)
inline constexpr std::uint8_t sack = 1U << 1;           // ... driven by the scoreboard (RFC 6675)
inline constexpr std::uint8_t retransmitted = 1U << 2;  // a segment was sent again since the last loss
inline constexpr std::uint8_t budget_wait = 1U << 3;    // in the send budget's waiting list
}  // namespace recovery_flag

// RFC 8985 §7.2: WCDelAckT, the worst case of the peer's delayed ACK, added to the probe
// timeout when one segment is in flight (its ACK may be the one the peer delays).
constexpr std::uint64_t worst_case_delayed_ack_ns = 200'000'000;
// Linux's floor for the probe timeout: a probe within 10 ms of the last send is more likely
// ahead of an ACK than of a loss, whatever SRTT says.
constexpr std::uint64_t min_probe_timeout_ns = 10'000'000;

bool has(const connection& c, std::uint8_t flag) noexcept { return (c.recovery & flag) != 0; }

std::uint32_t now_ms(std::uint64_t now_ns) noexcept { return static_cast<std::uint32_t>(now_ns / 1'000'000); }

// States in which our data can be in flight and ACKs matter to it.
bool sending_state(tcp_state state) noexcept {
  switch (state) {
    case tcp_state::established:
    case tcp_state::fin_wait_1:
    case tcp_state::close_wait:
    case tcp_state::closing:
    case tcp_state::last_ack:
      return true;
    case tcp_state::syn_sent:
    case tcp_state::syn_received:
    case tcp_state::fin_wait_2:
    case tcp_state::time_wait:
    case tcp_state::closed:
      return false;
  }
  return false;
}

void retransmit_head(lcore_state& lcore, connection& c, std::uint32_t mss, event_context& ctx) noexcept {
  // The first unacknowledged segment (or our FIN, when only it is outstanding).
  const std::uint32_t length =
      std::min({mss, static_cast<std::uint32_t>(c.snd_max - c.snd_una), c.sendq.size()});
  const bool fin_only = length == 0 && c.fin_queued && c.snd_una != c.snd_max;
  if (length == 0 && !fin_only) {
    return;
  }
  const std::uint8_t flags = fin_only ? static_cast<std::uint8_t>(net::tcp_flag::ack | net::tcp_flag::fin) : net::tcp_flag::ack;
  if (send_segment(lcore, c, c.snd_una, flags, 0, length, ctx)) {
    lcore.stats.tcp_fast_retransmits.add();
    c.recovery |= recovery_flag::retransmitted;
    c.timing_rtt = false;  // Karn: the timed segment may be the one sent again
  }
}

void in_recovery_ack(lcore_state& lcore, connection& c, std::uint32_t acked, bool duplicate, std::uint32_t mss,
                     event_context& ctx) noexcept {
  if (c.snd_una >= c.cc.recover) {
    // Recovery ends with the ACK of everything sent before it began. NewReno (RFC 6582 §3.2
    // step 3, option 1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS); SACK: cwnd was
    // never inflated and stays ssthresh.
    if (!has(c, recovery_flag::sack)) {
      const auto flight = static_cast<std::uint32_t>(c.snd_max - c.snd_una);
      c.cc.cwnd = std::min(c.cc.ssthresh, std::max(flight, mss) + mss);
    }
    c.recovery &= static_cast<std::uint8_t>(~(recovery_flag::active | recovery_flag::sack));
    c.dupacks = 0;
  } else if (has(c, recovery_flag::sack)) {
    // RFC 6675 §5 (C): output() sends what NextSeg picks while cwnd - pipe >= 1 SMSS.
  } else if (acked > 0) {
    // RFC 6582 §3.2 step 5, partial ACK: retransmit the first unacknowledged segment, deflate
    // cwnd by the amount acknowledged, add back one SMSS when that was at least one SMSS.
    retransmit_head(lcore, c, mss, ctx);
    c.cc.cwnd = std::max(c.cc.cwnd > acked ? c.cc.cwnd - acked : 0U, mss) + (acked >= mss ? mss : 0U);
  } else if (duplicate) {
    c.cc.cwnd += mss;  // step 4: inflate by one segment per further duplicate ACK
  }
}

void enter_recovery(lcore_state& lcore, connection& c, sack_scoreboard* board, std::uint32_t mss, event_context& ctx) noexcept {
  // RFC 6582 §3.2 step 2, RFC 6675 §5: on the DupThresh-th duplicate ACK, or with SACK once the
  // first unacknowledged segment IsLost; not for losses of data sent before the last recovery
  // point (the caller checks the ACK against "recover": an RTO or a recovery already saw them).
  const auto flight = static_cast<std::uint32_t>(c.snd_max - c.snd_una);
  lcore.stats.tcp_recovery_episodes.add();
  c.cc.recover = c.snd_max;
  congestion_control(lcore.listener_of(c).congestion).on_loss(c.cc, flight, mss);
  c.recovery |= recovery_flag::active;
  if (board != nullptr) {
    c.recovery |= recovery_flag::sack;
    board->probe_open = false;  // RFC 8985 §7.4: fast recovery makes the congestion response
    board->high_rxt = c.snd_una;
  } else {
    c.cc.cwnd += sack_scoreboard::dup_thresh * mss;  // RFC 6582 step 2 / RFC 5681 §3.2 step 3
  }
  retransmit_head(lcore, c, mss, ctx);  // the fast retransmit
  if (board != nullptr) {
    board->high_rxt = c.snd_una + std::min<std::uint32_t>(mss, static_cast<std::uint32_t>(c.snd_max - c.snd_una));
  }
}

bool may_probe_tail(const lcore_state& lcore, const connection& c) noexcept {
  // RFC 8985 §7.2: only with SACK (the probe's ACK must be able to say what arrived), an RTT
  // sample, data in flight and none of it sent again yet (not in recovery, no timeout since the
  // last progress, not probing a zero window), and no probe episode open. Before our FIN: a
  // closing connection's tail is left to the RTO.
  return lcore.settings.tail_loss_probe && c.sack_permitted && c.rtt.srtt_us() != 0 &&
         c.send_timer_kind != send_timer::persist && c.retries == 0 &&
         !has(c, recovery_flag::active) && c.snd_una != c.snd_max && c.snd_nxt == c.snd_max &&
         (c.state == tcp_state::established || c.state == tcp_state::close_wait) &&
         (c.scoreboard == no_scoreboard || !lcore.scoreboards[c.scoreboard].probe_open);
}

void tail_loss_probe_ack(lcore_state& lcore, connection& c, sack_scoreboard& board, seq32 ack, bool dsack) noexcept {
  // RFC 8985 §7.4.2, once an ACK reaches TLP.end_seq: a probe of new data repaired nothing; a
  // D-SACK says the original and the probe both arrived; a retransmitted probe acknowledged
  // without one repaired a loss, which gets the congestion response of a fast recovery. The RFC
  // waits past an ACK of exactly TLP.end_seq for a D-SACK that may follow; here the episode
  // ends at once, because it holds a scoreboard and a tail is usually followed by silence: a
  // peer could keep every board of the lcore by acknowledging probes and going idle. The price:
  // a cwnd reduction when the original's ACK was only late.
  if (ack < board.probe_end) {
    return;
  }
  board.probe_open = false;
  if (board.probe_retransmission && !dsack) {
    lcore.stats.tcp_loss_probe_recoveries.add();
    // From cwnd, not FlightSize: by now the tail is acknowledged and little is in flight (as
    // Linux's CWR reduction after a probe; cwnd only grows while the flight fills it).
    congestion_control(lcore.listener_of(c).congestion).on_loss(c.cc, c.cc.cwnd, effective_mss(lcore, c));
  }
}

}  // namespace

void start_congestion_control(const lcore_state& lcore, connection& c) noexcept {
  congestion_start(c.cc, effective_mss(lcore, c), lcore.settings.initial_window);
  c.cc.recover = c.snd_una;  // RFC 6582 §3.2 step 1: "recover" starts at the initial send sequence
}

void drop_scoreboard(lcore_state& lcore, connection& c) noexcept {
  if (c.scoreboard != no_scoreboard) {
    lcore.scoreboards.release(c.scoreboard);
    c.scoreboard = no_scoreboard;
  }
  c.recovery &= static_cast<std::uint8_t>(~recovery_flag::sack);
}

void loss_recovery_close(lcore_state& lcore, connection& c) noexcept {
  drop_scoreboard(lcore, c);
  if (c.cc.cwnd != 0) {
    lcore.stats.tcp_cwnd_at_close_segments.add(c.cc.cwnd / effective_mss(lcore, c));
    lcore.stats.tcp_cwnd_at_close_samples.add();
  }
}

void loss_recovery_ack(lcore_state& lcore, connection& c, const segment& seg, seq32 prior_una, std::uint32_t prior_wnd,
                       event_context& ctx) noexcept {
  const std::uint64_t now_ns = ctx.now_ns;
  if (!sending_state(c.state) || c.cc.cwnd == 0) {
    return;
  }
  const std::uint32_t mss = effective_mss(lcore, c);
  const seq32 ack = seg.tcp.acknowledgment;
  const auto acked = ack > prior_una ? static_cast<std::uint32_t>(ack - prior_una) : 0U;

  // The peer's SACK blocks (RFC 2018), only when SACK was negotiated.
  bool sack_news = false;
  bool dsack = false;
  const auto blocks = seg.options.sacks();
  if (c.sack_permitted && !blocks.empty()) {
    lcore.stats.tcp_sack_blocks_received.add(blocks.size());
    // RFC 2883 §4: a first block below the cumulative ACK, or inside the second block, reports
    // data received twice.
    const seq32 first_left = blocks[0].left;
    const seq32 first_right = blocks[0].right;
    dsack = first_right <= ack ||
            (blocks.size() > 1 && blocks[1].left <= first_left && first_right <= blocks[1].right);
    if (dsack && first_left < first_right) {
      lcore.stats.tcp_dsacks_received.add();
      if (has(c, recovery_flag::retransmitted) && first_right <= c.cc.recover) {
        lcore.stats.tcp_spurious_retransmits.add();
        c.recovery &= static_cast<std::uint8_t>(~recovery_flag::retransmitted);
      }
    }
    if (c.scoreboard == no_scoreboard) {
      if (const auto index = lcore.scoreboards.acquire(c.snd_una)) {
        c.scoreboard = *index;
      } else {
        lcore.stats.tcp_sack_scoreboard_full.add();  // recovery falls back to NewReno
      }
    }
    if (c.scoreboard != no_scoreboard) {
      sack_scoreboard& board = lcore.scoreboards[c.scoreboard];
      board.advance(c.snd_una);
      for (std::size_t i = dsack ? 1 : 0; i < blocks.size(); ++i) {
        sack_news |= board.add(blocks[i].left, blocks[i].right, c.snd_una, c.snd_max);
      }
    }
  } else if (c.scoreboard != no_scoreboard) {
    lcore.scoreboards[c.scoreboard].advance(c.snd_una);
  }
  sack_scoreboard* board = c.scoreboard == no_scoreboard ? nullptr : &lcore.scoreboards[c.scoreboard];
  // The probe reported: SACKed, or D-SACKed (it sent the last segment again, which had arrived).
  const bool probe_reported = board != nullptr && board->probe_open && ack < board->probe_end &&
                              (board->highest_sacked(c.snd_una) >= board->probe_end ||
                               (dsack && blocks[0].right == board->probe_end));
  if (board != nullptr && board->probe_open) {
    tail_loss_probe_ack(lcore, c, *board, ack, dsack);
  }

  // A duplicate ACK. With SACK, RFC 6675 §2: one that SACKs octets not SACKed before, "even if
  // it carries new data, changes the advertised window, or moves the cumulative acknowledgment
  // point" -- in a two-way transfer (an echo) most ACKs ride on the peer's data, and the strict
  // definition would leave every loss to the retransmission timer. Without SACK, RFC 5681 §2:
  // no data, no FIN, the same ACK number and window. Answers to zero-window probes are neither:
  // the window, not loss, holds the data back.
  const bool outstanding = c.snd_una != c.snd_max && c.send_timer_kind != send_timer::persist && c.snd_wnd != 0;
  const bool duplicate =
      outstanding && (board != nullptr && !blocks.empty()
                          ? sack_news
                          : acked == 0 && ack == c.snd_una && seg.payload_length == 0 &&
                                !seg.has(net::tcp_flag::fin) && c.snd_wnd == prior_wnd);
  // RFC 6675 §5: a cumulative ACK resets DupAcks, then a duplicate one (whatever it
  // acknowledged) counts.
  if (acked > 0) {
    c.dupacks = 0;
  }
  if (duplicate && c.dupacks < UINT8_MAX) {
    ++c.dupacks;
  }

  if (has(c, recovery_flag::active)) {
    in_recovery_ack(lcore, c, acked, duplicate, mss, ctx);
  } else if (ack >= c.cc.recover && ((duplicate && (c.dupacks >= sack_scoreboard::dup_thresh ||
                                                     (board != nullptr && board->is_lost(c.snd_una, mss)))) ||
                                      probe_reported)) {
    // RFC 6675 §5 on the third duplicate ACK or IsLost(SND.UNA); and RFC 8985 §6 (RACK) for the
    // one case a tail loss probe creates: the probe is the latest segment sent, at least a probe
    // timeout (2 SRTT) after every segment below it, so once the peer reports it, whatever below
    // it is neither acknowledged nor SACKed was sent more than a reordering window before a
    // segment that arrived: lost, though fewer than DupThresh segments are SACKed above it.
    enter_recovery(lcore, c, board, mss, ctx);
  } else if (acked > 0 && static_cast<std::uint32_t>(c.snd_max - prior_una) + mss > c.cc.cwnd) {
    // Outside recovery: grow cwnd on ACKs of new data while the flight filled it (RFC 7661
    // spirit, RFC 9438 §5.8: an app- or receiver-limited sender does not inflate a window it
    // never used).
    congestion_control(lcore.listener_of(c).congestion)
        .on_ack(c.cc, acked, mss, now_ms(now_ns), c.rtt.srtt_us() / 1000);
  }
  if (board != nullptr && board->empty() && !has(c, recovery_flag::sack) && !board->probe_open) {
    drop_scoreboard(lcore, c);  // no SACK information left: the board goes back to the pool
  }
}




std::uint32_t congestion_room(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  const std::uint32_t mss = effective_mss(lcore, c);
  if (!has(c, recovery_flag::sack) || c.scoreboard == no_scoreboard) {
    // cwnd bounds SND.NXT - SND.UNA (after a timeout SND.NXT went back: go-back-N within cwnd);
    // RFC 3042: the first two duplicate ACKs each allow one more segment of new data.
    std::uint32_t window = c.cc.cwnd;
    if (!has(c, recovery_flag::active) && c.dupacks > 0 && c.dupacks < sack_scoreboard::dup_thresh &&
        c.snd_nxt == c.snd_max) {
      window += c.dupacks * mss;
    }
    const seq32 end = c.snd_una + window;
    return end > c.snd_nxt ? static_cast<std::uint32_t>(end - c.snd_nxt) : 0U;
  }
  // RFC 6675 §5 (C): while cwnd - pipe >= 1 SMSS, NextSeg: rule 1 (lost segments), then rule 2
  // (new data: output() sends it within the room returned), then rule 3 (other holes).
  sack_scoreboard& board = lcore.scoreboards[c.scoreboard];
  std::uint32_t pipe = board.pipe(c.snd_una, c.snd_max, mss);
  const auto new_data = [&] {
    const auto offset = static_cast<std::uint32_t>(c.snd_nxt - c.snd_una);
    return offset < c.sendq.size() && c.snd_una + c.snd_wnd > c.snd_nxt;
  };
  for (bool rule3 = false;;) {
    if (c.cc.cwnd < pipe + mss) {
      return 0;
    }
    const auto next = board.next_retransmission(c.snd_una, mss, rule3);
    if (!next) {
      if (!rule3 && new_data()) {
        return c.cc.cwnd - pipe;  // rule 2
      }
      if (rule3) {
        return 0;
      }
      rule3 = true;
      continue;
    }
    const auto offset = static_cast<std::uint32_t>(next->sequence - c.snd_una);
    if (!send_segment(lcore, c, next->sequence, net::tcp_flag::ack, offset, next->length, ctx)) {
      return 0;
    }
    lcore.stats.tcp_fast_retransmits.add();
    c.recovery |= recovery_flag::retransmitted;
    c.timing_rtt = false;
    board.high_rxt = next->sequence + next->length;
    pipe += next->length;
  }
}

void sent_new_data(lcore_state& lcore, const connection& c) noexcept {
  if (!has(c, recovery_flag::active) && c.dupacks > 0 && c.dupacks < sack_scoreboard::dup_thresh) {
    lcore.stats.tcp_limited_transmits.add();
  }
}

void loss_recovery_timeout(lcore_state& lcore, connection& c) noexcept {
  if (c.cc.cwnd == 0) {
    return;  // SYN-RECEIVED: no congestion state yet
  }
  const std::uint32_t mss = effective_mss(lcore, c);
  if (c.retries == 0) {
    // RFC 5681 §3.1 eq. 4 on the first timeout of a segment; later ones hold ssthresh.
    congestion_control(lcore.listener_of(c).congestion)
        .on_timeout(c.cc, static_cast<std::uint32_t>(c.snd_max - c.snd_una), mss);
  }
  c.cc.cwnd = mss;
  // RFC 6582 §3.2 step 1 after a timeout: no fast retransmit for data sent before it.
  c.cc.recover = c.snd_max;
  c.dupacks = 0;
  c.recovery = static_cast<std::uint8_t>((c.recovery & recovery_flag::budget_wait) | recovery_flag::retransmitted);
  drop_scoreboard(lcore, c);  // RFC 2018 §8: after a timeout, SACKed bits are forgotten
}


bool arm_tail_loss_probe(lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept {
  if (!may_probe_tail(lcore, c)) {
    return false;
  }
  // PTO = 2 SRTT, plus WCDelAckT when one segment is in flight; never later than the RTO.
  std::uint64_t timeout = std::max<std::uint64_t>(2ULL * c.rtt.srtt_us() * 1000, min_probe_timeout_ns);
  if (static_cast<std::uint32_t>(c.snd_max - c.snd_una) <= effective_mss(lcore, c)) {
    timeout += worst_case_delayed_ack_ns;
  }
  // "If the time at which an RTO would fire ... is sooner than the computed time for the PTO,
  // then the sender schedules a TLP to be sent at that RTO time": the probe goes instead of the
  // first RTO, without its back-off and loss window.
  arm_send_timer(c, send_timer::loss_probe,
                 now_ns + std::min<std::uint64_t>(timeout, std::uint64_t{c.rtt.rto_us()} * 1000));
  return true;
}

void fire_tail_loss_probe(lcore_state& lcore, connection& c, event_context& ctx) noexcept {
  if (!may_probe_tail(lcore, c)) {
    // Armed as a probe, but since then our FIN went, or recovery began: no probe, and the RTO
    // from now instead (the probe timeout came before it).
    start_retransmit_timer(lcore, c, ctx.now_ns);
    return;
  }
  // The probe needs a board to keep its episode in (sack_scoreboard.hh); without one the RTO
  // takes over.
  if (c.scoreboard == no_scoreboard) {
    if (const auto index = lcore.scoreboards.acquire(c.snd_una)) {
      c.scoreboard = *index;
    } else {
      lcore.stats.tcp_sack_scoreboard_full.add();
    }
  }
  if (c.scoreboard != no_scoreboard) {
    // RFC 8985 §7.3: a segment of new data if the peer's window allows one (cwnd does not
    // count: the probe replaces an ACK that did not come), else the last segment sent.
    const std::uint32_t mss = effective_mss(lcore, c);
    const auto in_flight = static_cast<std::uint32_t>(c.snd_max - c.snd_una);
    const std::uint32_t unsent = c.sendq.size() > in_flight ? c.sendq.size() - in_flight : 0U;
    const std::uint32_t window_left = c.snd_wnd > in_flight ? c.snd_wnd - in_flight : 0U;
    const std::uint32_t new_length = std::min({unsent, mss, window_left});
    const bool new_data = new_length > 0 && new_length == std::min(unsent, mss);
    const std::uint32_t length = new_data ? new_length : std::min({mss, in_flight, c.sendq.size()});
    const net::seq32 sequence = new_data ? c.snd_max : c.snd_max - length;
    const auto offset = static_cast<std::uint32_t>(sequence - c.snd_una);
    // RFC 1122 §4.2.2.2: PSH on the segment that empties the send buffer, as output() sets it,
    // whether the probe sends it for the first time or again.
    const bool last = offset + length == c.sendq.size();
    const auto flags = static_cast<std::uint8_t>(net::tcp_flag::ack | (last ? net::tcp_flag::psh : 0));
    if (length > 0 && send_segment(lcore, c, sequence, flags, offset, length, ctx)) {
      lcore.stats.tcp_loss_probes.add();
      if (new_data) {
        c.snd_nxt += length;
        c.snd_max = c.snd_nxt;
      } else {
        c.recovery |= recovery_flag::retransmitted;
        c.timing_rtt = false;  // Karn
      }
      sack_scoreboard& board = lcore.scoreboards[c.scoreboard];
      board.probe_open = true;
      board.probe_retransmission = !new_data;
      board.probe_end = c.snd_max;
    } else if (lcore.scoreboards[c.scoreboard].empty()) {
      drop_scoreboard(lcore, c);
    }
  }
  // §7.3: after the probe, the RTO (start_retransmit_timer does not arm a second probe while
  // the episode is open).
  start_retransmit_timer(lcore, c, ctx.now_ns);
}


void wait_for_send_budget(lcore_state& lcore, connection& c) noexcept {
  if (has(c, recovery_flag::budget_wait) || lcore.waiters.full()) {
    return;
  }
  c.recovery |= recovery_flag::budget_wait;
  lcore.waiters.push(lcore.handle_of(c));
}

void wake_send_budget_waiters(lcore_state& lcore, event_context& ctx) noexcept {
  // Only once buffers came back since the last look; then each waiter once, oldest first, while
  // the budget has room. A handle whose connection is gone (or was reused by one that is not
  // waiting) is skipped; a large queue the reserve still refuses (send_budget.hh) waits on.
  budget_waiters& waiters = lcore.waiters;
  if (lcore.send_pool.releases() == waiters.releases_seen) {
    return;
  }
  waiters.releases_seen = lcore.send_pool.releases();
  for (std::uint32_t n = waiters.count; n > 0 && waiters.count > 0 && !lcore.send_pool.exhausted(); --n) {
    const flow::connection_handle handle = waiters.pop();
    if (!lcore.pool.is_live(handle) || !has(lcore.pool[handle], recovery_flag::budget_wait)) {
      continue;
    }
    connection& c = lcore.pool[handle];
    if (lcore.send_pool.refuses(c.sendq.size())) {
      waiters.push(handle);
      continue;
    }
    c.recovery &= static_cast<std::uint8_t>(~recovery_flag::budget_wait);
    if (c.app_open && !c.fin_queued && c.writable_wanted) {
      c.writable_wanted = false;
      if (call_app(lcore, c, ctx, [](application& app, stream& s) noexcept { app.on_writable(s); })) {
        output(lcore, c, false, ctx);
      }
    }
  }
}

}  // namespace rampart::tcp
