#pragma once
// Congestion control: how much a connection may have in flight (cwnd) and how that changes on
// ACKs, on a loss found by duplicate ACKs or SACK, and on a retransmission timeout. Two
// algorithms behind one small interface (congestion_ops), chosen per listener
// (listeners[].congestion_control):
//   reno   RFC 5681 §3.1: slow start, congestion avoidance, ssthresh = max(FlightSize / 2, 2 SMSS)
//   cubic  RFC 9438: the cubic window function around W_max, its Reno-friendly region (§4.3)
//          and fast convergence (§4.7); the default, as in Linux
// Both start from the initial window of RFC 6928 (10 segments by default, tcp.initial_window).
// Loss *recovery* (which segment to resend, NewReno, SACK) is loss_recovery.cc's; this file is
// arithmetic on a congestion_state, in bytes and milliseconds, with no clock or I/O.
//
// Memory: the state is 24 bytes inline in the control block (connection.hh). CUBIC's epoch
// start and K are folded into one instant, the inflection point (epoch start + K), since the
// window function only ever uses t - K; "no epoch yet" is w_est == 0; W_max is kept in whole
// segments. Per-ACK increments below one byte (SMSS^2 / cwnd once cwnd passes SMSS^2 bytes)
// carry their fraction in growth_frac instead of being truncated away.
#include <cstdint>

#include "net/seq32.hh"
#include "tcp/settings.hh"  // cc_algorithm

namespace rampart::tcp {

struct congestion_state {
  std::uint32_t cwnd = 0;               // bytes
  std::uint32_t ssthresh = UINT32_MAX;  // bytes; "arbitrarily high" until the first loss (RFC 5681 §3.1)
  net::seq32 recover{0};                // RFC 6582 "recover" / RFC 6675 RecoveryPoint: SND.MAX at the last loss
  std::uint32_t w_est = 0;              // CUBIC: Reno-friendly estimate, bytes; 0: no epoch started
  std::uint32_t inflection_ms = 0;      // CUBIC: epoch start + K, on the ms clock
  std::uint16_t w_max_segments = 0;     // CUBIC: window at the last congestion event (0: none yet)
  std::uint16_t growth_frac = 0;        // 1/65536 bytes not yet added (Reno: cwnd; CUBIC: W_est)
};
static_assert(sizeof(congestion_state) == 24, "inline in the control block: 24 bytes (connection.hh)");

// RFC 6928 §2: IW = min(segments * SMSS, max(2 * SMSS, segments * 1460)) (segments = 10: the
// RFC's min(10 * MSS, max(2 * MSS, 14600))).
std::uint32_t initial_window(std::uint32_t mss, std::uint32_t segments) noexcept;

// Growth on an ACK of new data outside recovery: slow start below ssthresh, else the algorithm's
// congestion avoidance. `acked`: bytes newly acknowledged; `srtt_ms` the smoothed RTT (CUBIC
// aims at W_cubic(t + RTT)). Callers pass only ACKs of a cwnd-limited flight (RFC 9438 §5.8,
// RFC 7661: an app- or peer-window-limited sender does not grow cwnd).
// Loss (fast retransmit, SACK): ssthresh and cwnd reduced, CUBIC's W_max remembered.
// Timeout: the same ssthresh, cwnd = 1 SMSS (RFC 5681 §3.1 "loss window").
struct congestion_ops {
  void (*on_ack)(congestion_state& s, std::uint32_t acked, std::uint32_t mss, std::uint32_t now_ms,
                 std::uint32_t srtt_ms) noexcept;
  void (*on_loss)(congestion_state& s, std::uint32_t flight, std::uint32_t mss) noexcept;
  void (*on_timeout)(congestion_state& s, std::uint32_t flight, std::uint32_t mss) noexcept;
};
const congestion_ops& congestion_control(cc_algorithm algorithm) noexcept;

// Sets cwnd to the initial window, ssthresh "arbitrarily high", no CUBIC epoch.
void congestion_start(congestion_state& s, std::uint32_t mss, std::uint32_t initial_segments) noexcept;

// RFC 9438 constants and formulas, exposed for the unit test that checks them (§4.1-4.3, §4.6).
namespace cubic {
inline constexpr double c = 0.4;      // segments / s^3
inline constexpr double beta = 0.7;   // multiplicative decrease
// α_cubic = 3 (1 - β) / (1 + β) (§4.3): Reno's average rate with CUBIC's β.
inline constexpr double alpha = 3.0 * (1.0 - beta) / (1.0 + beta);
// §4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), W in segments, K in seconds; 0 when the epoch
// starts at or above W_max.
double k_seconds(double w_max_segments, double cwnd_epoch_segments) noexcept;
// §4.2 eq. 1: W_cubic(t) = C (t - K)^3 + W_max, segments; t - K in seconds.
double window(double t_minus_k_seconds, double w_max_segments) noexcept;
}  // namespace cubic

}  // namespace rampart::tcp
