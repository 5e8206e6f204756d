#include <catch2/catch.hpp>

#include <thread>

#include "engine/control_message.hh"

using namespace rampart::engine;

TEST_CASE("control messages arrive in order and a full queue refuses", "[unit][engine]") {
  control_queue q;
  REQUIRE(q.push(control_message::announce()));
  REQUIRE(q.push(control_message::stop()));
  control_message m;
  REQUIRE(q.pop(m));
  CHECK(m.kind == control_kind::announce);
  REQUIRE(q.pop(m));
  CHECK(m.kind == control_kind::stop);
  CHECK_FALSE(q.pop(m));

  std::size_t pushed = 0;
  while (q.push(control_message::announce())) {
    ++pushed;
  }
  CHECK(pushed == control_queue_capacity);  // bounded: never grows, never blocks
}

TEST_CASE("one producer thread and one consumer thread exchange every message", "[unit][engine]") {
  control_queue q;
  constexpr int total = 100000;
  std::thread producer([&] {
    for (int i = 0; i < total; ++i) {
      control_message m = control_message::announce();
      m.payload.reserved = static_cast<std::uint64_t>(i);
      while (!q.push(m)) {
        std::this_thread::yield();
      }
    }
    while (!q.push(control_message::stop())) {
      std::this_thread::yield();
    }
  });
  std::uint64_t expected = 0;
  bool in_order = true;
  for (;;) {
    control_message m;
    if (!q.pop(m)) {
      continue;
    }
    if (m.kind == control_kind::stop) {
      break;
    }
    in_order = in_order && m.payload.reserved == expected;
    ++expected;
  }
  producer.join();
  CHECK(in_order);
  CHECK(expected == total);
}
