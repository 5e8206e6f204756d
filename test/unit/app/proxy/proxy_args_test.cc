// The proxy's args: defaults, every arg read, and one message per mistake naming the listener, the
// arg and the fix.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "../app_test_support.hh"
#include "app/args.hh"
#include "app/proxy/proxy_args.hh"

using namespace rampart::app::proxy;
using rampart::app::app_error;
using rampart::app::arg_reader;
using m = std::map<std::string, std::string>;

namespace {

proxy_settings read(const m& args) {
  const rampart::config::listener_config l = rampart::test::listener("proxy", args);
  arg_reader reader(l);
  proxy_settings s = read_proxy_args(reader);
  reader.reject_unknown();
  return s;
}

std::string error_of(m args) {
  try {
    read(args);
  } catch (const app_error& e) {
    return e.what();
  }
  return {};
}

// An error for `name` = `value` with a valid backends arg beside it.
std::string error_of(const std::string& name, const std::string& value) {
  return error_of(m{{"backends", "10.0.0.5:80"}, {name, value}});
}

const std::string prefix = "listener on port 8080 (app proxy): ";

}  // namespace

TEST_CASE("proxy args: the defaults", "[unit][app][proxy]") {
  const proxy_settings s = read(m{{"backends", "10.77.0.3:8080"}});
  proxy_settings expected;
  expected.backends = {{{*rampart::net::ipv4_address::parse("10.77.0.3"), 8080}, 1}};
  CHECK(s == expected);
  CHECK(s.balance == balance_method::round_robin);
  CHECK(s.connect_timeout_ms == 3000);
  CHECK(s.retries == 3);
  CHECK(s.idle_timeout_seconds == 300);
  CHECK(s.max_connections == 0);
  CHECK(s.proxy_protocol == proxy_protocol_version::off);
  CHECK(s.health_check.type == health_check_settings::kind::tcp);
  CHECK(s.health_interval_ms == 2000);
  CHECK(s.health_rise == 2);
  CHECK(s.health_fall == 3);
}

TEST_CASE("proxy args: every arg read", "[unit][app][proxy]") {
  const proxy_settings s = read(m{{"backends", "10.0.0.5:80*3, 10.0.0.6:80"},
                                  {"balance", "source_hash"},
                                  {"connect_timeout_ms", "500"},
                                  {"retries", "0"},
                                  {"idle_timeout_seconds", "0"},
                                  {"max_connections", "1000"},
                                  {"proxy_protocol", "v2"},
                                  {"health_check", "http GET /healthz 204"},
                                  {"health_interval_ms", "100"},
                                  {"health_rise", "1"},
                                  {"health_fall", "100"}});
  CHECK(s.backends.size() == 2);
  CHECK(s.backends[0].weight == 3);
  CHECK(s.balance == balance_method::source_hash);
  CHECK(s.connect_timeout_ms == 500);
  CHECK(s.retries == 0);
  CHECK(s.idle_timeout_seconds == 0);
  CHECK(s.max_connections == 1000);
  CHECK(s.proxy_protocol == proxy_protocol_version::v2);
  CHECK(s.health_check == health_check_settings{health_check_settings::kind::http, "GET", "/healthz", 204});
  CHECK(s.health_interval_ms == 100);
  CHECK(s.health_rise == 1);
  CHECK(s.health_fall == 100);
  CHECK(read(m{{"backends", "10.0.0.5:80"}, {"balance", "least_connections"}}).balance ==
        balance_method::least_connections);
  CHECK(read(m{{"backends", "10.0.0.5:80"}, {"proxy_protocol", "v1"}}).proxy_protocol == proxy_protocol_version::v1);
  CHECK(read(m{{"backends", "10.0.0.5:80"}, {"health_check", "tcp"}}).health_check == health_check_settings{});
  CHECK(read(m{{"backends", "10.0.0.5:80"}, {"health_check", "http HEAD /"}}).health_check ==
        health_check_settings{health_check_settings::kind::http, "HEAD", "/", 200});
}

