// rampart: parse the command line, load the config, run the engine. Every failure ends here as
// ONE line on stderr and an exit code: 0 ok, 1 runtime failure, 2 usage or config error.
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rte_config.h>

#include "app/registry.hh"
#include "config/config.hh"
#include "cookie/key_schedule.hh"
#include "engine/cli.hh"
#include "engine/config_check.hh"
#include "engine/config_dump.hh"
#include "engine/eal_args.hh"
#include "engine/engine.hh"
#include "engine/log.hh"
#include "engine/startup_error.hh"

#ifndef RAMPART_VERSION
#define RAMPART_VERSION "unknown"
#endif

namespace {

using rampart::engine::exit_code;

int code_of(exit_code code) { return static_cast<int>(code); }

// --check-config: what can be checked without EAL or privileges; the first problem found.
std::optional<std::string> check_without_eal(const rampart::config::engine_config& cfg) {
  if (auto problem = rampart::engine::eal_config_conflict(cfg.eal)) {
    return problem;
  }
  if (auto problem = rampart::engine::check_lcores(cfg.eal.lcores, rampart::engine::allowed_cpus(), RTE_MAX_LCORE)) {
    return problem;
  }
  if (auto problem = rampart::engine::check_driver_mtu(cfg)) {
    return problem;
  }
  const auto& cookies = cfg.tcp.syn_cookies;
  if (!cookies.master_secret_file.empty()) {  // the engine reads it in every mode
    try {
      rampart::cookie::key_schedule::from_master_file(cookies.master_secret_file, cookies.rotation_seconds);
    } catch (const rampart::cookie::key_error& e) {
      return std::string("tcp.syn_cookies: ") + e.what();
    }
  }
  return std::nullopt;
}

int run_main(int argc, char** argv) {
  const std::string_view program = argc > 0 ? argv[0] : "rampart";
  const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const rampart::engine::cli_options options = rampart::engine::parse_command_line(args);
  switch (options.mode) {
    case rampart::engine::cli_mode::help:
      std::fputs(rampart::engine::usage_text(program).c_str(), stdout);
      return code_of(exit_code::ok);
    case rampart::engine::cli_mode::version:
      std::printf("rampart %s\n", RAMPART_VERSION);
      return code_of(exit_code::ok);
    case rampart::engine::cli_mode::check_config:
    case rampart::engine::cli_mode::run:
      break;
  }

  rampart::config::engine_config cfg;
  try {
    cfg = rampart::config::load_config_file(options.config_path);
  } catch (const rampart::config::config_error& e) {
    rampart::engine::log_error(e.what());
    return code_of(exit_code::usage);
  }
  // Every listener's app before anything starts: a known name, valid args, a plugin that loads
  // and accepts its args (docs/apps.md).
  for (const rampart::config::listener_config& listener : cfg.listeners) {
    try {
      rampart::app::check_listener(listener);
    } catch (const rampart::app::app_error& e) {
      rampart::engine::log_error(options.config_path + ": " + e.what());
      return code_of(exit_code::usage);
    }
  }
  if (options.mode == rampart::engine::cli_mode::check_config) {
    if (const auto problem = check_without_eal(cfg)) {
      rampart::engine::log_error(options.config_path + ": " + *problem);
      return code_of(exit_code::usage);
    }
    std::printf("# %s: valid; effective configuration:\n%s", options.config_path.c_str(),
                rampart::engine::dump_config(cfg).c_str());
    return code_of(exit_code::ok);
  }
  return code_of(rampart::engine::run(cfg, options.config_path, program));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const rampart::engine::startup_error& e) {
    rampart::engine::log_error(e.what());
    return code_of(e.code());
  } catch (const std::exception& e) {
    rampart::engine::log_error(std::string("unexpected failure: ") + e.what());
    return code_of(exit_code::runtime_failure);
  }
}
