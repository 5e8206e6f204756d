#pragma once
// Loss recovery and the congestion window, per ACK and per timeout, the tail loss probe, and the
// send budget's waiting list (loss_recovery.cc says which RFC clause each follows).
#include <cstdint>

#include "net/seq32.hh"
#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "segment.hh"

namespace rampart::tcp {

// ESTABLISHED: the initial window (RFC 6928).
void start_congestion_control(const lcore_state& lcore, connection& c) noexcept;
// An acceptable ACK in a synchronized state, after SND.UNA and the window were updated:
// SACK blocks, duplicate ACKs, fast retransmit, NewReno/SACK recovery, cwnd growth.
void loss_recovery_ack(lcore_state& lcore, connection& c, const segment& seg, net::seq32 prior_una,
                       std::uint32_t prior_wnd, event_context& ctx) noexcept;
// Bytes beyond SND.NXT that congestion control lets output() send now; in SACK recovery it
// first retransmits what NextSeg picks (RFC 6675 §5 (C)).
std::uint32_t congestion_room(lcore_state& lcore, connection& c, event_context& ctx) noexcept;
// A new segment left at SND.NXT (counted as a limited transmit when it was one).
void sent_new_data(lcore_state& lcore, const connection& c) noexcept;
// RFC 5681 §3.1 / RFC 6298 §5: the retransmission timer expired (before go-back-N).
void loss_recovery_timeout(lcore_state& lcore, connection& c) noexcept;
// The connection leaves the table: scoreboard back to the pool, cwnd counted.
void loss_recovery_close(lcore_state& lcore, connection& c) noexcept;
// The SACK scoreboard back to the pool (TIME-WAIT: nothing of ours is in flight any more).
void drop_scoreboard(lcore_state& lcore, connection& c) noexcept;

// RFC 8985 §7.2: arms the send timer as a probe timeout when a tail loss probe may go, and
// returns false (the caller arms the RTO) when not.
bool arm_tail_loss_probe(lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept;
// The probe timeout fired (§7.3): the probe is sent and the RTO armed.
void fire_tail_loss_probe(lcore_state& lcore, connection& c, event_context& ctx) noexcept;

// A send refused by the budget: on_writable once buffers return (poll).
void wait_for_send_budget(lcore_state& lcore, connection& c) noexcept;
void wake_send_budget_waiters(lcore_state& lcore, event_context& ctx) noexcept;

}  // namespace rampart::tcp
