#include "timer/timer_wheel.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

using namespace rampart::timer;

namespace {

constexpr unsigned shift = timer_wheel::default_tick_shift;
constexpr std::uint64_t tick = std::uint64_t{1} << shift;
constexpr std::uint64_t ms = 1'000'000;
constexpr std::uint64_t s = 1000 * ms;
// An arbitrary TSC-like start, not on a tick boundary nor at a level boundary.
constexpr std::uint64_t t0 = 123'456'789'012'345;

// The tick boundary at or after ns: the earliest now at which a deadline of ns may fire.
constexpr std::uint64_t boundary(std::uint64_t ns) { return (ns + tick - 1) / tick * tick; }

// Nodes with an index, and a callback that records which fired.
struct fixture {
  timer_wheel wheel{t0};
  std::vector<timer_node> nodes;
  std::vector<std::size_t> fired;

  explicit fixture(std::size_t n) : nodes(n) {}
  std::size_t index(const timer_node& node) const { return static_cast<std::size_t>(&node - nodes.data()); }
  std::size_t advance(std::uint64_t now) {
    return wheel.advance(now, [this](timer_node& node) { fired.push_back(index(node)); });
  }
};

}  // namespace

TEST_CASE("timer_node is three words and starts unarmed", "[unit][timer]") {
  STATIC_REQUIRE(sizeof(timer_node) == 24);
  timer_node node;
  CHECK_FALSE(node.armed());
  CHECK_FALSE(timer_wheel::armed(node));
}

TEST_CASE("the constructor rejects a tick outside [2^10, 2^30] ns", "[unit][timer]") {
  CHECK_THROWS_AS(timer_wheel(0, 9), std::invalid_argument);
  CHECK_THROWS_AS(timer_wheel(0, 31), std::invalid_argument);
  CHECK_NOTHROW(timer_wheel(0, 10));
  CHECK_NOTHROW(timer_wheel(0, 30));
  CHECK(timer_wheel(0, 10).tick_ns() == 1024);
  CHECK(timer_wheel(t0).current_tick() == t0 >> shift);
}

TEST_CASE("a node fires at the first advance at or past its deadline's tick boundary, never earlier", "[unit][timer]") {
  // Delays from a fraction of a tick to past two hours: every level of the wheel is visited.
  const std::uint64_t delays[] = {1, tick / 2, tick, tick + 1, 63 * tick, 64 * tick, 64 * tick + 7, 200 * ms, 999 * ms,
                                  4095 * tick, 4096 * tick, 5 * s, 300 * s, 3600 * s, 7200 * s + 12345, 30 * 3600 * s};
  for (const std::uint64_t delay : delays) {
    CAPTURE(delay);
    fixture f(1);
    const std::uint64_t deadline = t0 + delay;
    f.wheel.arm(f.nodes[0], deadline);
    REQUIRE(f.wheel.armed(f.nodes[0]));
    // Walk up to just before the boundary in uneven steps (crossing every cascade on the way).
    const std::uint64_t fire_at = boundary(deadline);
    std::uint64_t now = t0;
    while (now + 1 < fire_at) {
      const std::uint64_t step = (fire_at - now) / 3 + 1;
      now = std::min(now + step, fire_at - 1);
      REQUIRE(f.advance(now) == 0);
    }
    CHECK(f.wheel.armed(f.nodes[0]));
    CHECK(f.advance(fire_at) == 1);
    CHECK(fire_at >= deadline);
    CHECK(fire_at - deadline < tick);
    CHECK_FALSE(f.wheel.armed(f.nodes[0]));
    CHECK(f.advance(fire_at + 10 * s) == 0);  // exactly once
    CHECK(f.wheel.armed_count() == 0);
  }
}

