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

TEST_CASE("telemetry replies flatten to dotted names; /rampart/cost and tx_packets become a reading", "[unit][load]") {
  auto flat = load::flatten_json_numbers(
      R"({"/rampart/cost": {"tsc_hz": 2100000000, "uptime_cycles": 4200000000, "workers": 1,)"
      R"( "busy_cycles": 1050000000, "busy_turns": 7, "busy_packets": 3000000, "worker_cycles": 2000000000,)"
      R"( "name": "x", "ok": true, "list": [1, {"a": 2}], "drops": {"eth_not_for_us": 6}}})");
  REQUIRE(flat.has_value());
  CHECK(flat->at("/rampart/cost.tsc_hz") == 2'100'000'000);
  CHECK(flat->at("/rampart/cost.drops.eth_not_for_us") == 6);
  CHECK(flat->count("/rampart/cost.name") == 0);
  CHECK_FALSE(load::cost_from_reply(*flat).has_value());  // the answers come from /rampart/stats
  const auto stats = load::flatten_json_numbers(R"({"/rampart/stats": {"rx_packets": 3000000, "tx_packets": 2900000}})");
  REQUIRE(stats.has_value());
  flat->insert(stats->begin(), stats->end());
  const auto cost = load::cost_from_reply(*flat);
  REQUIRE(cost.has_value());
  CHECK(cost->busy_cycles == 1'050'000'000);
  CHECK(cost->worker_cycles == 2'000'000'000);
  CHECK(cost->tx_packets == 2'900'000);

  load::engine_cost_reading before = *cost;
  load::engine_cost_reading after = before;
  after.uptime_cycles += 2'100'000'000;  // one second
  after.busy_cycles += 525'000'000;      // a quarter of it in the engine
  after.busy_packets += 1'000'000;
  after.worker_cycles += 840'000'000;    // 40% of it in whole worker turns (driver, timers, flush)
  after.tx_packets += 800'000;           // fewer answers than packets received: a worker's cost is per answer
  const auto delta = load::cost_between(before, after);
  CHECK(delta.cycles_per_packet == Approx(525.0));
  CHECK(delta.busy_fraction == Approx(0.25));
  CHECK(delta.packets == 1'000'000);
  CHECK(delta.worker_cycles_per_answer == Approx(1050.0));
  CHECK(delta.worker_busy_fraction == Approx(0.4));
  CHECK(delta.answers == 800'000);

  after.tx_packets = before.tx_packets;  // nothing sent: no cost per answer, not a division by zero
  CHECK(load::cost_between(before, after).worker_cycles_per_answer == 0.0);

  CHECK_FALSE(load::flatten_json_numbers("{\"a\": ").has_value());
  CHECK_FALSE(load::flatten_json_numbers("[1, 2]").has_value());
  CHECK_FALSE(load::flatten_json_numbers("{\"a\": 1} trailing").has_value());
  CHECK_FALSE(load::cost_from_reply({{"/rampart/cost.tsc_hz", 1}}).has_value());
}

TEST_CASE("flow fate: lost is refused by the link plus sent but unanswered", "[unit][load]") {
  load::traffic_counters t;
  t.syn_offered = 700;  // accepted by the link
  t.syn_refused = 300;
  t.syn_acks = 650;
  const load::flow_fate f = load::syn_flood_fate(t);
  CHECK(f.attempted() == 1000);
  CHECK(f.unanswered() == 50);
  CHECK(f.lost() == 350);
  CHECK(f.lost() == static_cast<std::int64_t>(f.refused) + f.unanswered());
  // Within one second an answer to the previous second's frame makes unanswered negative.
  t.syn_acks = 710;
  CHECK(load::syn_flood_fate(t).unanswered() == -10);
  t.ack_offered = 5;
  t.rsts = 5;
  t.ping_refused = 9;
  CHECK(load::ack_flood_fate(t).lost() == 0);
  CHECK(load::ping_flood_fate(t).lost() == 9);
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
  r.traffic.syn_refused = 500;
  r.traffic.syn_acks = 1900;
  r.traffic.legit_syn_refused = 3;
  r.drop_on_full = true;
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
  CHECK(json.find("\"drop_on_full\":true") != std::string::npos);
  CHECK(flat->at("flows.syn_flood.attempted") == 2500);
  CHECK(flat->at("flows.syn_flood.accepted") == 2000);
  CHECK(flat->at("flows.syn_flood.answered") == 1900);
  CHECK(flat->at("flows.syn_flood.lost") == 600);
  CHECK(flat->at("flows.syn_flood.refused") == 500);
  CHECK(flat->at("flows.syn_flood.unanswered") == 100);
  CHECK(flat->at("flows.syn_flood.attempted_per_s") == 1250);
  CHECK(flat->at("flows.legit.attempted") == 10);
  CHECK(flat->at("flows.legit.completed") == 9);
  CHECK(flat->at("flows.legit.syn_refused") == 3);

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
  s.traffic.syn_refused = 10000;
  s.engine = load::engine_cost_delta{412.0, 0.125, 50000, 1030.0, 0.4, 49000};
  const auto flat = load::flatten_json_numbers(load::second_json(s));
  REQUIRE(flat.has_value());
  CHECK(flat->at("traffic.syn_acks") == 49000);
  CHECK(flat->at("traffic.ping_offered_per_s") == 30000);
  CHECK(flat->at("traffic.echo_replies_per_s") == 29000);
  CHECK(flat->at("flows.syn_flood.lost_per_s") == 11000);
  CHECK(flat->at("flows.ping_flood.lost_per_s") == 1000);
  CHECK(flat->at("engine.cycles_per_packet") == 412);
  CHECK(flat->at("engine.worker_cycles_per_answer") == 1030);
  const std::string line = load::progress_line(s);
  CHECK_THAT(line, Catch::Contains("syn/s attempted 60000 accepted 50000 answered 49000 lost 11000"));
  CHECK_THAT(line, Catch::Contains("ping/s attempted 30000 accepted 30000 answered 29000 lost 1000"));
  CHECK_THAT(line, !Catch::Contains("ack/s"));  // a kind not sent is not shown
  CHECK_THAT(line, Catch::Contains("engine 412 cyc/pkt busy 12.5%"));
  CHECK_THAT(line, Catch::Contains("worker 1030 cyc/answer busy 40.0%"));
}
