#pragma once
// One timer facility per worker lcore: a hierarchical timing wheel (Varghese & Lauck, "Hashed and
// Hierarchical Timing Wheels", SOSP 1987, scheme 7) over intrusive nodes. Owned and used by one
// lcore only; nothing here is thread-safe, allocates after construction or throws after
// construction. docs/timers.md has the guarantees, the figures and the reasons for this design.
//
// Time. Callers pass nanoseconds (the engine's TSC clock). The wheel quantises them to a tick of
// 2^tick_shift ns (default 2^20 ns = 1.048576 ms). A deadline is rounded UP to a tick boundary,
// so a node never fires early: it fires at the first advance(now) with now >= that boundary, at
// most one tick plus the polling gap after its deadline. A deadline at or before the `now` of the
// latest advance() is "past": the node fires at the very next advance() call, whatever its now.
//
// Layout. 6 levels of 64 slots. A node placed when it is due 64^L to 64^(L+1) - 1 ticks after the
// current tick goes to level L, slot (deadline_tick >> 6L) & 63; a slot is a doubly linked list
// through the nodes (Linux's hlist: `next` and a pointer to whichever pointer points at the
// node), so arm, re-arm and cancel are O(1) and need no search. When the current tick reaches the
// start of a level-L slot's span, the slot is "cascaded": its nodes are placed again by their
// remaining time, one or more levels down, so a node moves at most once per level. One 64-bit occupancy mask per level finds the next non-empty slot with a rotate
// and a count-trailing-zeros, so advance() jumps over empty ticks (and long idle periods) in
// O(levels) instead of stepping tick by tick. 6 x 6 bits = 2^36 ticks (2.2 years at the default
// tick); a deadline further out waits in the top level and is re-placed when its slot cascades,
// so it is still exact.
//
//   level 0: 64 slots x 1 tick         (next 67 ms at the default tick)
//   level 1: 64 slots x 64 ticks       (4.3 s)
//   level 2: 64 slots x 4096 ticks     (4.6 min)
//   level 3: 64 slots x 2^18 ticks     (4.9 h)
//   level 4, 5: ...                    (13 days, 2.2 years)
//
// Callbacks. advance() unlinks a due node (armed() becomes false) before calling the callback
// with it. A callback may arm, re-arm or cancel any node, the firing one included, and arm new
// ones. A node cancelled or re-armed by a callback before its own turn does not fire in that call.
// A node armed from a callback never fires in the same advance(now) call: a deadline <= now is
// past, so it fires at the next call; a later one is after now's tick. This bounds the work of one
// call and makes "re-arm myself at now" safe. advance() must not be called from a callback, and a
// callback must not throw (the worker loop never throws; nodes due with it would fire late).
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>

namespace rampart::timer {

class timer_wheel;

// Embed one in each object that needs a timer (a connection's control block). Starts unarmed.
// It must not be destroyed, moved or reused by another wheel while armed: cancel it first. Not
// copyable, because a copy of an armed node would be a second entry pointing into the wheel.
class timer_node {
 public:
  timer_node() noexcept = default;
  timer_node(const timer_node&) = delete;
  timer_node& operator=(const timer_node&) = delete;

  // True from arm() until the node fires (just before its callback runs) or is cancelled.
  bool armed() const noexcept { return _pprev != nullptr; }

 private:
  friend class timer_wheel;
  timer_node* _next = nullptr;     // next node in the same slot list
  timer_node** _pprev = nullptr;   // the pointer that points at this node; null when not armed
  std::uint64_t _tick = 0;         // deadline tick (deadline rounded up to a tick boundary)
};
// Three words: it sits in every control block, and smaller is more blocks per cache line.
static_assert(sizeof(timer_node) == 24, "timer_node is next, pprev and the deadline tick");

// The object that embeds `node` as member Member: owner_of<connection, &connection::timer>(node).
// Relies on the Itanium C++ ABI (GCC, Clang on x86-64 and arm64 Linux), where a pointer to data
// member is the member's byte offset; the unit tests check it against the real address.
template <class T, timer_node T::*Member>
T& owner_of(timer_node& node) noexcept {
  static_assert(sizeof(Member) == sizeof(std::ptrdiff_t), "pointer to data member is not an offset");
  const auto offset = std::bit_cast<std::ptrdiff_t>(Member);
  return *reinterpret_cast<T*>(reinterpret_cast<std::byte*>(&node) - offset);
}

class timer_wheel {
 public:
  static constexpr unsigned default_tick_shift = 20;  // 2^20 ns = 1.048576 ms
  static constexpr unsigned min_tick_shift = 10;      // 1.024 us
  static constexpr unsigned max_tick_shift = 30;      // 1.07 s
  static constexpr unsigned level_bits = 6;
  static constexpr unsigned slots_per_level = 1U << level_bits;
  static constexpr unsigned levels = 6;
  // Deadlines up to this many ticks ahead are placed directly; further ones wait at the top.
  static constexpr std::uint64_t span_ticks = std::uint64_t{1} << (level_bits * levels);

