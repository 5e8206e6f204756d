#include <catch2/catch.hpp>

#include "options.hh"
#include "report.hh"

using namespace rampart;

TEST_CASE("rate_error", "[unit][load]") {
  CHECK(load::rate_error(1000, 1000, 1.0) == 0.0);
  CHECK(load::rate_error(990, 1000, 1.0) == Approx(0.01));
  CHECK(load::rate_error(2040, 1000, 2.0) == Approx(0.02));
  CHECK(load::rate_error(5, 0, 1.0) == 0.0);
}

TEST_CASE("telemetry replies flatten to dotted names; /rampart/cost becomes a reading", "[unit][load]") {
  const auto flat = load::flatten_json_numbers(
      R"({"/rampart/cost": {"tsc_hz": 2100000000, "uptime_cycles": 4200000000, "workers": 1,)"
      R"( "busy_cycles": 1050000000, "busy_turns": 7, "busy_packets": 3000000, "name": "x", "ok": true,)"
      R"( "list": [1, {"a": 2}], "drops": {"eth_not_for_us": 6}}})");
  REQUIRE(flat.has_value());
  CHECK(flat->at("/rampart/cost.tsc_hz") == 2'100'000'000);
  CHECK(flat->at("/rampart/cost.drops.eth_not_for_us") == 6);
  CHECK(flat->count("/rampart/cost.name") == 0);
  const auto cost = load::cost_from_reply(*flat);
  REQUIRE(cost.has_value());
  CHECK(cost->busy_cycles == 1'050'000'000);

  load::engine_cost_reading before = *cost;
  load::engine_cost_reading after = before;
  after.uptime_cycles += 2'100'000'000;  // one second
  after.busy_cycles += 525'000'000;      // a quarter of it busy
  after.busy_packets += 1'000'000;
  const auto delta = load::cost_between(before, after);
  CHECK(delta.cycles_per_packet == Approx(525.0));
  CHECK(delta.busy_fraction == Approx(0.25));
  CHECK(delta.packets == 1'000'000);

  CHECK_FALSE(load::flatten_json_numbers("{\"a\": ").has_value());
  CHECK_FALSE(load::flatten_json_numbers("[1, 2]").has_value());
  CHECK_FALSE(load::flatten_json_numbers("{\"a\": 1} trailing").has_value());
  CHECK_FALSE(load::cost_from_reply({{"/rampart/cost.tsc_hz", 1}}).has_value());
}

TEST_CASE("final report: well-formed, rates checked per full second", "[unit][load]") {
  load::load_stats legit;
  legit.attempted = 10;
  legit.completed = 9;
  legit.count_failure(load::failure::reset);
  for (std::uint64_t v = 1; v <= 9; ++v) {
    legit.connect.record(v * 100'000);
  }
  load::run_summary r;
  r.target = "10.78.0.2:80";
  r.duration_s = 2;
  r.syn_rate = 1000;
  r.ack_rate = load::rate_max;
  r.legit = &legit;
  r.traffic.syn_offered = 2000;
  for (const std::uint64_t offered : {1000ULL, 1011ULL}) {
    load::second_sample s;
    s.seconds = 1.0;
    s.full = true;
    s.traffic.syn_offered = offered;
    r.seconds.push_back(s);
  }
  const std::string json = load::final_json(r);
  const auto flat = load::flatten_json_numbers(json);
  REQUIRE(flat.has_value());  // parses as one JSON object
  CHECK(flat->at("legit.attempted") == 10);
  CHECK(flat->at("legit.failed") == 1);
  CHECK(flat->at("legit.failures.reset") == 1);
  CHECK(flat->at("latency.connect.count") == 9);
  CHECK(flat->at("latency.connect.max_us") == 900);
  CHECK(flat->at("syn_rate_check.full_seconds") == 2);
  CHECK(json.find("\"syn_rate_check\":{\"mode\":\"fixed\",\"full_seconds\":2,\"worst_error\":0.01100,\"reachable\":false}") !=
        std::string::npos);
  CHECK(json.find("\"ack_rate_check\":{\"mode\":\"max\"}") != std::string::npos);
  CHECK(json.find("\"success_rate\":0.900000") != std::string::npos);
  CHECK(json.find("\"engine\":null") != std::string::npos);

  r.seconds[1].traffic.syn_offered = 1009;
  CHECK(load::final_json(r).find("\"reachable\":true") != std::string::npos);
}

TEST_CASE("per-second JSON and progress line", "[unit][load]") {
  load::second_sample s;
  s.t = 3;
  s.seconds = 1;
  s.traffic.syn_offered = 50000;
  s.traffic.syn_acks = 49000;
  s.traffic.ping_offered = 30000;
  s.traffic.echo_replies = 29000;
  s.completed = 100;
  s.connect.record(250'000);
  s.engine = load::engine_cost_delta{412.0, 0.125, 50000};
  const auto flat = load::flatten_json_numbers(load::second_json(s));
  REQUIRE(flat.has_value());
  CHECK(flat->at("traffic.syn_acks") == 49000);
  CHECK(flat->at("traffic.ping_offered_per_s") == 30000);
  CHECK(flat->at("traffic.echo_replies_per_s") == 29000);
  CHECK(flat->at("engine.cycles_per_packet") == 412);
  const std::string line = load::progress_line(s);
  CHECK_THAT(line, Catch::Contains("offered syn 50000/s"));
  CHECK_THAT(line, Catch::Contains("syn-ack 49000/s"));
  CHECK_THAT(line, Catch::Contains("engine 412 cyc/pkt busy 12.5%"));
}
