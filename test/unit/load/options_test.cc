#include <catch2/catch.hpp>

#include "options.hh"

using namespace rampart;
using load::parse_options;
using load::usage_error;

namespace {

std::vector<std::string> base() { return {"--target-ip", "10.78.0.2", "--local-ip", "10.78.0.1"}; }

std::vector<std::string> with(std::vector<std::string> extra) {
  std::vector<std::string> a = base();
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

}  // namespace

TEST_CASE("options: a full command line", "[unit][load]") {
  const load::load_options o =
      parse_options(with({"--syn-rate", "max", "--ack-rate", "5000", "--ping-rate", "max", "--legit-rate", "200", "--requests", "3",
                          "--duration", "2.5", "--flood-prefix", "10.200.0.0/16", "--client-options",
                          "mss=1460,ts,ws=7,sack;mss=536,nots,nows,nosack", "--telemetry", "/tmp/t.sock",
                          "--target-mac", "02:00:00:00:00:01", "--no-progress", "--drop-on-full"}));
  CHECK(o.target_ip.to_string() == "10.78.0.2");
  CHECK(o.syn_rate == load::rate_max);
  CHECK(o.ack_rate == 5000);
  CHECK(o.ping_rate == load::rate_max);
  CHECK(o.legit_rate == 200);
  CHECK(o.requests == 3);
  CHECK(o.duration_s == 2.5);
  CHECK(o.flood_prefix.to_string() == "10.200.0.0/16");
  REQUIRE(o.profiles.size() == 2);
  CHECK(o.profiles[0] == load::option_profile{});
  CHECK(o.profiles[1] == load::option_profile{536, false, -1, false});
  CHECK(o.target_mac.has_value());
  CHECK_FALSE(o.progress);
  CHECK(o.drop_on_full);
  CHECK_FALSE(parse_options(with({"--syn-rate", "1"})).drop_on_full);  // retrying stays the default
  CHECK(o.host == "10.78.0.2");
}

TEST_CASE("options: --legit-rate max is the closed loop, a number is open loop", "[unit][load]") {
  CHECK(parse_options(with({"--legit-rate", "max", "--legit-concurrency", "256"})).legit_rate == load::rate_max);
  CHECK(parse_options(with({"--legit-rate", "10000000"})).legit_rate == 10'000'000);
}

TEST_CASE("options: each user error names the option and the fix", "[unit][load]") {
  const auto message = [](const std::vector<std::string>& args) {
    try {
      parse_options(args);
    } catch (const usage_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message({"--local-ip", "10.0.0.1", "--syn-rate", "1"}), Catch::Contains("--target-ip is required"));
  CHECK_THAT(message({"--target-ip", "10.0.0.1", "--syn-rate", "1"}), Catch::Contains("--local-ip is required"));
  CHECK_THAT(message(base()), Catch::Contains("no traffic"));
  CHECK_THAT(message(with({"--syn-rate", "fast"})), Catch::Contains("--syn-rate fast"));
  CHECK_THAT(message(with({"--ping-rate", "-1"})), Catch::Contains("--ping-rate -1"));
  CHECK_THAT(message(with({"--legit-rate", "fast"})), Catch::Contains("--legit-rate fast"));
  CHECK_THAT(message(with({"--syn-rate"})), Catch::Contains("--syn-rate needs a value"));
  CHECK_THAT(message(with({"--frobnicate"})), Catch::Contains("unknown option \"--frobnicate\""));
  CHECK_THAT(message(with({"--legit-rate", "1", "--requests", "2", "--http-close"})),
             Catch::Contains("drop --http-close"));
  CHECK_THAT(message(with({"--legit-rate", "1", "--flood-prefix", "10.78.0.0/16"})),
             Catch::Contains("inside --flood-prefix"));
  CHECK_THAT(message(with({"--syn-rate", "1", "--client-options", "mss=1460,turbo"})), Catch::Contains("\"turbo\""));
  CHECK_THAT(message(with({"--syn-rate", "1", "--client-options", "ws=15"})), Catch::Contains("ws 15"));
  CHECK_THAT(message(with({"--syn-rate", "1", "--duration", "0"})), Catch::Contains("--duration 0"));
  CHECK_THAT(message(with({"--syn-rate", "1", "--target-mac", "zz"})), Catch::Contains("--target-mac zz"));
  CHECK_THAT(message(with({"--syn-rate", "1", "--path", "x y"})), Catch::Contains("--path"));
}
