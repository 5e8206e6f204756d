// The registry: names, args and the messages a user sees for a listener it cannot serve.
#include <catch2/catch.hpp>

#include "app_test_support.hh"

using rampart::test::error_of;
using rampart::test::listener;

TEST_CASE("the built-in apps build with their defaults", "[unit][app]") {
  for (const char* name : {"echo", "discard", "http"}) {
    INFO(name);
    CHECK(error_of(listener(name)).empty());
  }
}

TEST_CASE("an unknown app names the listener and the known apps", "[unit][app]") {
  CHECK(error_of(listener("ehco")) ==
        "listener on port 8080 (app ehco): unknown app \"ehco\"; use http, echo, discard, proxy or "
        "plugin (with plugin: FILE) (docs/apps.md)");
}

TEST_CASE("unknown and invalid args are refused per app", "[unit][app]") {
  using m = std::map<std::string, std::string>;
  CHECK(error_of(listener("discard", m{{"body", "x"}})) ==
        "listener on port 8080 (app discard): args.body: unknown argument for app discard; known: "
        "none (docs/apps.md)");
  CHECK(error_of(listener("echo", m{{"max_held_bytes", "0"}})) ==
        "listener on port 8080 (app echo): args.max_held_bytes: 0 is out of range; allowed: "
        "1..67108864");
  CHECK(error_of(listener("echo", m{{"max_held_bytes", "-5"}})).find("is not a decimal number") != std::string::npos);
  CHECK(error_of(listener("echo", m{{"max_held_bytes", ""}})).find("is not a decimal number") != std::string::npos);
  CHECK(error_of(listener("echo", m{{"max_held_bytes", "99999999999999999999999"}})).find("out of range") != std::string::npos);
  CHECK(error_of(listener("echo", m{{"max_held_segments", "8"}, {"max_held_bytes", "4096"}})).empty());
}

TEST_CASE("proxy: its args are checked, and the listener named", "[unit][app]") {
  using m = std::map<std::string, std::string>;
  CHECK(error_of(listener("proxy", m{{"backends", "10.0.0.5:80"}})).empty());
  CHECK(error_of(listener("proxy")) ==
        "listener on port 8080 (app proxy): args.backends: is required; write the servers to relay to, e.g. "
        "backends: \"10.0.0.5:80*3, 10.0.0.6:80\"");
  CHECK(error_of(listener("proxy", m{{"backends", "10.0.0.5:80"}, {"backend", "x"}}))
            .starts_with("listener on port 8080 (app proxy): args.backend: unknown argument for app proxy"));
}

TEST_CASE("plugin: is refused for a built-in app", "[unit][app]") {
  CHECK(error_of(listener("echo", {}, "/x.so")) ==
        "listener on port 8080 (app echo, plugin /x.so): plugin: is only for app: plugin; delete it");
}
