// The listener's memory of recent cookie SYN-ACKs (tcp/recent_cookies.hh): record, lookup,
// overwrite, forget, and that one flow hash is never answered with another's SYN.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <stdexcept>

#include "tcp/recent_cookies.hh"

using rampart::tcp::recent_cookies;
using rampart::tcp::remembered_syn;

namespace {

// The first hash after `hash` (in steps of `step`) that lands in the same slot.
std::uint32_t same_slot_as(const recent_cookies& m, std::uint32_t hash, std::uint32_t step = 1) {
  for (std::uint32_t h = hash + step;; h += step) {
    if (m.slot_of(h) == m.slot_of(hash)) {
      return h;
    }
  }
}

}  // namespace

TEST_CASE("recent cookies: a recorded SYN is found by its hash, and only by it", "[unit][tcp][recent_cookies]") {
  recent_cookies m{4096};
  CHECK(m.entries() == 4096);
  CHECK_FALSE(m.lookup(0x1234'5678).has_value());  // nothing recorded yet
  m.record(0x1234'5678, {1000, 5000});
  CHECK(m.lookup(0x1234'5678) == remembered_syn{1000, 5000});
  CHECK_FALSE(m.lookup(0x1234'5679).has_value());
  // A SYN retransmitted, or a new one from the same tuple: the latest is kept.
  m.record(0x1234'5678, {2000, 0});
  CHECK(m.lookup(0x1234'5678) == remembered_syn{2000, 0});
  // Hash 0 and a SYN of all zeroes are ordinary values, not "free".
  m.record(0, {0, 0});
  CHECK(m.lookup(0) == remembered_syn{0, 0});
}

TEST_CASE("recent cookies: a hash of the same slot is a tag mismatch, and overwrites", "[unit][tcp][recent_cookies]") {
  recent_cookies m{4096};
  const std::uint32_t a = 0xdead'beef;
  const std::uint32_t b = same_slot_as(m, a);
  REQUIRE(b != a);
  m.record(a, {1000, 5000});
  // Same slot, other tag: not a's SYN.
  CHECK_FALSE(m.lookup(b).has_value());
  // Forgetting b leaves a's entry alone.
  m.forget(b);
  CHECK(m.lookup(a) == remembered_syn{1000, 5000});
  // b's SYN takes the slot: a is gone.
  m.record(b, {3000, 7000});
  CHECK_FALSE(m.lookup(a).has_value());
  CHECK(m.lookup(b) == remembered_syn{3000, 7000});
}

TEST_CASE("recent cookies: forget clears the hash's entry", "[unit][tcp][recent_cookies]") {
  recent_cookies m{4096};
  m.record(42, {1000, 5000});
  m.record(43, {1100, 5100});
  m.forget(42);
  CHECK_FALSE(m.lookup(42).has_value());
  CHECK(m.lookup(43) == remembered_syn{1100, 5100});  // another slot: untouched
  m.forget(42);  // twice: nothing to do
  CHECK_FALSE(m.lookup(42).has_value());
}

TEST_CASE("recent cookies: hashes sharing their low bits still spread over the slots", "[unit][tcp][recent_cookies]") {
  // A NIC's RETA sends to one queue the RSS hashes whose low bits are one value: 4096 such hashes
  // (multiples of 128) must use most of the 4096 slots, not the 32 their low 12 bits would name.
  recent_cookies m{4096};
  std::set<std::uint32_t> slots;
  for (std::uint32_t i = 0; i < m.entries(); ++i) {
    slots.insert(m.slot_of(i * 128));
  }
  CHECK(slots.size() > m.entries() / 2);
  // And each of them finds its own SYN or nothing, never another's.
  for (std::uint32_t i = 0; i < m.entries(); ++i) {
    m.record(i * 128, {i, ~i});
  }
  std::uint32_t found = 0;
  for (std::uint32_t i = 0; i < m.entries(); ++i) {
    if (const auto syn = m.lookup(i * 128)) {
      CHECK(*syn == remembered_syn{i, ~i});
      ++found;
    }
  }
  CHECK(found == slots.size());  // the last SYN of every slot used
}

TEST_CASE("recent cookies: sizes", "[unit][tcp][recent_cookies]") {
  CHECK(recent_cookies(2).entries() == 2);
  CHECK(recent_cookies(1U << 16).entries() == 1U << 16);
  for (const std::uint32_t bad : {0U, 1U, 3U, 4095U, 1U << 25}) {
    INFO(bad);
    CHECK_THROWS_AS(recent_cookies(bad), std::invalid_argument);
  }
  // Two slots: the smallest table still tells hashes apart by their tags.
  recent_cookies two(2);
  const std::uint32_t a = 7;
  const std::uint32_t b = same_slot_as(two, a);
  two.record(a, {1, 2});
  CHECK_FALSE(two.lookup(b).has_value());
  CHECK(two.lookup(a) == remembered_syn{1, 2});
}