  // now_ns: the clock's current value (the wheel starts at its tick). Throws std::invalid_argument
  // when tick_shift is outside [min_tick_shift, max_tick_shift]; start-up only.
  explicit timer_wheel(std::uint64_t now_ns, unsigned tick_shift = default_tick_shift);
  // Not copyable or movable: armed nodes point into the slot array.
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  // Arms node to fire at deadline_ns, or moves it there when it is already armed on this wheel.
  // O(1). A deadline <= the now of the latest advance() fires at the next advance(). Re-arming
  // to the tick the node already has touches only the node: an RTO pushed later by ACKs that
  // come less than a tick apart stays where it is.
  void arm(timer_node& node, std::uint64_t deadline_ns) noexcept {
    if (deadline_ns <= _now) [[unlikely]] {
      arm_past(node);
      return;
    }
    // tick > _tick, as _now >= the start of _tick; a node on the past list has _tick == _tick (the
    // list is drained before the wheel moves on), so it never matches.
    const std::uint64_t tick = (deadline_ns >> _shift) + ((deadline_ns & _tick_mask) != 0 ? 1 : 0);
    if (node.armed()) {
      if (node._tick == tick) {
        return;
      }
      unlink(node);
    } else {
      ++_armed;
    }
    node._tick = tick;
    place(node);
  }

  // Disarms node. Returns false (and does nothing) when it was not armed. O(1).
  bool cancel(timer_node& node) noexcept {
    if (!node.armed()) {
      return false;
    }
    unlink(node);
    --_armed;
    return true;
  }

  static bool armed(const timer_node& node) noexcept { return node.armed(); }
  // The now (ns) of the latest advance(), or of construction.
  std::uint64_t now_ns() const noexcept { return _now; }

  // Fires, in deadline-tick order, every node armed with a deadline tick <= now's tick, and every
  // node armed with a past deadline: unlinks each and calls on_expiry(timer_node&). Returns how
  // many fired. `now` values smaller than an earlier one are treated as that earlier one. With
  // nothing due this is two compares and a store (the worker calls it every loop turn).
  template <class F>
  std::size_t advance(std::uint64_t now_ns, F&& on_expiry) {
    assert(!_advancing && "advance() called from a timer callback");
    _now = now_ns > _now ? now_ns : _now;
    if ((_now >> _shift) <= _tick && _past == nullptr) [[likely]] {
      return 0;
    }
    return advance_slow(on_expiry);
  }

  // A lower bound on the time of the next expiry, in ns: the start of the earliest occupied tick,
  // exact when the earliest node is in level 0. The latest now when a past node is waiting;
  // UINT64_MAX when nothing is armed. O(levels).
  std::uint64_t next_deadline() const noexcept;

  std::uint64_t armed_count() const noexcept { return _armed; }
  std::uint64_t tick_ns() const noexcept { return _tick_mask + 1; }
  // The tick processed last: every node due at or before it has fired.
  std::uint64_t current_tick() const noexcept { return _tick; }
  // Nodes moved down a level so far (each node at most once per level it started above 0).
  std::uint64_t cascaded_count() const noexcept { return _cascaded; }

 private:
  static constexpr std::uint64_t no_tick = UINT64_MAX;

  // Unlinks node from its list; clears the slot's occupancy bit when the list becomes empty.
  void unlink(timer_node& node) noexcept {
    timer_node* const next = node._next;
    timer_node** const pprev = node._pprev;
    *pprev = next;
    if (next != nullptr) {
      next->_pprev = pprev;
    } else {
      // pprev is a slot head only for the first node of a slot; then the slot is now empty.
      const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(pprev) - reinterpret_cast<std::uintptr_t>(_slots);
      if (offset < sizeof(_slots)) {
        const std::size_t index = offset / sizeof(_slots[0]);
        _occupied[index / slots_per_level] &= ~(std::uint64_t{1} << (index % slots_per_level));
      }
    }
    node._pprev = nullptr;
  }

