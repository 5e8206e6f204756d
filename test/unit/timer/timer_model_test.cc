// Randomized property test: the wheel against a reference model (a std::multimap from deadline
// tick to node) over many random arms, re-arms, cancels and advances, with callbacks that arm,
// re-arm and cancel random nodes, due ones included. The model's rule is the documented one: a
// call to advance(now) fires exactly the nodes armed when the call starts that are past or whose
// deadline tick <= now's tick, minus those a callback cancels or re-arms before their turn, in
// deadline-tick order, each once, never before its deadline.
#include "timer/timer_wheel.hh"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

using namespace rampart::timer;

namespace {

constexpr unsigned shift = 10;  // a 1.024 us tick: a span of 19.5 h, so parking is exercised too
constexpr std::uint64_t tick = std::uint64_t{1} << shift;
constexpr std::uint64_t past_key = 0;  // model key of past nodes: before every real tick

struct model {
  std::multimap<std::uint64_t, std::size_t> by_tick;  // deadline tick (past_key: past) -> node
  std::vector<std::multimap<std::uint64_t, std::size_t>::iterator> where;
  std::vector<bool> armed;
  std::vector<std::uint64_t> deadline_ns;
  std::uint64_t now = 0;

  explicit model(std::size_t n) : where(n), armed(n, false), deadline_ns(n, 0) {}
  void arm(std::size_t i, std::uint64_t deadline) {
    cancel(i);
    const std::uint64_t key = deadline <= now ? past_key : (deadline + tick - 1) / tick;
    where[i] = by_tick.emplace(key, i);
    armed[i] = true;
    deadline_ns[i] = deadline;
  }
  bool cancel(std::size_t i) {
    if (!armed[i]) {
      return false;
    }
    by_tick.erase(where[i]);
    armed[i] = false;
    return true;
  }
};

struct harness {
  std::mt19937_64 rng;
  std::uint64_t start;
  timer_wheel wheel;
  std::vector<timer_node> nodes;
  model m;
  std::set<std::size_t> due;  // during advance: armed at the start, due, not yet fired or touched
  std::uint64_t last_fired_key = 0;
  std::uint64_t fired_total = 0;

  harness(std::uint64_t seed, std::size_t n)
      : rng(seed), start(rng() >> 8), wheel(start, shift), nodes(n), m(n) {
    m.now = start;
  }

  std::uint64_t below(std::uint64_t n) { return rng() % n; }

  // Deadlines of every scale: past, within the tick, level 0, levels 1-3, beyond the span.
  std::uint64_t random_deadline() {
    const std::uint64_t now = m.now;
    switch (below(8)) {
      case 0: return now - below(now < 100 * tick ? now + 1 : 100 * tick);
      case 1: return now + below(2 * tick);
      case 2: return now + below(64 * tick);
      case 3: return now + below(4096 * tick);
      case 4: return now + below(std::uint64_t{1} << (shift + 18));
      case 5: return now + below(std::uint64_t{1} << (shift + 30));
      case 6: return now + timer_wheel::span_ticks * tick + below(std::uint64_t{1} << (shift + 38));
      default: return now + 1000 * tick + below(tick);
    }
  }

  void arm(std::size_t i, std::uint64_t deadline) {
    due.erase(i);
    wheel.arm(nodes[i], deadline);
    m.arm(i, deadline);
  }
  void cancel(std::size_t i) {
    due.erase(i);
    REQUIRE(wheel.cancel(nodes[i]) == m.cancel(i));
  }

  void on_fire(timer_node& node) {
    const std::size_t i = static_cast<std::size_t>(&node - nodes.data());
    REQUIRE(i < nodes.size());
    // Due, still armed in the model, and not fired yet in this call: exactly once.
    REQUIRE(due.count(i) == 1);
    due.erase(i);
    REQUIRE(m.armed[i]);
    const std::uint64_t key = m.where[i]->first;
    REQUIRE(key >= last_fired_key);  // deadline-tick order, past nodes first
    last_fired_key = key;
    REQUIRE(m.deadline_ns[i] <= m.now);  // never early
    REQUIRE_FALSE(wheel.armed(node));
    m.cancel(i);
    ++fired_total;
    // What a TCP callback does: mostly re-arm itself, sometimes touch another node.
    switch (below(6)) {
      case 0: arm(i, random_deadline()); break;
      case 1: {
        const std::size_t other = below(nodes.size());  // sequenced: same run under GCC and Clang
        arm(other, random_deadline());
        break;
      }
      case 2: cancel(below(nodes.size())); break;
      case 3: arm(i, m.now); break;  // re-arm in the past: must wait for the next call
      default: break;
    }
  }

  void advance(std::uint64_t now) {
    m.now = now > m.now ? now : m.now;
    const std::uint64_t now_tick = m.now / tick;
    due.clear();
    for (auto it = m.by_tick.begin(); it != m.by_tick.end() && it->first <= now_tick; ++it) {
      due.insert(it->second);
    }
    last_fired_key = 0;
    const std::size_t fired = wheel.advance(now, [this](timer_node& n) { on_fire(n); });
    INFO("nodes due but not fired: " << due.size());
    REQUIRE(due.empty());
    (void)fired;
  }

  void check_state() {
    REQUIRE(wheel.armed_count() == m.by_tick.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      REQUIRE(wheel.armed(nodes[i]) == m.armed[i]);
    }
    // next_deadline: never after the earliest expiry.
    if (m.by_tick.empty()) {
      REQUIRE(wheel.next_deadline() == UINT64_MAX);
    } else if (m.by_tick.begin()->first == past_key) {
      REQUIRE(wheel.next_deadline() == m.now);
    } else {
      REQUIRE(wheel.next_deadline() <= m.by_tick.begin()->first * tick);
      REQUIRE(wheel.next_deadline() > m.now);
    }
  }
};

}  // namespace

TEST_CASE("the wheel matches a reference model over random operations", "[unit][timer]") {
  for (const std::uint64_t seed : {1ULL, 2ULL, 3ULL, 0x5eedULL}) {
    CAPTURE(seed);
    harness h(seed, 300);
    for (int step = 0; step < 60000; ++step) {
      const std::uint64_t op = h.below(100);
      if (op < 45) {
        const std::size_t i = h.below(h.nodes.size());
        h.arm(i, h.random_deadline());
      } else if (op < 55) {
        h.cancel(h.below(h.nodes.size()));
      } else {
        // Clock steps of every size: none, within a tick, a few ticks, a level-1 slot, huge.
        std::uint64_t step_ns = 0;
        switch (h.below(10)) {
          case 0: step_ns = 0; break;
          case 1: step_ns = h.below(tick); break;
          case 2: case 3: case 4: step_ns = h.below(8 * tick); break;
          case 5: case 6: step_ns = h.below(200 * tick); break;
          case 7: step_ns = h.below(10000 * tick); break;
          case 8: step_ns = h.below(std::uint64_t{1} << (shift + 26)); break;
          default: step_ns = h.below(std::uint64_t{1} << (shift + 37)); break;
        }
        h.advance(h.m.now + step_ns);
      }
      if (step % 97 == 0) {
        h.check_state();
      }
    }
    h.check_state();
    CHECK(h.fired_total > 10000);  // the run exercised firing, not only arming
  }
}
