#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

#include "command_line.hh"
#include "engine/startup_error.hh"

using namespace rampart::command;
using rampart::engine::exit_code;
using rampart::engine::startup_error;

namespace {
cli_options parse(std::vector<std::string_view> args) { return parse_command_line(args); }

exit_code code_of_failure(std::vector<std::string_view> args) {
  try {
    parse(args);
  } catch (const startup_error& e) {
    return e.code();
  }
  return exit_code::ok;
}
}  // namespace

TEST_CASE("--config selects run mode in all spellings", "[unit][command]") {
  for (const auto& args : {std::vector<std::string_view>{"--config", "a.yaml"},
                           std::vector<std::string_view>{"--config=a.yaml"},
                           std::vector<std::string_view>{"-c", "a.yaml"}}) {
    const cli_options o = parse(args);
    CHECK(o.mode == cli_mode::run);
    CHECK(o.config_path == "a.yaml");
  }
}

TEST_CASE("--check-config in either order", "[unit][command]") {
  CHECK(parse({"--check-config", "--config", "x"}).mode == cli_mode::check_config);
  CHECK(parse({"--config", "x", "--check-config"}).mode == cli_mode::check_config);
}

TEST_CASE("help and version need no config", "[unit][command]") {
  CHECK(parse({"--help"}).mode == cli_mode::help);
  CHECK(parse({"-h"}).mode == cli_mode::help);
  CHECK(parse({"--version"}).mode == cli_mode::version);
  CHECK(parse({"--config", "x", "-V"}).mode == cli_mode::version);
}

TEST_CASE("usage errors exit with code 2 and say what is wrong", "[unit][command]") {
  CHECK(code_of_failure({}) == exit_code::usage);
  CHECK(code_of_failure({"--check-config"}) == exit_code::usage);
  CHECK(code_of_failure({"--config"}) == exit_code::usage);
  CHECK(code_of_failure({"--config="}) == exit_code::usage);
  CHECK(code_of_failure({"--config", "a", "--config", "b"}) == exit_code::usage);
  CHECK(code_of_failure({"--frobnicate"}) == exit_code::usage);
  CHECK(code_of_failure({"config.yaml"}) == exit_code::usage);
  CHECK_THROWS_WITH(parse({"--bogus"}), Catch::Contains("unknown option --bogus"));
  CHECK_THROWS_WITH(parse({}), Catch::Contains("missing --config FILE"));
}

TEST_CASE("usage text names every option", "[unit][command]") {
  const std::string text = usage_text("rampart");
  for (const char* option : {"--config", "--check-config", "--help", "--version"}) {
    CHECK(text.find(option) != std::string::npos);
  }
}
