#pragma once
// The cookie clock and the keys a worker holds for it.
//
// Time enters cookies as a coarse counter, the *tick*: Unix time in ns divided by 16 s. Unix time
// (not the TSC, not uptime) so that several nodes with synchronised clocks compute the same tick
// and can check each other's cookies (docs/syncookies.md, "Several nodes").
//
// Keys rotate every `rotation_seconds`, a multiple of the tick, so every key epoch is a whole
// number of ticks: epoch = tick / ticks_per_epoch = unix_seconds / rotation_seconds. A cookie
// carries its tick's low bits, so a checker recovers the full tick and from it the one epoch, and
// thus the one key, that can have made it: no trial of several keys (docs/syncookies.md,
// "Rotation").
//
// key_set is a small trivially copyable value: the control thread builds it (key_schedule.hh) and
// pushes it to each worker through a boost::lockfree::spsc_queue; the worker assigns it over its
// own copy between bursts. It holds up to three epochs, previous / current / next, in slot
// `epoch % 3`: previous covers cookies made before the last rotation that are still inside the
// validity window, next covers a peer node whose clock is slightly ahead (and a control thread
// that publishes late). No operator<< and no to_string: it contains secrets.
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "cookie/siphash.hh"

namespace rampart::cookie {

inline constexpr std::uint64_t tick_seconds = 16;
inline constexpr std::uint64_t tick_ns = tick_seconds * 1'000'000'000ULL;

// The cookie tick at Unix time `unix_ns`.
constexpr std::uint64_t tick_at(std::uint64_t unix_ns) noexcept { return unix_ns / tick_ns; }

// Validity window, in ticks relative to the tick a cookie was made in (see syn_cookie.hh): a
// cookie made in tick c is accepted while the checker's tick n satisfies
//   c - max_future_ticks <= n <= c + max_age_ticks.
inline constexpr std::uint64_t max_age_ticks = 3;     // 48 s < lifetime <= 64 s
inline constexpr std::uint64_t max_future_ticks = 1;  // tolerates a peer clock up to 16 s ahead

// Shortest rotation period: an epoch must span the whole age window, so that the ticks a checker
// may see (n - max_age .. n + max_future) fall in at most the epochs previous, current and next.
inline constexpr std::uint32_t min_rotation_seconds =
    static_cast<std::uint32_t>((max_age_ticks + 1) * tick_seconds);  // 64 s

class key_set {
 public:
  static constexpr std::size_t slot_count = 3;

  // An empty set (every lookup fails) for epochs of `ticks_per_epoch` ticks (>= 1; 0 is treated
  // as 1 so that no division by zero is possible on the hot path).
  constexpr explicit key_set(std::uint32_t ticks_per_epoch = min_rotation_seconds / tick_seconds) noexcept
      : _ticks_per_epoch(ticks_per_epoch == 0 ? 1 : ticks_per_epoch) {}

  constexpr std::uint32_t ticks_per_epoch() const noexcept { return _ticks_per_epoch; }
  constexpr std::uint64_t epoch_of_tick(std::uint64_t tick) const noexcept { return tick / _ticks_per_epoch; }

  // Stores `key` for `epoch`, replacing whatever epoch shared its slot (epoch - 3, epoch + 3).
  constexpr void put(std::uint64_t epoch, const siphash_key& key) noexcept {
    _slots[epoch % slot_count] = {epoch, epoch * _ticks_per_epoch, key, true};
  }

  // The key of `epoch`, or nullptr when this set does not hold it.
  constexpr const siphash_key* find(std::uint64_t epoch) const noexcept {
    const slot& s = _slots[epoch % slot_count];
    return (s.present && s.epoch == epoch) ? &s.key : nullptr;
  }

  // The key of the epoch containing `tick`. Compares against each slot's tick range instead of
  // dividing by ticks_per_epoch: a 64-bit division by a run-time value was most of the non-MAC
  // cost of make/check (perf/bench/cookie, docs/syncookies.md).
  constexpr const siphash_key* find_for_tick(std::uint64_t tick) const noexcept {
    for (const slot& s : _slots) {
      if (s.present && tick - s.first_tick < _ticks_per_epoch) {  // unsigned: tick < first wraps high
        return &s.key;
      }
    }
    return nullptr;
  }

  // Highest epoch held (0 when empty); lets the control thread tell whether a worker's set is
  // stale without comparing key material.
  constexpr std::uint64_t newest_epoch() const noexcept {
    std::uint64_t newest = 0;
    for (const slot& s : _slots) {
      if (s.present && s.epoch > newest) {
        newest = s.epoch;
      }
    }
    return newest;
  }

 private:
  struct slot {
    std::uint64_t epoch = 0;
    std::uint64_t first_tick = 0;  // epoch * ticks_per_epoch
    siphash_key key{};
    bool present = false;
  };
  std::uint32_t _ticks_per_epoch;
  std::array<slot, slot_count> _slots{};
};

// spsc_queue and a by-value swap need a plain copy: no destructor, no pointers.
static_assert(std::is_trivially_copyable_v<key_set>);
static_assert(sizeof(key_set) <= 128, "two cache lines at most: it is copied per rotation, per worker");

}  // namespace rampart::cookie
