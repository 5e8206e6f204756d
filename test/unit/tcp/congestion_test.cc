// Pure unit tests of the congestion-control arithmetic (congestion_control.hh) against the
// RFCs' formulas: RFC 6928's initial window, RFC 5681 slow start / congestion avoidance /
// ssthresh, RFC 9438's K, W_cubic, β, fast convergence, the concave and convex regions and the
// Reno-friendly region; and of the RFC 6675 scoreboard (sack_scoreboard.hh): Update, IsLost,
// SetPipe, NextSeg, its bound.
#include <catch2/catch.hpp>

#include <cmath>

#include "tcp/congestion_control.hh"
#include "tcp/sack_scoreboard.hh"

using namespace rampart;
using namespace rampart::tcp;
using net::seq32;

namespace {

constexpr std::uint32_t mss = 1000;

// A cwnd-limited flow whose whole window is acknowledged once per RTT, one ACK per segment,
// from `start_ms` for `duration_ms`.
void run_acks(const congestion_ops& ops, congestion_state& s, std::uint32_t start_ms, std::uint32_t duration_ms,
              std::uint32_t rtt_ms) {
  for (std::uint32_t t = 0; t < duration_ms; t += rtt_ms) {
    const std::uint32_t segments = s.cwnd / mss;
    for (std::uint32_t i = 0; i < segments; ++i) {
      ops.on_ack(s, mss, mss, start_ms + t + i * rtt_ms / segments, rtt_ms);
    }
  }
}

}  // namespace

TEST_CASE("initial window: RFC 6928 min(10 MSS, max(2 MSS, 14600))", "[unit][tcp]") {
  CHECK(initial_window(1460, 10) == 14600);
  CHECK(initial_window(536, 10) == 5360);
  CHECK(initial_window(9000, 10) == 18000);  // capped at max(2 MSS, 14600)
  CHECK(initial_window(1460, 4) == 4 * 1460);
  congestion_state s;
  congestion_start(s, 1460, 10);
  CHECK(s.cwnd == 14600);
  CHECK(s.ssthresh == UINT32_MAX);
}

TEST_CASE("Reno: slow start, congestion avoidance, ssthresh on loss and timeout (RFC 5681 §3.1)", "[unit][tcp]") {
  const congestion_ops& reno = congestion_control(cc_algorithm::reno);
  congestion_state s;
  congestion_start(s, mss, 10);
  reno.on_ack(s, mss, mss, 0, 100);
  CHECK(s.cwnd == 11 * mss);
  reno.on_ack(s, 3 * mss, mss, 0, 100);  // at most 2 SMSS per ACK (RFC 3465 L = 2)
  CHECK(s.cwnd == 13 * mss);
  reno.on_loss(s, 20 * mss, mss);        // ssthresh = FlightSize / 2
  CHECK(s.ssthresh == 10 * mss);
  CHECK(s.cwnd == 10 * mss);
  // Congestion avoidance: SMSS * SMSS / cwnd per segment acknowledged, one SMSS per RTT.
  reno.on_ack(s, mss, mss, 0, 100);
  CHECK(s.cwnd == 10 * mss + mss / 10);
  run_acks(reno, s, 0, 1000, 100);       // ten RTTs
  CHECK(s.cwnd >= 20 * mss - mss);
  CHECK(s.cwnd <= 20 * mss + mss);
  reno.on_loss(s, mss, mss);             // floor: 2 SMSS
  CHECK(s.ssthresh == 2 * mss);
  reno.on_timeout(s, 30 * mss, mss);
  CHECK(s.ssthresh == 15 * mss);
  CHECK(s.cwnd == mss);                  // the loss window
  // Slow start stops at ssthresh; the rest of the ACK goes to congestion avoidance.
  s.cwnd = 14 * mss + mss / 2;
  reno.on_ack(s, 2 * mss, mss, 0, 100);
  CHECK(s.cwnd > 15 * mss);
  CHECK(s.cwnd < 15 * mss + mss / 2);
}

TEST_CASE("CUBIC: K and W_cubic as RFC 9438 §4.2 writes them", "[unit][tcp]") {
  CHECK(cubic::c == 0.4);
  CHECK(cubic::beta == 0.7);
  CHECK(cubic::alpha == Approx(3.0 * 0.3 / 1.7));
  // K = cbrt((W_max - cwnd_epoch) / C): W_max 100, cwnd_epoch 70 (= β W_max) -> cbrt(75).
  const double k = cubic::k_seconds(100, 70);
  CHECK(k == Approx(std::cbrt(75.0)));
  CHECK(k == Approx(4.2172).epsilon(1e-4));
  CHECK(cubic::k_seconds(100, 120) == 0.0);
  // W_cubic(0) = cwnd_epoch, W_cubic(K) = W_max, symmetric around K.
  CHECK(cubic::window(-k, 100) == Approx(70));
  CHECK(cubic::window(0, 100) == Approx(100));
  CHECK(cubic::window(1, 100) == Approx(100.4));
  CHECK(cubic::window(2, 100) - 100 == Approx(100 - cubic::window(-2, 100)));
}