TEST_CASE("one advance over many ticks fires in deadline-tick order", "[unit][timer]") {
  fixture f(6);
  const std::uint64_t delays_in_ticks[] = {5, 3, 70, 3, 1, 5000};
  for (std::size_t i = 0; i < 6; ++i) {
    f.wheel.arm(f.nodes[i], t0 + delays_in_ticks[i] * tick);
  }
  CHECK(f.wheel.armed_count() == 6);
  CHECK(f.advance(t0 + 6000 * tick) == 6);
  REQUIRE(f.fired.size() == 6);
  CHECK(f.fired[0] == 4);
  // Nodes 1 and 3 share a tick: both fire, in either order.
  CHECK(((f.fired[1] == 1 && f.fired[2] == 3) || (f.fired[1] == 3 && f.fired[2] == 1)));
  CHECK(f.fired[3] == 0);
  CHECK(f.fired[4] == 2);
  CHECK(f.fired[5] == 5);
  CHECK(f.wheel.armed_count() == 0);
}

TEST_CASE("nodes sharing a tick fire in the same advance, those of the next tick do not", "[unit][timer]") {
  fixture f(3);
  const std::uint64_t b = boundary(t0 + 10 * tick);
  f.wheel.arm(f.nodes[0], b - tick + 1);  // rounds up to b
  f.wheel.arm(f.nodes[1], b);
  f.wheel.arm(f.nodes[2], b + 1);         // rounds up to b + tick
  CHECK(f.advance(b - 1) == 0);
  CHECK(f.advance(b) == 2);
  CHECK(f.advance(b + tick - 1) == 0);
  CHECK(f.advance(b + tick) == 1);
  CHECK(f.fired.back() == 2);
}

TEST_CASE("re-arming moves a node earlier or later", "[unit][timer]") {
  fixture f(2);
  f.wheel.arm(f.nodes[0], t0 + 500 * ms);
  f.wheel.arm(f.nodes[1], t0 + 500 * ms);
  f.wheel.arm(f.nodes[0], t0 + 5 * ms);   // earlier, from level 1 to level 0
  f.wheel.arm(f.nodes[1], t0 + 900 * ms);  // later, same level
  CHECK(f.wheel.armed_count() == 2);
  CHECK(f.advance(boundary(t0 + 5 * ms)) == 1);
  CHECK(f.fired == std::vector<std::size_t>{0});
  CHECK(f.advance(boundary(t0 + 900 * ms) - 1) == 0);
  CHECK(f.advance(boundary(t0 + 900 * ms)) == 1);
  CHECK(f.fired == std::vector<std::size_t>{0, 1});
  // Re-arming to the same deadline many times keeps one entry.
  for (int i = 0; i < 100; ++i) {
    f.wheel.arm(f.nodes[0], t0 + 2 * s);
  }
  CHECK(f.wheel.armed_count() == 1);
  CHECK(f.advance(t0 + 3 * s) == 1);
}

TEST_CASE("re-arming within the node's tick keeps it there; leaving the tick moves it", "[unit][timer]") {
  fixture f(2);
  const std::uint64_t b = boundary(t0 + 300 * ms);
  f.wheel.arm(f.nodes[0], b - tick + 1);
  f.wheel.arm(f.nodes[1], b + 5 * tick);
  for (std::uint64_t d = b - tick + 1; d <= b; d += tick / 8) {
    f.wheel.arm(f.nodes[0], d);  // an RTO pushed by ACKs less than a tick apart
  }
  f.wheel.arm(f.nodes[0], b);
  CHECK(f.wheel.armed_count() == 2);
  CHECK(f.advance(b - 1) == 0);
  CHECK(f.advance(b) == 1);
  CHECK(f.fired == std::vector<std::size_t>{0});
  // Out of the tick and back: the node fires at the tick it ends on, and only there.
  f.wheel.arm(f.nodes[1], b + 9 * tick);
  f.wheel.arm(f.nodes[1], b + 5 * tick);
  CHECK(f.advance(b + 5 * tick - 1) == 0);
  CHECK(f.advance(b + 5 * tick) == 1);
  // A node re-armed in the past, then back into a future tick, leaves the past list.
  f.wheel.arm(f.nodes[0], b);
  f.wheel.arm(f.nodes[0], b + 20 * tick);
  CHECK(f.advance(b + 5 * tick) == 0);
  CHECK(f.advance(b + 20 * tick) == 1);
}

