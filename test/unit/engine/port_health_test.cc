#include "engine/port_health.hh"

#include <catch2/catch.hpp>

using namespace rampart::engine;

TEST_CASE("port_health counts link changes between up, down and unknown", "[engine][link]") {
  const link_state up{.up = true, .speed_mbps = 10000, .full_duplex = true, .unknown = false};
  link_state down;
  link_state unknown;
  unknown.unknown = true;
  port_health health;
  const auto t = std::chrono::system_clock::time_point{} + std::chrono::hours(1);

  CHECK_FALSE(health.observe(up, t));  // the reference
  CHECK_FALSE(health.observe(up, t));
  CHECK(health.read().link_changes == 0);
  CHECK_FALSE(health.read().last_link_change.has_value());

  link_state slower = up;
  slower.speed_mbps = 1000;
  CHECK_FALSE(health.observe(slower, t));  // the speed is not a change of state
  CHECK(health.read().link.speed_mbps == 1000);

  CHECK(health.observe(down, t + std::chrono::seconds(1)));
  CHECK_FALSE(health.observe(down, t + std::chrono::seconds(2)));
  CHECK(health.observe(unknown, t + std::chrono::seconds(3)));
  CHECK(health.observe(up, t + std::chrono::seconds(4)));
  const port_health_snapshot s = health.read();
  CHECK(s.link_changes == 3);
  CHECK(s.last_link_change == t + std::chrono::seconds(4));
  CHECK(s.link.up);
}

TEST_CASE("port_health counts restarts by outcome", "[engine][link]") {
  port_health health;
  health.count_reconnect_attempt();
  health.count_reconnect_attempt();
  health.count_reconnect();
  health.count_device_reset(true);
  health.count_device_reset(false);
  health.count_device_reset(false);
  const port_health_snapshot s = health.read();
  CHECK(s.reconnect_attempts == 2);
  CHECK(s.reconnects == 1);
  CHECK(s.device_resets == 1);
  CHECK(s.device_reset_failures == 2);
}