TEST_CASE("CUBIC: reduction by β, fast convergence, timeout (RFC 9438 §4.6-4.8)", "[unit][tcp]") {
  const congestion_ops& cubic = congestion_control(cc_algorithm::cubic);
  congestion_state s;
  congestion_start(s, mss, 10);
  s.cwnd = 100 * mss;
  cubic.on_loss(s, 100 * mss, mss);
  CHECK(s.w_max_segments == 100);
  CHECK(s.ssthresh == 70 * mss);
  CHECK(s.cwnd == 70 * mss);
  CHECK(s.w_est == 0);  // the next ACK starts an epoch
  // A loss below the last W_max: fast convergence, W_max = cwnd (1 + β) / 2.
  s.cwnd = 80 * mss;
  cubic.on_loss(s, 80 * mss, mss);
  CHECK(s.w_max_segments == 68);
  CHECK(s.ssthresh == 56 * mss);
  cubic.on_timeout(s, 56 * mss, mss);
  CHECK(s.cwnd == mss);
  CHECK(s.ssthresh == std::uint32_t(56 * mss * 0.7));
}

TEST_CASE("CUBIC: cwnd follows W_cubic through the concave and convex regions", "[unit][tcp]") {
  const congestion_ops& cubic = congestion_control(cc_algorithm::cubic);
  congestion_state s;
  congestion_start(s, mss, 10);
  s.cwnd = 100 * mss;
  cubic.on_loss(s, 100 * mss, mss);
  constexpr std::uint32_t rtt = 100;  // ms: W_est grows α = 0.53 segment per RTT, below W_cubic
  const std::uint32_t start = 50'000;
  const double k = cubic::k_seconds(100, 70);
  std::uint32_t elapsed = 0;
  for (const std::uint32_t until : {1000U, 2000U, 4000U, 5000U, 6000U}) {
    run_acks(cubic, s, start + elapsed, until - elapsed, rtt);
    elapsed = until;
    const double t = elapsed / 1000.0;
    const double w = s.cwnd / double(mss);
    INFO("t = " << t << " s: cwnd " << w << " segments, W_cubic(t) " << cubic::window(t - k, 100));
    // Between W_cubic(t) and W_cubic(t + RTT), give or take one segment of per-ACK granularity.
    CHECK(w >= cubic::window(t - k, 100) - 1.5);
    CHECK(w <= cubic::window(t + rtt / 1000.0 - k, 100) + 1.5);
  }
  // Around K the window sits at its plateau, W_max.
  CHECK(cubic::window(4.0 - k, 100) == Approx(100).epsilon(0.01));
}

