// port.gateway and routes: what parses, and every error naming its line, its key and the fix.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "config/config.hh"
#include "config/schema.hh"

namespace cfg = rampart::config;

namespace {

cfg::engine_config parse(const std::string& yaml) {
  std::istringstream in(yaml);
  return cfg::parse_config(in, "r.yaml");
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const cfg::config_error& e) {
    return e.what();
  }
  FAIL("expected a config_error for:\n" << yaml);
  return {};
}

const std::string port = "port:\n  ip: 10.77.0.2/24\n";

}  // namespace

TEST_CASE("routes and a gateway parse in order; both are optional", "[unit][config]") {
  const auto none = parse(port);
  CHECK_FALSE(none.port.gateway);
  CHECK(none.routes.empty());

  const auto config = parse(port + R"(  gateway: 10.77.0.1
routes:
  - {prefix: 10.1.0.0/16, via: 10.77.0.254}
  - prefix: 192.0.2.0/24
    via: 10.77.0.253
)");
  REQUIRE(config.port.gateway);
  CHECK(config.port.gateway->to_string() == "10.77.0.1");
  REQUIRE(config.routes.size() == 2);
  CHECK(config.routes[0].prefix.to_string() == "10.1.0.0/16");
  CHECK(config.routes[0].via.to_string() == "10.77.0.254");
  CHECK(config.routes[1].prefix.to_string() == "192.0.2.0/24");
  CHECK(config.routes[1].via.to_string() == "10.77.0.253");
  // Without a gateway, a default route may come from routes.
  CHECK(parse(port + "routes:\n  - {prefix: 0.0.0.0/0, via: 10.77.0.1}\n").routes.size() == 1);
}

TEST_CASE("a gateway must be a router on the port's subnet", "[unit][config]") {
  CHECK_THAT(error_of(port + "  gateway: 10.78.0.1\n"),
             Catch::Contains("r.yaml:3: port.gateway: 10.78.0.1 is not on the port's subnet (port.ip is 10.77.0.2/24)"));
  CHECK_THAT(error_of(port + "  gateway: 10.77.0.2\n"),
             Catch::Contains("r.yaml:3: port.gateway: 10.77.0.2 is the port's own address"));
  CHECK_THAT(error_of(port + "  gateway: 224.0.0.1\n"),
             Catch::Contains("r.yaml:3: port.gateway: \"224.0.0.1\" is not a unicast host address"));
  CHECK_THAT(error_of(port + "  gateway: 10.77.0.1/24\n"),
             Catch::Contains("r.yaml:3: port.gateway: \"10.77.0.1/24\" is not an IPv4 address (expected a.b.c.d)"));
}

TEST_CASE("a route's prefix and via are checked, each prefix once", "[unit][config]") {
  CHECK_THAT(error_of(port + "routes:\n  - {prefix: 10.1.2.3/16, via: 10.77.0.254}\n"),
             Catch::Contains("r.yaml:4: routes[0].prefix: \"10.1.2.3/16\" has host bits set; write its network, "
                             "10.1.0.0/16"));
  CHECK_THAT(error_of(port + "routes:\n  - {prefix: 10.1.0.0, via: 10.77.0.254}\n"),
             Catch::Contains("r.yaml:4: routes[0].prefix: \"10.1.0.0\" is not an IPv4 prefix"));
  CHECK_THAT(error_of(port + "routes:\n  - {prefix: 10.1.0.0/16, via: 10.1.0.1}\n"),
             Catch::Contains("r.yaml:4: routes[0].via: 10.1.0.1 is not on the port's subnet"));
  CHECK_THAT(error_of(port + "routes:\n  - {prefix: 10.1.0.0/16}\n"),
             Catch::Contains("r.yaml:4: routes[0].via: missing required key"));
  CHECK_THAT(error_of(port + "routes:\n  - {prefix: 10.1.0.0/16, via: 10.77.0.254}\n"
                             "  - {prefix: 10.1.0.0/16, via: 10.77.0.253}\n"),
             Catch::Contains("r.yaml:5: routes[1].prefix: 10.1.0.0/16 already has a route (line 4); keep one"));
  CHECK_THAT(error_of(port + "routes:\n  - {prefix: 10.77.0.0/24, via: 10.77.0.254}\n"),
             Catch::Contains("r.yaml:4: routes[0].prefix: 10.77.0.0/24 is the port's own subnet"));
  CHECK_THAT(error_of(port + "  gateway: 10.77.0.1\nroutes:\n  - {prefix: 0.0.0.0/0, via: 10.77.0.254}\n"),
             Catch::Contains("r.yaml:5: routes[0].prefix: 0.0.0.0/0 is the default route, which port.gateway "
                             "(line 3) already sets; keep one"));
}

TEST_CASE("SIGHUP names a changed gateway and a route by its prefix; both need a restart", "[unit][config]") {
  const auto running = parse(port + "routes:\n  - {prefix: 10.1.0.0/16, via: 10.77.0.254}\n");
  const auto next = parse(port + "  gateway: 10.77.0.1\nroutes:\n  - {prefix: 10.1.0.0/16, via: 10.77.0.253}\n"
                                 "  - {prefix: 10.2.0.0/16, via: 10.77.0.254}\n");
  std::vector<std::string> changes;
  for (const cfg::key_change& change : cfg::changed_keys(running, next)) {
    CHECK(change.reload == cfg::reload_rule::restart);
    changes.push_back(change.text);
  }
  CHECK(changes == std::vector<std::string>{"port.gateway none -> 10.77.0.1",
                                            "routes[10.1.0.0/16].via 10.77.0.254 -> 10.77.0.253",
                                            "routes: added 10.2.0.0/16"});
}
