// rampart::timer::timer_wheel against DPDK's rte_timer (a skiplist per lcore) and a plain
// std::multimap (an ordered tree, nodes kept as handles so it allocates nothing once built), in
// the same run, each holding 1M armed timers. Figures and the command that reproduces them:
// docs/timers.md.
//
// One clock for all: rte_timer reads the TSC itself (expiry = TSC at rte_timer_reset + ticks,
// checked against the TSC in rte_timer_manage) and cannot be given a fake clock, so every subject
// runs on the real TSC, converted to ns for the others by the engine's own tsc_clock. Deadlines
// are the same delays for every subject: ns for the wheel and the map, TSC ticks for rte_timer.
//
// Benchmarks, each reporting ns_per_op (thread CPU time per operation) and bytes_per_timer:
//   rearm         re-arm a random armed timer to now + U(200 ms, 1 s) (an RTO pushed on an ACK)
//   rearm_pushed  the same 1024 timers re-armed each batch to now + their own RTO (busy
//                 connections: the deadline moves by microseconds, mostly within its tick)
//   cancel        disarm an armed timer
//   advance_idle  advance/manage with nothing due: 1M timers 60-120 s out, the clock read inside
//   advance_idle_given_now   the wheel only: `now` already read by the loop (what the worker does)
//   fire          per timer fired: 1024 timers due within 2 ms among the 1M, fired by one call
//   ack_loop      per simulated ACK, on a fake clock (wheel and map only): loop turns of 32 ACKs,
//                 each re-arming a random timer to now + U(200 ms, 1 s), then one advance; a fired
//                 timer is re-armed 1 s out (a retransmission). Timers fire when their connection
//                 gets no ACK in time.
#include <benchmark/benchmark.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_timer.h>

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_eal.hh"
#include "engine/tsc_clock.hh"
#include "timer/timer_wheel.hh"

namespace {

using rampart::timer::timer_node;
using rampart::timer::timer_wheel;

constexpr std::size_t timer_count = 1'000'000;
constexpr std::size_t batch = 1024;        // operations per timed batch (rearm, cancel, fire)
constexpr std::size_t acks_per_turn = 32;  // one RX burst of ACKs per loop turn
constexpr std::uint64_t ms = 1'000'000;

rampart::engine::tsc_clock bench_clock;
std::uint64_t tsc_hz = 1;

std::uint64_t now_ns() noexcept { return bench_clock.now_ns(rte_rdtsc()); }
std::uint64_t cycles_of(std::uint64_t ns) noexcept {
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(ns) * tsc_hz / 1'000'000'000);
}

// Thread CPU time: the host is shared, and time spent preempted is not the subject's.
double cpu_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// A delay, in ns for the wheel and the map and in TSC ticks for rte_timer.
struct delay {
  std::uint64_t ns;
  std::uint64_t cycles;
};

// Random operands shared by every subject: a permutation of the timers (so one batch touches
// distinct, armed timers) and delays drawn from one range.
struct operands {
  std::vector<std::uint32_t> order;
  std::vector<delay> delays;
  operands(std::size_t n, std::uint64_t min_ns, std::uint64_t max_ns, std::uint64_t seed) : order(n), delays(n) {
    std::mt19937_64 rng(seed);
    std::iota(order.begin(), order.end(), 0U);
    std::shuffle(order.begin(), order.end(), rng);
    for (delay& d : delays) {
      d.ns = min_ns + rng() % (max_ns - min_ns);
      d.cycles = cycles_of(d.ns);
    }
  }
};

// ---- the three subjects, behind one shape ----

struct wheel_subject {
  static constexpr const char* name = "rampart_wheel";
  timer_wheel wheel;
  std::unique_ptr<timer_node[]> nodes;
  std::size_t n;
  delay refire{};  // re-arm a fired timer this far out (ack_loop); 0: do not
  std::uint64_t now = 0;

  explicit wheel_subject(std::size_t count, unsigned tick_shift = timer_wheel::default_tick_shift)
      : wheel(now_ns(), tick_shift), nodes(std::make_unique<timer_node[]>(count)), n(count) {}
  ~wheel_subject() {
    for (std::size_t i = 0; i < n; ++i) {
      wheel.cancel(nodes[i]);
    }
  }
  double bytes_per_timer() const { return sizeof(timer_node) + double(sizeof(timer_wheel)) / double(n); }
  bool arm(std::size_t i, std::uint64_t t, delay d) {
    wheel.arm(nodes[i], t + d.ns);
    return true;
  }
  void cancel(std::size_t i) { wheel.cancel(nodes[i]); }
  std::size_t poll(std::uint64_t t) {
    now = t;
    return wheel.advance(t, [this](timer_node& node) {
      if (refire.ns != 0) {
        wheel.arm(node, now + refire.ns);
      }
    });
  }
  std::size_t poll_now() { return poll(now_ns()); }
};

struct rte_timer_subject {
  static constexpr const char* name = "rte_timer";
  std::unique_ptr<rte_timer[]> timers;
  std::size_t n;
  unsigned lcore = rte_lcore_id();
  delay refire{};
  std::size_t fired = 0;
  std::size_t failures = 0;  // rte_timer_reset refusals (none expected on one lcore)