  void arm_past(timer_node& node) noexcept {
    if (node.armed()) {
      unlink(node);
    } else {
      ++_armed;
    }
    node._tick = _tick;
    link(node, _past);
  }

  static void link(timer_node& node, timer_node*& head) noexcept {
    node._next = head;
    if (head != nullptr) {
      head->_pprev = &node._next;
    }
    head = &node;
    node._pprev = &head;
  }

  // Puts node (its _tick >= _tick) into the slot for its deadline relative to the current tick.
  void place(timer_node& node) noexcept {
    std::uint64_t tick = node._tick;
    std::uint64_t delta = tick - _tick;
    if (delta >= span_ticks) [[unlikely]] {
      // Beyond the top level: park in the top-level slot that cascades last; re-placed from there.
      delta = span_ticks - 1;
      tick = _tick + delta;
    }
    // Level = floor(log64(delta)); delta 0 (a cascade at the node's own tick) is level 0.
    const unsigned level = static_cast<unsigned>(std::bit_width(delta | 1) - 1) / level_bits;
    const unsigned slot = static_cast<unsigned>(tick >> (level * level_bits)) % slots_per_level;
    link(node, _slots[level * slots_per_level + slot]);
    _occupied[level] |= std::uint64_t{1} << slot;
  }

  template <class F>
  [[gnu::noinline]] std::size_t advance_slow(F& on_expiry);

  // The earliest tick > _tick whose slot may hold a node, or no_tick.
  std::uint64_t earliest_tick() const noexcept;
  // Re-places the nodes of every level-L slot whose span starts at tick (the current tick).
  void cascade(std::uint64_t tick) noexcept;

  // Unlinks, counts and fires every node of one list. Nodes that a callback adds to the list
  // while it runs are fired too; callers make sure none can be added (see advance_slow).
  template <class F>
  std::size_t fire_list(timer_node*& head, F& on_expiry) {
    std::size_t fired = 0;
    while (timer_node* node = head) {
      unlink(*node);
      --_armed;
      ++fired;
      on_expiry(*node);
    }
    return fired;
  }

  timer_node* _slots[levels * slots_per_level] = {};  // slot heads, level-major
  std::uint64_t _occupied[levels] = {};               // bit s of level L: slot s is not empty
  timer_node* _past = nullptr;   // nodes armed with a past deadline: fire at the next advance
  std::uint64_t _now;            // the latest advance()'s now (ns), non-decreasing
  std::uint64_t _tick;           // the last tick processed
  std::uint64_t _tick_mask;      // tick_ns - 1
  unsigned _shift;
  std::uint64_t _armed = 0;
  std::uint64_t _cascaded = 0;
  bool _advancing = false;
};

template <class F>
std::size_t timer_wheel::advance_slow(F& on_expiry) {
  struct advancing_flag {
    bool& flag;
    explicit advancing_flag(bool& f) noexcept : flag(f) { flag = true; }
    ~advancing_flag() { flag = false; }
  } guard(_advancing);
  std::size_t fired = 0;
  // Past nodes first. The list is taken whole: a callback that re-arms a node in the past puts it
  // on the (new) _past list, for the next call, so "re-arm myself at now" cannot loop forever.
  if (_past != nullptr) {
    timer_node* taken = _past;
    _past = nullptr;
    taken->_pprev = &taken;
    fired += fire_list(taken, on_expiry);
  }
  // Then occupied tick by occupied tick up to now's. A node armed by a callback goes to _past or
  // is due after `target`, so this loop never fires it, and no slot being fired gains a node.
  const std::uint64_t target = _now >> _shift;
  while (_tick < target) {
    std::uint64_t next = no_tick;
    // Fast case: an occupied level-0 slot later in the current 64-tick rotation (upper levels
    // cannot hold anything due before the next rotation starts).
    const unsigned next_slot = static_cast<unsigned>(_tick + 1) % slots_per_level;
    if (next_slot != 0) {
      const std::uint64_t later = _occupied[0] >> next_slot;
      if (later != 0) {
        next = _tick + 1 + static_cast<unsigned>(std::countr_zero(later));
      }
    }
    if (next == no_tick) {
      next = earliest_tick();
    }
    if (next > target) {
      // Nothing due up to target: the skipped boundaries had nothing to cascade (their slots
      // would have given an earlier `next`), so the wheel stays consistent at target.
      _tick = target;
      break;
    }
    _tick = next;
    if (next % slots_per_level == 0) {
      cascade(next);
    }
    fired += fire_list(_slots[next % slots_per_level], on_expiry);
  }
  return fired;
}

}  // namespace rampart::timer
