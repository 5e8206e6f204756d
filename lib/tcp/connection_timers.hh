#pragma once
// A connection's timers: three deadlines, each with an explicit kind (connection.hh), and one
// node in the lcore's timer wheel armed at the earliest of them. The arm/stop functions change a
// deadline only; rearm puts the node where the deadlines now say.
#include <cstdint>

#include "connection.hh"
#include "event_context.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

inline void arm_send_timer(connection& c, send_timer kind, std::uint64_t at_ns) noexcept {
  c.send_timer_kind = kind;
  c.send_timer_at = at_ns;
}
inline void stop_send_timer(connection& c) noexcept { arm_send_timer(c, send_timer::off, 0); }
inline void arm_output_timer(connection& c, output_timer kind, std::uint64_t at_ns) noexcept {
  c.output_timer_kind = kind;
  c.output_timer_at = at_ns;
}
inline void stop_output_timer(connection& c) noexcept { arm_output_timer(c, output_timer::off, 0); }
inline void arm_lifetime_timer(connection& c, lifetime_timer kind, std::uint64_t at_ns) noexcept {
  c.lifetime_kind = kind;
  c.lifetime_timer_at = at_ns;
}
inline void stop_lifetime_timer(connection& c) noexcept { arm_lifetime_timer(c, lifetime_timer::off, 0); }

// The timer node at the earliest deadline, or cancelled when none runs.
void rearm(lcore_state& lcore, connection& c) noexcept;

// RFC 6298 §5.1/5.3: (re)starts the send timer with the current RTO -- or, when a tail loss probe
// may go first, with the probe timeout (RFC 8985 §7.2; loss_recovery.hh).
void start_retransmit_timer(lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept;
// The retransmission timer at now + RTO, never a probe timeout.
void arm_retransmission_timeout(connection& c, std::uint64_t now_ns) noexcept;
// The persist timer at now + RTO (RFC 9293 §3.8.6.1: the RTO's back-off paces the probes).
void arm_persist_timer(connection& c, std::uint64_t now_ns) noexcept;
// The port's link came back after an outage (lcore_tcp::link_restored): a retransmission or
// persist timer that backed off while every frame was refused fires at now, with the RTO its
// samples give. The retry and probe counts stay: they bound how long a connection waits.
void retry_after_link_outage(lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept;
// Something arrived: the listener's idle timeout starts over (none in SYN-RECEIVED and
// TIME-WAIT, whose lifetime deadlines are their own).
void touch_idle(const lcore_state& lcore, connection& c, std::uint64_t now_ns) noexcept;

// The node fired: runs every deadline that is due (lifetime first: a connection that ends needs
// nothing else), then rearms.
void on_timer(lcore_state& lcore, connection& c, event_context& ctx) noexcept;

}  // namespace rampart::tcp