  explicit rte_timer_subject(std::size_t count) : timers(std::make_unique<rte_timer[]>(count)), n(count) {
    for (std::size_t i = 0; i < n; ++i) {
      rte_timer_init(&timers[i]);
    }
  }
  ~rte_timer_subject() {
    for (std::size_t i = 0; i < n; ++i) {
      rte_timer_stop(&timers[i]);
    }
  }
  double bytes_per_timer() const { return sizeof(rte_timer); }
  static void on_expiry(rte_timer* t, void* arg) {
    auto* self = static_cast<rte_timer_subject*>(arg);
    ++self->fired;
    if (self->refire.cycles != 0) {
      self->failures += rte_timer_reset(t, self->refire.cycles, SINGLE, self->lcore, on_expiry, self) == 0 ? 0 : 1;
    }
  }
  bool arm(std::size_t i, std::uint64_t, delay d) {
    return rte_timer_reset(&timers[i], d.cycles, SINGLE, lcore, on_expiry, this) == 0;
  }
  void cancel(std::size_t i) { rte_timer_stop(&timers[i]); }
  std::size_t poll(std::uint64_t) { return poll_now(); }
  std::size_t poll_now() {
    const std::size_t before = fired;
    rte_timer_manage();  // reads the TSC itself
    return fired - before;
  }
};

struct multimap_subject {
  static constexpr const char* name = "std_multimap";
  using map_type = std::multimap<std::uint64_t, std::uint32_t>;
  map_type map;
  std::vector<map_type::iterator> where;  // map.end(): not armed
  std::vector<map_type::node_type> idle;  // the node of a timer that is not armed
  std::size_t n;
  delay refire{};
  std::uint64_t now = 0;
  double heap_bytes = 0;