TEST_CASE("proxy args: each mistake named with the arg and the fix", "[unit][app][proxy]") {
  CHECK(error_of(m{}) == prefix + "args.backends: is required; write the servers to relay to, e.g. backends: "
                                  "\"10.0.0.5:80*3, 10.0.0.6:80\"");
  CHECK(error_of(m{{"backends", "10.0.0.5:80, 10.0.0.6:0"}}) ==
        prefix + "args.backends: entry 2 \"10.0.0.6:0\": port 0 is out of range; write a port in 1..65535");
  CHECK(error_of("balance", "random") ==
        prefix + "args.balance: \"random\" is not one of round_robin, least_connections, source_hash; write one of them");
  CHECK(error_of("proxy_protocol", "on") ==
        prefix + "args.proxy_protocol: \"on\" is not one of off, v1, v2; write one of them");
  CHECK(error_of("connect_timeout_ms", "0") == prefix + "args.connect_timeout_ms: 0 is out of range; allowed: 10..600000");
  CHECK(error_of("retries", "17") == prefix + "args.retries: 17 is out of range; allowed: 0..16");
  CHECK(error_of("idle_timeout_seconds", "1h") ==
        prefix + "args.idle_timeout_seconds: \"1h\" is not a decimal number; write one in 0..604800");
  CHECK(error_of("max_connections", "1000001") == prefix + "args.max_connections: 1000001 is out of range; allowed: 0..1000000");
  CHECK(error_of("health_interval_ms", "99") == prefix + "args.health_interval_ms: 99 is out of range; allowed: 100..3600000");
  CHECK(error_of("health_rise", "0") == prefix + "args.health_rise: 0 is out of range; allowed: 1..100");
  CHECK(error_of("health_fall", "101") == prefix + "args.health_fall: 101 is out of range; allowed: 1..100");
  CHECK(error_of("backend", "10.0.0.6:80").starts_with(
      prefix + "args.backend: unknown argument for app proxy; known: backends, balance, connect_timeout_ms, "
               "health_check, health_fall, health_interval_ms, health_rise, idle_timeout_seconds, "
               "max_connections, proxy_protocol, retries"));
}

TEST_CASE("proxy args: each malformed health check", "[unit][app][proxy]") {
  const std::string form = "write tcp or \"http GET /path 200\" (METHOD GET or HEAD, STATUS optional, default 200)";
  CHECK(error_of("health_check", "") == prefix + "args.health_check: \"\" is not a health check; " + form);
  CHECK(error_of("health_check", "icmp") == prefix + "args.health_check: \"icmp\" is not a health check; " + form);
  CHECK(error_of("health_check", "tcp 80") == prefix + "args.health_check: \"tcp 80\" is not a health check; " + form);
  CHECK(error_of("health_check", "http") ==
        prefix + "args.health_check: \"http\" needs a method and a path; " + form);
  CHECK(error_of("health_check", "http GET / 200 OK") ==
        prefix + "args.health_check: \"http GET / 200 OK\" needs a method and a path; " + form);
  CHECK(error_of("health_check", "http POST /") ==
        prefix + "args.health_check: method \"POST\" is not GET or HEAD; " + form);
  CHECK(error_of("health_check", "http GET healthz") ==
        prefix + "args.health_check: path \"healthz\" must start with / and hold no control characters, e.g. /healthz");
  CHECK(error_of("health_check", "http GET /a\x01") ==
        prefix + "args.health_check: path \"/a\x01\" must start with / and hold no control characters, e.g. /healthz");
  for (const char* status : {"20", "2000", "099", "600", "2x0", "+20"}) {
    INFO(status);
    CHECK(error_of("health_check", std::string("http GET / ") + status) ==
          prefix + "args.health_check: status \"" + status + "\" is not an HTTP status; write one in 100..599");
  }
}
