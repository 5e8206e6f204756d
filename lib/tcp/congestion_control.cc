// Reno (RFC 5681) and CUBIC (RFC 9438) as congestion_ops. Everything in bytes: a window of W
// segments is W * SMSS bytes, and per-ACK increments "per segment acknowledged" are scaled by
// the bytes acknowledged (byte counting, RFC 3465), so delayed ACKs do not slow the growth.
#include "congestion_control.hh"

#include <algorithm>
#include <cmath>

namespace rampart::tcp {

namespace {

// Keeps cwnd within what a 32-bit sequence space can use (RFC 7323: windows up to 2^30).
constexpr std::uint32_t max_window = 1U << 30;

std::uint32_t clamp_window(double bytes, std::uint32_t mss) noexcept {
  return static_cast<std::uint32_t>(std::clamp<double>(bytes, mss, max_window));
}

// value += bytes, keeping the fraction of a byte in frac (1/65536 units) for the next call.
void add_bytes(std::uint32_t& value, std::uint16_t& frac, double bytes) noexcept {
  const auto fixed = static_cast<std::uint64_t>(bytes * 65536.0) + frac;
  value = static_cast<std::uint32_t>(std::min<std::uint64_t>(value + (fixed >> 16), max_window));
  frac = static_cast<std::uint16_t>(fixed & 0xffff);
}

// RFC 5681 §3.1 eq. 2 with RFC 3465's L = 2 SMSS: slow start grows cwnd by the bytes acknowledged,
// at most 2 SMSS per ACK (an ACK of two segments under delayed ACKs). Returns the bytes of the
// ACK left for congestion avoidance once cwnd reaches ssthresh (RFC 5681 leaves that choice open).
std::uint32_t slow_start(congestion_state& s, std::uint32_t acked, std::uint32_t mss) noexcept {
  const std::uint32_t grow = std::min({acked, 2 * mss, s.ssthresh - s.cwnd});
  s.cwnd = std::min(s.cwnd + grow, max_window);
  return s.cwnd < s.ssthresh ? 0U : acked - grow;
}

// ---- Reno (RFC 5681) ----

void reno_on_ack(congestion_state& s, std::uint32_t acked, std::uint32_t mss, std::uint32_t, std::uint32_t) noexcept {
  if (s.cwnd < s.ssthresh) {
    acked = slow_start(s, acked, mss);
    if (acked == 0) {
      return;
    }
  }
  // §3.1 eq. 3, byte-counted: cwnd += SMSS * SMSS / cwnd per SMSS acknowledged (one SMSS per
  // RTT of full windows).
  add_bytes(s.cwnd, s.growth_frac, double(mss) * acked / s.cwnd);
}

// §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS).
std::uint32_t reno_ssthresh(std::uint32_t flight, std::uint32_t mss) noexcept { return std::max(flight / 2, 2 * mss); }

void reno_on_loss(congestion_state& s, std::uint32_t flight, std::uint32_t mss) noexcept {
  s.ssthresh = reno_ssthresh(flight, mss);
  s.cwnd = s.ssthresh;
}

void reno_on_timeout(congestion_state& s, std::uint32_t flight, std::uint32_t mss) noexcept {
  s.ssthresh = reno_ssthresh(flight, mss);
  s.cwnd = mss;  // the loss window, 1 SMSS
}

// ---- CUBIC (RFC 9438) ----

// §4.6 (and §4.7 fast convergence): remember W_max, ssthresh = cwnd * β (at least 2 SMSS), and
// end the epoch (the next ACK in congestion avoidance starts one).
std::uint16_t to_segments(double bytes, std::uint32_t mss) noexcept {
  return static_cast<std::uint16_t>(std::clamp(std::lround(bytes / mss), 1L, 65535L));
}

void cubic_reduce(congestion_state& s, std::uint32_t mss) noexcept {
  const double cwnd = s.cwnd;
  if (s.w_max_segments != 0 && cwnd < double(s.w_max_segments) * mss) {
    // §4.7: the flow lost before reaching its previous W_max: release bandwidth to newer flows.
    s.w_max_segments = to_segments(cwnd * (1.0 + cubic::beta) / 2.0, mss);
  } else {
    s.w_max_segments = to_segments(cwnd, mss);
  }
  s.ssthresh = std::max(clamp_window(cwnd * cubic::beta, mss), 2 * mss);
  s.w_est = 0;
}

void cubic_on_ack(congestion_state& s, std::uint32_t acked, std::uint32_t mss, std::uint32_t now_ms,
                  std::uint32_t srtt_ms) noexcept {
  if (s.cwnd < s.ssthresh) {
    acked = slow_start(s, acked, mss);
    if (acked == 0) {
      return;
    }
  }
  const double smss = mss;
  if (s.w_est == 0) {
    // §4.2: a new congestion-avoidance epoch. cwnd_epoch = cwnd; W_max = cwnd when the epoch
    // starts at or above it (after slow start without loss, or past the old plateau), K = 0.
    if (double(s.w_max_segments) * smss < s.cwnd) {
      s.w_max_segments = to_segments(s.cwnd, mss);
    }
    const double k = cubic::k_seconds(s.w_max_segments, s.cwnd / smss);
    s.inflection_ms = now_ms + static_cast<std::uint32_t>(k * 1000.0);
    s.w_est = s.cwnd;
    s.growth_frac = 0;
  }
  const double cwnd = s.cwnd;
  const double w_max = s.w_max_segments;
  // t - K, now and one RTT ahead (§4.2: the target is W_cubic(t + RTT)).
  const double t_minus_k = static_cast<std::int32_t>(now_ms - s.inflection_ms) / 1000.0;
  const double w_cubic_now = cubic::window(t_minus_k, w_max) * smss;
  const double target = std::clamp(cubic::window(t_minus_k + srtt_ms / 1000.0, w_max) * smss, cwnd, 1.5 * cwnd);
  // §4.3: W_est += α_cubic * segments_acked / cwnd, with α_cubic = 1 once W_est reaches the
  // window before the last reduction (approximated by W_max, which equals it without fast
  // convergence).
  const double alpha = s.w_est >= w_max * smss ? 1.0 : cubic::alpha;
  add_bytes(s.w_est, s.growth_frac, alpha * smss * acked / cwnd);
  if (w_cubic_now < s.w_est) {
    s.cwnd = std::max(s.cwnd, s.w_est);  // §4.3 Reno-friendly region
    return;
  }
  // §4.4/§4.5 concave and convex regions: cwnd += (target - cwnd) / cwnd per segment acknowledged.
  s.cwnd = clamp_window(cwnd + (target - cwnd) * acked / cwnd, mss);
}

void cubic_on_loss(congestion_state& s, std::uint32_t, std::uint32_t mss) noexcept {
  cubic_reduce(s, mss);
  s.cwnd = s.ssthresh;
}

void cubic_on_timeout(congestion_state& s, std::uint32_t, std::uint32_t mss) noexcept {
  // §4.8: like Reno, cwnd = 1 SMSS, with ssthresh from β_cubic as in §4.6.
  cubic_reduce(s, mss);
  s.cwnd = mss;
}

constexpr congestion_ops reno_ops{reno_on_ack, reno_on_loss, reno_on_timeout};
constexpr congestion_ops cubic_ops{cubic_on_ack, cubic_on_loss, cubic_on_timeout};

}  // namespace

namespace cubic {

double k_seconds(double w_max_segments, double cwnd_epoch_segments) noexcept {
  if (cwnd_epoch_segments >= w_max_segments) {
    return 0.0;
  }
  return std::cbrt((w_max_segments - cwnd_epoch_segments) / c);
}

double window(double t_minus_k_seconds, double w_max_segments) noexcept {
  return c * t_minus_k_seconds * t_minus_k_seconds * t_minus_k_seconds + w_max_segments;
}

}  // namespace cubic

std::uint32_t initial_window(std::uint32_t mss, std::uint32_t segments) noexcept {
  return std::min(segments * mss, std::max(2 * mss, segments * 1460U));
}

void congestion_start(congestion_state& s, std::uint32_t mss, std::uint32_t initial_segments) noexcept {
  s = congestion_state{};
  s.cwnd = initial_window(mss, initial_segments);
}

const congestion_ops& congestion_control(cc_algorithm algorithm) noexcept {
  switch (algorithm) {
    case cc_algorithm::reno:
      return reno_ops;
    case cc_algorithm::cubic:
      return cubic_ops;
  }
  return cubic_ops;
}

const char* to_string(cc_algorithm algorithm) noexcept {
  switch (algorithm) {
    case cc_algorithm::reno:
      return "reno";
    case cc_algorithm::cubic:
      return "cubic";
  }
  return "?";
}

}  // namespace rampart::tcp