  explicit multimap_subject(std::size_t count) : where(count), idle(count), n(count) {
    const std::size_t before = mallinfo2().uordblks;
    for (std::size_t i = 0; i < n; ++i) {
      idle[i] = map.extract(map.emplace(0, static_cast<std::uint32_t>(i)));
      where[i] = map.end();
    }
    heap_bytes = double(mallinfo2().uordblks - before);
  }
  double bytes_per_timer() const {
    return sizeof(map_type::iterator) + sizeof(map_type::node_type) + heap_bytes / double(n);
  }
  bool arm(std::size_t i, std::uint64_t t, delay d) {
    map_type::node_type node = where[i] != map.end() ? map.extract(where[i]) : std::move(idle[i]);
    node.key() = t + d.ns;
    where[i] = map.insert(std::move(node));
    return true;
  }
  void cancel(std::size_t i) {
    if (where[i] != map.end()) {
      idle[i] = map.extract(where[i]);
      where[i] = map.end();
    }
  }
  std::size_t poll(std::uint64_t t) {
    now = t;
    std::size_t fired = 0;
    while (!map.empty() && map.begin()->first <= t) {
      const std::uint32_t i = map.begin()->second;
      idle[i] = map.extract(map.begin());
      where[i] = map.end();
      ++fired;
      if (refire.ns != 0) {
        arm(i, t, refire);
      }
    }
    return fired;
  }
  std::size_t poll_now() { return poll(now_ns()); }
};

// A subject with `count` timers, the first timer_count armed at now + U(min, max).
template <class Subject, class... Args>
std::unique_ptr<Subject> populated(std::size_t count, std::uint64_t min_ns, std::uint64_t max_ns, Args... args) {
  auto s = std::make_unique<Subject>(count, args...);
  const operands ops(timer_count, min_ns, max_ns, 1);
  const std::uint64_t t = now_ns();
  for (std::size_t i = 0; i < timer_count; ++i) {
    s->arm(i, t, ops.delays[i]);
  }
  return s;
}

void report(benchmark::State& state, double ns, std::size_t ops, double bytes) {
  state.counters["ns_per_op"] = ns / static_cast<double>(ops);
  state.counters["bytes_per_timer"] = bytes;
}

// busy = false: each batch re-arms 1024 other random timers. busy = true (rearm_pushed): busy
// connections, the same 1024 timers re-armed batch after batch to now + their own fixed RTO, so
// each deadline moves by the time a batch takes (tens of us for the wheel) and most re-arms stay
// in the timer's tick.
template <class Subject>
void rearm(benchmark::State& state, bool busy) {
  auto s = populated<Subject>(timer_count, 200 * ms, 1000 * ms);
  const operands ops(timer_count, 200 * ms, 1000 * ms, 2);
  std::size_t cursor = 0;
  std::size_t refused = 0;
  double ns = 0;
  for (auto _ : state) {
    const std::uint64_t t = now_ns();  // one clock read per burst, as the worker does
    const double t0 = cpu_ns();
    for (std::size_t k = 0; k < batch; ++k) {
      refused += s->arm(ops.order[cursor + k], t, ops.delays[cursor + k]) ? 0 : 1;
    }
    const double elapsed = cpu_ns() - t0;
    state.SetIterationTime(elapsed * 1e-9);
    ns += elapsed;
    if (!busy) {
      cursor = cursor + 2 * batch > timer_count ? 0 : cursor + batch;
    }
    s->poll_now();
  }
  if (refused != 0) {
    state.SkipWithError("a re-arm was refused");
  }
  report(state, ns, state.iterations() * batch, s->bytes_per_timer());
}

template <class Subject>
void cancel(benchmark::State& state) {
  auto s = populated<Subject>(timer_count, 200 * ms, 1000 * ms);
  const operands ops(timer_count, 200 * ms, 1000 * ms, 3);
  std::size_t cursor = 0;
  double ns = 0;
  for (auto _ : state) {
    const double t0 = cpu_ns();
    for (std::size_t k = 0; k < batch; ++k) {
      s->cancel(ops.order[cursor + k]);
    }
    const double elapsed = cpu_ns() - t0;
    state.SetIterationTime(elapsed * 1e-9);
    ns += elapsed;
    const std::uint64_t t = now_ns();
    for (std::size_t k = 0; k < batch; ++k) {
      s->arm(ops.order[cursor + k], t, ops.delays[cursor + k]);
    }
    cursor = cursor + 2 * batch > timer_count ? 0 : cursor + batch;
    s->poll_now();
  }
  report(state, ns, state.iterations() * batch, s->bytes_per_timer());
}

template <class Subject>
void advance_idle(benchmark::State& state) {
  auto s = populated<Subject>(timer_count, 60'000 * ms, 120'000 * ms);
  std::size_t fired = 0;
  const double t0 = cpu_ns();
  for (auto _ : state) {
    fired += s->poll_now();
  }
  const double ns = cpu_ns() - t0;
  if (fired != 0) {
    state.SkipWithError("a timer fired");
  }
  report(state, ns, state.iterations(), s->bytes_per_timer());
}

// The wheel as the worker calls it: with the `now` its loop turn already has.
void advance_idle_given_now(benchmark::State& state) {
  auto s = populated<wheel_subject>(timer_count, 60'000 * ms, 120'000 * ms);
  std::uint64_t t = now_ns();
  std::size_t fired = 0;
  const double t0 = cpu_ns();
  for (auto _ : state) {
    t += 50;  // a loop turn with an empty RX burst
    fired += s->poll(t);
  }
  const double ns = cpu_ns() - t0;
  if (fired != 0) {
    state.SkipWithError("a timer fired");
  }
  report(state, ns, state.iterations(), s->bytes_per_timer());
}

template <class Subject>
void fire(benchmark::State& state) {
  auto s = populated<Subject>(timer_count + batch, 60'000 * ms, 120'000 * ms);
  const operands ops(batch, 0, 2 * ms, 4);
  double ns = 0;
  std::size_t fired = 0;
  std::size_t refused = 0;
  for (auto _ : state) {
    std::uint64_t t = now_ns();
    for (std::size_t k = 0; k < batch; ++k) {
      refused += s->arm(timer_count + k, t, ops.delays[k]) ? 0 : 1;
    }
    // Wait (untimed) until all 1024 are due: rte_timer counts each delay from its own reset, so
    // from the end of the arming loop; plus one 1.05 ms wheel tick.
    const std::uint64_t due = now_ns() + 2 * ms + 2 * ms;
    while ((t = now_ns()) < due) {
    }
    const double t0 = cpu_ns();
    fired += s->poll(t);
    const double elapsed = cpu_ns() - t0;
    state.SetIterationTime(elapsed * 1e-9);
    ns += elapsed;
  }
  if (fired != state.iterations() * batch || refused != 0) {
    state.SkipWithError("not every due timer fired");
  }
  report(state, ns, fired, s->bytes_per_timer());
}

template <class Subject>
std::uint64_t cascaded_count(const Subject& s) {
  if constexpr (std::is_same_v<Subject, wheel_subject>) {
    return s.wheel.cascaded_count();
  } else {
    return 0;
  }
}

// A fake clock, 10 us per loop turn of 32 ACKs (3.2 M ACKs/s on the core): each of the 1M
// connections gets an ACK every 0.31 s on average, so the RTO of some runs out first. Not for
// rte_timer, which reads the TSC itself: on the real clock the slower subject sees more of its
// timers fire (fewer ACKs per second of real time), and the comparison would measure that.
template <class Subject, class... Args>
void ack_loop(benchmark::State& state, Args... args) {
  constexpr std::uint64_t turn_ns = 10'000;
  auto s = populated<Subject>(timer_count, 200 * ms, 1000 * ms, args...);
  s->refire = delay{1000 * ms, cycles_of(1000 * ms)};
  const operands ops(timer_count, 200 * ms, 1000 * ms, 5);
  std::size_t cursor = 0;
  std::size_t fired = 0;
  std::uint64_t t = now_ns();
  const auto turn = [&] {
    t += turn_ns;
    for (std::size_t k = 0; k < acks_per_turn; ++k) {
      s->arm(ops.order[cursor + k], t, ops.delays[cursor + k]);
    }
    cursor = cursor + 2 * acks_per_turn > timer_count ? 0 : cursor + acks_per_turn;
    fired += s->poll(t);
  };
  // Untimed warm-up past the longest initial deadline: the timed part sees the steady state.
  for (std::uint64_t warm = 0; warm < 1200 * ms; warm += turn_ns) {
    turn();
  }
  fired = 0;
  const std::uint64_t cascaded_before = cascaded_count(*s);
  const double t0 = cpu_ns();
  for (auto _ : state) {
    turn();
  }
  const double ns = cpu_ns() - t0;
  const std::size_t acks = state.iterations() * acks_per_turn;
  report(state, ns, acks, s->bytes_per_timer());
  state.counters["fired_per_1k_acks"] = 1000.0 * double(fired) / double(acks);
  if constexpr (std::is_same_v<Subject, wheel_subject>) {
    state.counters["cascaded_per_1k_acks"] = 1000.0 * double(cascaded_count(*s) - cascaded_before) / double(acks);
  }
}

template <class Subject>
void register_subject() {
  const std::string suffix = std::string("/") + Subject::name;
  // Fixed iteration counts: each run builds its own 1M-timer population (rte_timer's must not go
  // stale between runs), so letting the library probe iteration counts would rebuild it often.
  benchmark::RegisterBenchmark(("rearm" + suffix).c_str(), rearm<Subject>, false)->UseManualTime()->Iterations(2000);
  benchmark::RegisterBenchmark(("rearm_pushed" + suffix).c_str(), rearm<Subject>, true)->UseManualTime()->Iterations(2000);
  benchmark::RegisterBenchmark(("cancel" + suffix).c_str(), cancel<Subject>)->UseManualTime()->Iterations(2000);
  benchmark::RegisterBenchmark(("advance_idle" + suffix).c_str(), advance_idle<Subject>)->Iterations(20'000'000);
  benchmark::RegisterBenchmark(("fire" + suffix).c_str(), fire<Subject>)->UseManualTime()->Iterations(100);
}

}  // namespace