TEST_CASE("CUBIC: the Reno-friendly region when RTTs are short (RFC 9438 §4.3)", "[unit][tcp]") {
  const congestion_ops& cubic = congestion_control(cc_algorithm::cubic);
  congestion_state s;
  congestion_start(s, mss, 10);
  s.cwnd = 100 * mss;
  cubic.on_loss(s, 100 * mss, mss);
  // 1 ms RTT: in one second W_est gains α per RTT (1 once it passes W_max), far above W_cubic.
  run_acks(cubic, s, 10'000, 1000, 1);
  const double w_cubic = cubic::window(1.0 - cubic::k_seconds(100, 70), 100);
  CHECK(s.cwnd == s.w_est);
  CHECK(s.cwnd / double(mss) > w_cubic + 50);
  // α_cubic for the first 30 segments (70 -> 100, about 57 RTTs), then 1 per RTT.
  const double expected = 100 + (1000 - 30 / cubic::alpha);
  CHECK(s.cwnd / double(mss) == Approx(expected).epsilon(0.05));
}

TEST_CASE("CUBIC: slow start until the first loss, then an epoch at W_max = cwnd", "[unit][tcp]") {
  const congestion_ops& cubic = congestion_control(cc_algorithm::cubic);
  congestion_state s;
  congestion_start(s, mss, 10);
  run_acks(cubic, s, 0, 300, 100);  // three RTTs doubling: 10, 20, 40 -> 80
  CHECK(s.cwnd == 80 * mss);
  s.ssthresh = 80 * mss;             // a reached ssthresh: congestion avoidance from W_max = cwnd
  cubic.on_ack(s, mss, mss, 1000, 100);
  CHECK(s.w_max_segments == 80);
  CHECK(s.w_est >= 80 * mss);
  CHECK(s.inflection_ms == 1000);    // K = 0
}

TEST_CASE("scoreboard: Update merges, clips and ignores repeats; bounded ranges", "[unit][tcp]") {
  sack_scoreboard b;
  const seq32 una{1000};
  const seq32 max{1000 + 50 * mss};
  b.reset(una);
  CHECK(b.add(una + 2 * mss, una + 3 * mss, una, max));
  CHECK(b.add(una + 5 * mss, una + 6 * mss, una, max));
  CHECK_FALSE(b.add(una + 2 * mss, una + 3 * mss, una, max));       // repeat
  CHECK_FALSE(b.add(una - 3 * mss, una, una, max));                 // below SND.UNA (D-SACK)
  CHECK_FALSE(b.add(max, max + mss, una, max));                     // beyond SND.MAX
  CHECK(b.add(una + 3 * mss, una + 5 * mss, una, max));             // bridges the two
  REQUIRE(b.size() == 1);
  CHECK(b.at(0).left == una + 2 * mss);
  CHECK(b.at(0).right == una + 6 * mss);
  CHECK(b.add(una + 49 * mss, una + 60 * mss, una, max));           // clipped to SND.MAX
  CHECK(b.highest_sacked(una) == max);
  CHECK(b.is_sacked(una + 2 * mss));
  CHECK_FALSE(b.is_sacked(una + 6 * mss));
  b.advance(una + 4 * mss);
  CHECK(b.at(0).left == una + 4 * mss);
  b.advance(una + 6 * mss);
  CHECK(b.size() == 1);

  b.reset(una);
  for (std::uint32_t i = 0; i < sack_scoreboard::max_ranges; ++i) {
    CHECK(b.add(una + (2 * i + 2) * mss, una + (2 * i + 3) * mss, una, max));
  }
  CHECK_FALSE(b.add(una + 45 * mss, una + 46 * mss, una, max));     // full: a block above is dropped
  CHECK(b.add(una + mss / 2, una + mss, una, max));                 // a lower one evicts the highest
  CHECK(b.size() == sack_scoreboard::max_ranges);
  CHECK(b.highest_sacked(una) == una + (2 * 14 + 3) * mss);
}

TEST_CASE("scoreboard: IsLost, SetPipe and NextSeg (RFC 6675 §4)", "[unit][tcp]") {
  sack_scoreboard b;
  const seq32 una{7};
  const seq32 max = una + 12 * mss;
  b.reset(una);
  // Segments 0..11 sent; SACKed: 1, 3, 5..6. Holes: 0, 2, 4, 7..11 (the tail).
  b.add(una + 1 * mss, una + 2 * mss, una, max);
  b.add(una + 3 * mss, una + 4 * mss, una, max);
  b.add(una + 5 * mss, una + 7 * mss, una, max);
  CHECK(b.is_lost(una, mss));                  // 3 ranges above
  CHECK(b.is_lost(una + 2 * mss, mss));        // 3 segments (> 2 SMSS) above
  CHECK_FALSE(b.is_lost(una + 4 * mss, mss));  // 2 segments above: not more than 2 SMSS
  CHECK_FALSE(b.is_lost(una + 8 * mss, mss));  // nothing SACKed above
  // pipe: holes 0 and 2 lost (0), hole 4 (1), tail 7..11 (5).
  CHECK(b.pipe(una, max, mss) == 6 * mss);
  // NextSeg rule 1: lowest lost hole first, then the next once HighRxt passed it.
  auto next = b.next_retransmission(una, mss, false);
  REQUIRE(next);
  CHECK(next->sequence == una);
  CHECK(next->length == mss);
  b.high_rxt = una + mss;
  CHECK(b.pipe(una, max, mss) == 7 * mss);     // the retransmission is in flight
  next = b.next_retransmission(una, mss, false);
  REQUIRE(next);
  CHECK(next->sequence == una + 2 * mss);
  b.high_rxt = una + 3 * mss;
  CHECK_FALSE(b.next_retransmission(una, mss, false));  // hole 4 is not lost
  next = b.next_retransmission(una, mss, true);          // rule 3 takes it
  REQUIRE(next);
  CHECK(next->sequence == una + 4 * mss);
  // A hole shorter than a segment is retransmitted as it is, never across a SACKed range.
  b.reset(una);
  b.add(una + 500, una + 3 * mss, una, max);
  b.add(una + 4 * mss, una + 5 * mss, una, max);
  next = b.next_retransmission(una, mss, false);
  REQUIRE(next);
  CHECK(next->length == 500);
}

TEST_CASE("scoreboard pool: bounded, reused", "[unit][tcp]") {
  scoreboard_pool pool{2};
  const auto a = pool.acquire(seq32{1});
  const auto b = pool.acquire(seq32{1});
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(pool.acquire(seq32{1}));
  CHECK(pool.in_use() == 2);
  pool[*a].add(seq32{10}, seq32{20}, seq32{1}, seq32{100});
  pool.release(*a);
  const auto c = pool.acquire(seq32{50});
  REQUIRE(c);
  CHECK(pool[*c].empty());
  CHECK(pool[*c].high_rxt == seq32{50});
}
