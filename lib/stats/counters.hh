#pragma once
// Per-lcore counters. Each lcore owns one lcore_stats and is its only writer; telemetry and the
// periodic printer read it from the control thread. Counters are relaxed atomics written with a
// plain load+store (no locked RMW: there is one writer), so on x86 an increment costs what a
// plain `++` does while a reader never sees a torn value.
#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include "stats/drop_reason.hh"

// X(name, description). Events that are not drops. docs/stats.md documents every one.
#define RAMPART_EVENT_COUNTERS(X)                                                                  \
  X(rx_packets, "frames received")                                                                 \
  X(rx_bytes, "bytes received (Ethernet header included, FCS excluded)")                          \
  X(tx_packets, "frames transmitted")                                                              \
  X(tx_bytes, "bytes transmitted")                                                                 \
  X(dropped, "frames dropped, all reasons together (see drop.*)")                                  \
  X(arp_requests_answered, "ARP requests for our address that got a reply")                       \
  X(arp_neighbours_learned, "neighbour entries created or refreshed from ARP")                    \
  X(arp_gratuitous_sent, "gratuitous ARP announcements sent")                                      \
  X(icmp_echo_replied, "ICMP echo requests answered")

namespace rampart::stats {

class counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    _value.store(_value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // For gauges (table occupancy and the like), written by the owner only.
  void set(std::uint64_t v) noexcept { _value.store(v, std::memory_order_relaxed); }
  std::uint64_t read() const noexcept { return _value.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> _value{0};
};

struct alignas(64) lcore_stats {
#define RAMPART_X(name, description) counter name;
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  std::array<counter, drop_reason_count> drops;

  void count_drop(drop_reason reason) noexcept {
    drops[static_cast<std::size_t>(reason)].add();
    dropped.add();
  }
  std::uint64_t drops_of(drop_reason reason) const noexcept {
    return drops[static_cast<std::size_t>(reason)].read();
  }
};

inline constexpr std::size_t event_counter_count = 0
#define RAMPART_X(name, description) +1
    RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
    ;

// A plain copy of counters, summed over lcores or taken from one; what readers work with.
struct snapshot {
#define RAMPART_X(name, description) std::uint64_t name = 0;
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  std::array<std::uint64_t, drop_reason_count> drops{};

  void accumulate(const lcore_stats& s) noexcept {
#define RAMPART_X(name, description) name += s.name.read();
    RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
    for (std::size_t i = 0; i < drop_reason_count; ++i) {
      drops[i] += s.drops[i].read();
    }
  }
};

inline snapshot sum(std::span<const lcore_stats* const> per_lcore) noexcept {
  snapshot total;
  for (const lcore_stats* s : per_lcore) {
    total.accumulate(*s);
  }
  return total;
}

}  // namespace rampart::stats