TEST_CASE("a cancelled node never fires; cancel reports whether it was armed", "[unit][timer]") {
  fixture f(3);
  f.wheel.arm(f.nodes[0], t0 + 10 * ms);
  f.wheel.arm(f.nodes[1], t0 + 10 * ms);
  f.wheel.arm(f.nodes[2], t0 + 3600 * s);
  CHECK(f.wheel.cancel(f.nodes[0]));
  CHECK_FALSE(f.wheel.cancel(f.nodes[0]));
  CHECK(f.wheel.cancel(f.nodes[2]));
  CHECK_FALSE(f.wheel.armed(f.nodes[0]));
  CHECK(f.wheel.armed_count() == 1);
  CHECK(f.advance(t0 + 7200 * s) == 1);
  CHECK(f.fired == std::vector<std::size_t>{1});
  // Cancelling the only node of a slot leaves nothing behind: the wheel reports nothing armed.
  f.wheel.arm(f.nodes[0], t0 + 7300 * s);
  CHECK(f.wheel.cancel(f.nodes[0]));
  CHECK(f.wheel.next_deadline() == UINT64_MAX);
}

TEST_CASE("a past deadline fires at the very next advance, even within the same tick", "[unit][timer]") {
  fixture f(3);
  const std::uint64_t now = t0 + 5 * tick + 10;
  f.advance(now);
  f.wheel.arm(f.nodes[0], now);       // == now: past
  f.wheel.arm(f.nodes[1], now - 3 * s);
  f.wheel.arm(f.nodes[2], 0);
  CHECK(f.wheel.next_deadline() == now);
  CHECK(f.advance(now) == 3);         // same now, same tick
  CHECK(f.wheel.armed_count() == 0);
  // A deadline after now but in now's tick waits for the tick boundary (never early).
  f.wheel.arm(f.nodes[0], now + 1);
  CHECK(f.advance(now + 1) == 0);
  CHECK(f.advance(boundary(now + 1)) == 1);
}

TEST_CASE("a callback may re-arm its own node; one that re-arms in the past fires once per call", "[unit][timer]") {
  timer_wheel wheel(t0);
  timer_node node;
  wheel.arm(node, t0 + 10 * ms);
  std::uint64_t now = t0;
  std::size_t count = 0;
  // A periodic timer: every 10 ms, re-armed from its callback relative to its previous deadline.
  std::uint64_t deadline = t0 + 10 * ms;
  const std::uint64_t poll_gap = tick / 4;
  while (count < 100) {
    now += poll_gap;
    wheel.advance(now, [&](timer_node& n) {
      REQUIRE(&n == &node);
      REQUIRE_FALSE(wheel.armed(n));  // unlinked before the callback
      REQUIRE(now >= deadline);
      REQUIRE(now - deadline < tick + poll_gap);  // lateness: under one tick plus the polling gap
      ++count;
      deadline += 10 * ms;
      wheel.arm(n, deadline);
    });
  }
  CHECK(wheel.armed_count() == 1);
  // Re-arming at now from the callback: not fired again in the same call (no endless loop).
  wheel.arm(node, now);
  std::size_t calls = 0;
  const auto rearm_now = [&](timer_node& n) {
    ++calls;
    wheel.arm(n, now);
  };
  CHECK(wheel.advance(now, rearm_now) == 1);
  CHECK(wheel.advance(now, rearm_now) == 1);
  CHECK(calls == 2);
  CHECK(wheel.cancel(node));
}

