#include "engine/reload.hh"

#include <sstream>

#include <catch2/catch.hpp>

using rampart::config::engine_config;
using rampart::engine::parse_log_level;
using rampart::engine::plan_reload;

namespace {

engine_config parse(const std::string& text) {
  std::istringstream in(text);
  return rampart::config::parse_config(in, "test.yaml");
}

const std::string base = "port: {ip: 10.0.0.2/24}\nlisteners: [{port: 80, app: http}]\n";

}  // namespace

TEST_CASE("reload: an unchanged file changes nothing", "[unit][engine]") {
  const auto plan = plan_reload(parse(base), parse(base));
  CHECK(plan.applied.empty());
  CHECK(plan.needs_restart.empty());
  CHECK(plan.effective == parse(base));
}

TEST_CASE("reload: live keys are applied and listed once each", "[unit][engine]") {
  const engine_config running = parse(base);
  const engine_config next = parse(base + "stats: {interval_seconds: 5}\neal: {log_level: debug}\n"
                                          "tcp: {drain_timeout_seconds: 3}\n");
  const auto plan = plan_reload(running, next);
  CHECK(plan.needs_restart.empty());
  // In the order the keys are declared: eal, port, listeners, tcp, stats.
  REQUIRE(plan.applied.size() == 3);
  CHECK(plan.applied[0] == "eal.log_level \"notice\" -> \"debug\"");
  CHECK(plan.applied[1] == "tcp.drain_timeout_seconds 30 -> 3");
  CHECK(plan.applied[2] == "stats.interval_seconds 0 -> 5");
  CHECK(plan.effective == next);
}

TEST_CASE("reload: other keys are reported and keep their running value", "[unit][engine]") {
  const engine_config running = parse(base);
  const engine_config next =
      parse("port: {ip: 10.0.0.3/24, mtu: 1400}\nlisteners: [{port: 80, app: http, args: {a: b}}]\n"
            "tcp: {connections_per_lcore: 10}\neal: {lcores: \"0-2\"}\nstats: {interval_seconds: 2}\n");
  const auto plan = plan_reload(running, next);
  REQUIRE(plan.applied.size() == 1);
  CHECK(plan.applied[0] == "stats.interval_seconds 0 -> 2");
  std::string restart;
  for (const auto& entry : plan.needs_restart) {
    restart += entry + "\n";
  }
  // Each changed key with its old and new value; mss follows the smaller MTU down.
  CHECK(restart ==
        "eal.lcores \"0-1\" -> \"0-2\"\n"
        "port.ip 10.0.0.2/24 -> 10.0.0.3/24\n"
        "port.mtu 1500 -> 1400\n"
        "listeners[port 80].args {} -> {\"a\": \"b\"}\n"
        "tcp.mss 1460 -> 1360\n"
        "tcp.connections_per_lcore 65536 -> 10\n");
  engine_config expected = running;
  expected.stats.interval_seconds = 2;
  CHECK(plan.effective == expected);
}

TEST_CASE("reload: cookie modes and listeners are named, not summed up", "[unit][engine]") {
  const auto plan = plan_reload(parse(base), parse("port: {ip: 10.0.0.2/24}\n"
                                                   "listeners: [{port: 80, app: echo}, {port: 9090, app: http}]\n"
                                                   "tcp: {syn_cookies: {mode: always}}\n"));
  CHECK(plan.applied.empty());
  CHECK(plan.needs_restart == std::vector<std::string>{"listeners[port 80].app \"http\" -> \"echo\"",
                                                       "listeners: added port 9090",
                                                       "tcp.syn_cookies.mode auto -> always"});
  CHECK(plan.effective == parse(base));
}

TEST_CASE("reload: a proxy's args go to the app, one line per changed arg", "[unit][engine]") {
  const std::string listeners = "port: {ip: 10.0.0.2/24}\nlisteners: [{port: 80, app: http}, ";
  const engine_config running = parse(listeners + "{port: 8080, app: proxy, args: {backends: \"10.0.0.5:80, "
                                                   "10.0.0.6:80\", retries: \"2\"}}]\n");
  const engine_config next = parse(listeners + "{port: 8080, app: proxy, nagle: false, args: {backends: "
                                               "\"10.0.0.5:80\", balance: least_connections}}]\n");
  const auto plan = plan_reload(running, next);
  CHECK(plan.applied.empty());
  CHECK(plan.needs_restart == std::vector<std::string>{"listeners[port 8080].nagle true -> false"});
  REQUIRE(plan.live_args.size() == 1);
  CHECK(plan.live_args[0].listener == 1);
  CHECK(plan.live_args[0].next == next.listeners[1]);
  CHECK(plan.live_args[0].changes ==
        std::vector<std::string>{"listeners[port 8080].args.backends \"10.0.0.5:80, 10.0.0.6:80\" -> \"10.0.0.5:80\"",
                                 "listeners[port 8080].args.balance unset -> \"least_connections\"",
                                 "listeners[port 8080].args.retries \"2\" -> unset"});
  // Not applied before the app took them: the running args stay in `effective`.
  CHECK(plan.effective == running);
}

TEST_CASE("reload: a listener that changes app keeps its args for the restart", "[unit][engine]") {
  const engine_config running = parse("port: {ip: 10.0.0.2/24}\nlisteners: [{port: 8080, app: proxy, "
                                      "args: {backends: \"10.0.0.5:80\"}}]\n");
  const engine_config next = parse("port: {ip: 10.0.0.2/24}\nlisteners: [{port: 8080, app: http, "
                                   "args: {status: \"204\"}}]\n");
  const auto plan = plan_reload(running, next);
  CHECK(plan.live_args.empty());
  REQUIRE(plan.needs_restart.size() == 2);
  CHECK(plan.needs_restart[0] == "listeners[port 8080].app \"proxy\" -> \"http\"");
  CHECK(plan.needs_restart[1].starts_with("listeners[port 8080].args "));
}

TEST_CASE("reload: log levels as rte_log numbers", "[unit][engine]") {
  CHECK(parse_log_level("notice").level == 6);
  CHECK(parse_log_level("notice").type_pattern.empty());
  CHECK(parse_log_level("emergency").level == 1);
  CHECK(parse_log_level("8").level == 8);
  const auto typed = parse_log_level("lib.eal:debug");
  CHECK(typed.type_pattern == "lib.eal");
  CHECK(typed.level == 8);
  CHECK(parse_log_level("loud").level == 0);
}
