// The engine's conversion of the config into lib/tcp's settings (engine/tcp_settings.hh).
#include <catch2/catch.hpp>

#include "config/config.hh"
#include "engine/tcp_settings.hh"

namespace rampart::test {

TEST_CASE("tcp settings from the config: MSS clamped to the MTU, modes and sizes carried", "[unit][engine]") {
  config::engine_config cfg;
  cfg.port.mtu = 1400;
  cfg.tcp.mss = 1460;
  cfg.tcp.window_scale = 20;  // RFC 7323 §2.3: at most 14
  cfg.tcp.connections_per_lcore = 1000;
  cfg.tcp.reassembly_budget = 777;
  cfg.tcp.syn_cookies.mode = config::cookie_mode::auto_mode;
  cfg.tcp.syn_cookies.backlog_per_lcore = 50;
  cfg.tcp.syn_cookies.auto_threshold = 40;
  const auto s = engine::tcp_settings_of(cfg, {true, false});
  CHECK(s.mss == 1360);
  CHECK(s.window_scale == 14);
  CHECK(s.connections == 1000);
  CHECK(s.reassembly_budget == 777);
  CHECK(s.cookies == tcp::cookie_mode::auto_mode);
  CHECK(s.backlog_capacity == 50);
  CHECK(s.auto_threshold == 40);
  CHECK(s.offload.ipv4_checksum);
  CHECK_FALSE(s.offload.tcp_checksum);
}

TEST_CASE("tcp listeners from the config: port, Nagle, idle timeout and congestion control, in order",
          "[unit][engine]") {
  std::vector<config::listener_config> listeners(2);
  listeners[0].port = 80;
  listeners[1].port = 7;
  listeners[1].nagle = false;
  listeners[1].idle_timeout_seconds = 30;
  listeners[1].congestion = config::congestion_control::reno;
  const auto l = engine::tcp_listeners_of(listeners);
  REQUIRE(l.size() == 2);
  CHECK(l[0].port == 80);
  CHECK(l[0].nagle);
  CHECK(l[0].idle_timeout_ns == 0);
  CHECK(l[0].congestion == tcp::cc_algorithm::cubic);
  CHECK(l[1].port == 7);
  CHECK_FALSE(l[1].nagle);
  CHECK(l[1].idle_timeout_ns == 30'000'000'000ULL);
  CHECK(l[1].congestion == tcp::cc_algorithm::reno);
}

}  // namespace rampart::test