TEST_CASE("a callback may cancel or re-arm another node, due or not", "[unit][timer]") {
  fixture f(4);
  const std::uint64_t b = boundary(t0 + 20 * tick);
  // 0 and 1 are due at the same tick and cancel each other: exactly one fires.
  f.wheel.arm(f.nodes[0], b);
  f.wheel.arm(f.nodes[1], b);
  // 2 is due later in the same advance; the first callback pushes it out of this call.
  f.wheel.arm(f.nodes[2], b + 3 * tick);
  // 3 is far away; the first callback cancels it.
  f.wheel.arm(f.nodes[3], b + 100 * s);
  bool first = true;
  std::vector<std::size_t> fired;
  const std::size_t n = f.wheel.advance(b + 5 * tick, [&](timer_node& node) {
    const std::size_t i = f.index(node);
    fired.push_back(i);
    f.wheel.cancel(f.nodes[1 - (i & 1)]);
    if (first) {
      first = false;
      f.wheel.arm(f.nodes[2], b + 50 * tick);
      CHECK(f.wheel.cancel(f.nodes[3]));
    }
  });
  CHECK(n == 1);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0] <= 1);
  CHECK(f.wheel.armed_count() == 1);
  CHECK(f.wheel.armed(f.nodes[2]));
  CHECK(f.advance(b + 49 * tick) == 0);
  CHECK(f.advance(b + 50 * tick) == 1);
  CHECK(f.advance(b + 200 * s) == 0);
}

TEST_CASE("a node armed by a callback fires at a later call, never in the same one", "[unit][timer]") {
  fixture f(3);
  f.wheel.arm(f.nodes[0], t0 + 2 * tick);
  const std::uint64_t now = t0 + 100 * tick;
  std::size_t n = f.wheel.advance(now, [&](timer_node&) {
    f.wheel.arm(f.nodes[1], t0 + 50 * tick);  // <= now: past, due at the next call
    f.wheel.arm(f.nodes[2], now + 1);         // after now: at its tick boundary
  });
  CHECK(n == 1);
  CHECK(f.wheel.armed_count() == 2);
  CHECK(f.advance(now) == 1);
  CHECK(f.fired == std::vector<std::size_t>{1});
  CHECK(f.advance(boundary(now + 1)) == 1);
  CHECK(f.fired == std::vector<std::size_t>{1, 2});
}

TEST_CASE("deadlines beyond the wheel's span wait at the top level and still fire exactly", "[unit][timer]") {
  // A 1.024 us tick: the span is 2^36 ticks = 19.5 h, so a 2-day deadline is parked and re-placed.
  timer_wheel wheel(t0, 10);
  const std::uint64_t t = 1024;
  timer_node near, far, farther;
  const std::uint64_t span_ns = timer_wheel::span_ticks * t;
  wheel.arm(near, t0 + 7200 * s);
  wheel.arm(far, t0 + 2 * 86400 * s);
  wheel.arm(farther, t0 + 3 * span_ns + 17);
  std::vector<timer_node*> fired;
  std::vector<std::uint64_t> fired_at;
  std::uint64_t now = t0;
  const auto record = [&](timer_node& n) {
    fired.push_back(&n);
    fired_at.push_back(now);
  };
  // Steps of about 1 hour, then single ticks around each deadline.
  const std::uint64_t deadlines[] = {t0 + 7200 * s, t0 + 2 * 86400 * s, t0 + 3 * span_ns + 17};
  for (const std::uint64_t d : deadlines) {
    const std::uint64_t b = (d + t - 1) / t * t;
    while (now + 3600 * s < b - t) {
      now += 3600 * s + 12345;
      wheel.advance(now, record);
    }
    now = b - 1;
    wheel.advance(now, record);
    now = b;
    wheel.advance(now, record);
  }
  REQUIRE(fired.size() == 3);
  CHECK(fired[0] == &near);
  CHECK(fired[1] == &far);
  CHECK(fired[2] == &farther);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(fired_at[i] == (deadlines[i] + t - 1) / t * t);
  }
  CHECK(wheel.cascaded_count() > 0);
}