int main(int argc, char** argv) {
  // rte_timer keeps its per-lcore lists in a memzone: it needs EAL.
  if (!rampart::bench::start_eal("timer_bench", 512)) {
    return 1;
  }
  if (rte_timer_subsystem_init() < 0) {
    std::fprintf(stderr, "rte_timer_subsystem_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  tsc_hz = rte_get_tsc_hz();
  bench_clock = rampart::engine::tsc_clock(rte_rdtsc(), 0, tsc_hz);

  register_subject<wheel_subject>();
  register_subject<rte_timer_subject>();
  register_subject<multimap_subject>();
  benchmark::RegisterBenchmark("advance_idle_given_now/rampart_wheel", advance_idle_given_now)->Iterations(20'000'000);
  // 100k turns: 1 s of the fake clock.
  benchmark::RegisterBenchmark("ack_loop/rampart_wheel", ack_loop<wheel_subject>)->Iterations(100'000);
  // The tick is the wheel's one tuning knob: 2^18 ns (0.26 ms) and 2^22 ns (4.2 ms) for contrast.
  for (const unsigned tick_shift : {18U, 22U}) {
    const std::string name = "ack_loop/rampart_wheel_tick" + std::to_string(tick_shift);
    benchmark::RegisterBenchmark(name.c_str(), ack_loop<wheel_subject, unsigned>, tick_shift)->Iterations(100'000);
  }
  benchmark::RegisterBenchmark("ack_loop/std_multimap", ack_loop<multimap_subject>)->Iterations(100'000);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rte_timer_subsystem_finalize();
  rte_eal_cleanup();
  return 0;
}
