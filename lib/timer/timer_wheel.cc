#include "timer/timer_wheel.hh"

#include <stdexcept>

namespace rampart::timer {

timer_wheel::timer_wheel(std::uint64_t now_ns, unsigned tick_shift)
    : _now(now_ns), _tick(0), _tick_mask(0), _shift(tick_shift) {
  if (tick_shift < min_tick_shift || tick_shift > max_tick_shift) {
    throw std::invalid_argument("timer_wheel: tick_shift must be in [10, 30] (a tick of 2^tick_shift ns)");
  }
  _tick = now_ns >> tick_shift;
  _tick_mask = (std::uint64_t{1} << tick_shift) - 1;
}

std::uint64_t timer_wheel::earliest_tick() const noexcept {
  std::uint64_t earliest = no_tick;
  for (unsigned level = 0; level < levels; ++level) {
    if (_occupied[level] == 0) {
      continue;
    }
    // Level L's slot s holds nodes whose (tick >> 6L) is the one period in [p + 1, p + 64] that
    // is s modulo 64, p being the current tick's period. Rotating the mask so that bit 0 is
    // period p + 1 makes the first set bit the earliest period.
    const unsigned shift = level * level_bits;
    const std::uint64_t period = _tick >> shift;
    const unsigned first = static_cast<unsigned>(period + 1) % slots_per_level;
    const std::uint64_t rotated = std::rotr(_occupied[level], static_cast<int>(first));
    const std::uint64_t start = (period + 1 + static_cast<unsigned>(std::countr_zero(rotated))) << shift;
    earliest = start < earliest ? start : earliest;
  }
  return earliest;
}

void timer_wheel::cascade(std::uint64_t tick) noexcept {
  // Top level first; a node moves down to wherever its remaining time puts it, possibly several
  // levels at once. Nodes re-placed here never land in a slot cascaded at this same tick.
  for (unsigned level = levels - 1; level >= 1; --level) {
    const unsigned shift = level * level_bits;
    if ((tick & ((std::uint64_t{1} << shift) - 1)) != 0) {
      continue;
    }
    const unsigned slot = static_cast<unsigned>(tick >> shift) % slots_per_level;
    timer_node*& head = _slots[level * slots_per_level + slot];
    if (head == nullptr) {
      continue;
    }
    // Take the whole list first: a node parked beyond the top level can go back to this slot.
    timer_node* taken = head;
    head = nullptr;
    _occupied[level] &= ~(std::uint64_t{1} << slot);
    while (timer_node* node = taken) {
      taken = node->_next;
      place(*node);
      ++_cascaded;
    }
  }
}

std::uint64_t timer_wheel::next_deadline() const noexcept {
  if (_past != nullptr) {
    return _now;
  }
  const std::uint64_t tick = earliest_tick();
  return tick == no_tick ? UINT64_MAX : tick << _shift;
}

}  // namespace rampart::timer