TEST_CASE("the level-0 wheel wraps thousands of times without losing a node", "[unit][timer]") {
  // Start just before a 64-tick and a 4096-tick boundary.
  const std::uint64_t start = ((t0 >> (shift + 12)) + 1) * (tick << 12) - 3 * tick;
  timer_wheel wheel(start);
  timer_node every_tick, every_37_ticks;
  wheel.arm(every_tick, start + tick);
  wheel.arm(every_37_ticks, start + 37 * tick);
  std::size_t a = 0, b = 0;
  std::uint64_t now = start;
  for (int i = 0; i < 20000; ++i) {
    now += tick;
    wheel.advance(now, [&](timer_node& n) {
      if (&n == &every_tick) {
        ++a;
        wheel.arm(n, now + tick);
      } else {
        ++b;
        wheel.arm(n, now + 37 * tick);
      }
    });
  }
  CHECK(a == 20000);
  CHECK(b == 20000 / 37);
}

TEST_CASE("a long idle gap is crossed in one call", "[unit][timer]") {
  timer_wheel wheel(t0);
  timer_node node;
  std::size_t fired = 0;
  const auto count = [&](timer_node&) { ++fired; };
  CHECK(wheel.advance(t0 + 400 * 86400 * s, count) == 0);  // nothing armed: jumps
  const std::uint64_t now = t0 + 400 * 86400 * s;
  wheel.arm(node, now + 30 * 86400 * s);
  CHECK(wheel.advance(now + 30 * 86400 * s - 1, count) == 0);
  CHECK(wheel.advance(now + 31 * 86400 * s, count) == 1);
  CHECK(wheel.current_tick() == (now + 31 * 86400 * s) >> shift);
}

TEST_CASE("next_deadline is never after the earliest deadline and exact in level 0", "[unit][timer]") {
  timer_wheel wheel(t0);
  CHECK(wheel.next_deadline() == UINT64_MAX);
  timer_node a, b;
  wheel.arm(a, t0 + 30 * tick);  // level 0
  CHECK(wheel.next_deadline() == boundary(t0 + 30 * tick));
  wheel.arm(b, t0 + 10 * tick);
  CHECK(wheel.next_deadline() == boundary(t0 + 10 * tick));
  wheel.cancel(a);
  wheel.cancel(b);
  wheel.arm(a, t0 + 3600 * s);  // level 3: a lower bound
  const std::uint64_t bound = wheel.next_deadline();
  CHECK(bound <= boundary(t0 + 3600 * s));
  CHECK(bound > t0);
  // A lower bound for a node 100 ticks out is at most one level-1 slot (64 ticks) early.
  wheel.arm(b, t0 + 100 * tick);
  CHECK(wheel.next_deadline() <= boundary(t0 + 100 * tick));
  CHECK(wheel.next_deadline() + 64 * tick > boundary(t0 + 100 * tick));
}

TEST_CASE("owner_of recovers the object that embeds the node", "[unit][timer]") {
  struct control_block {
    std::uint32_t id;
    std::uint64_t padding[3];
    timer_node timer;
    std::uint8_t tail;
  };
  control_block blocks[2] = {{7, {}, {}, 0}, {9, {}, {}, 0}};
  timer_wheel wheel(t0);
  wheel.arm(blocks[1].timer, t0 + tick);
  wheel.arm(blocks[0].timer, t0 + 2 * tick);
  std::vector<std::uint32_t> ids;
  wheel.advance(t0 + 3 * tick, [&](timer_node& n) {
    control_block& cb = owner_of<control_block, &control_block::timer>(n);
    ids.push_back(cb.id);
  });
  CHECK(ids == std::vector<std::uint32_t>{9, 7});
  CHECK(&owner_of<control_block, &control_block::timer>(blocks[1].timer) == &blocks[1]);
}
