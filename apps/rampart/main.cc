// rampart: parse the command line, load the config, run the pre-flight, then print the effective
// config (--check-config) or run the engine. Every failure ends here as ONE line on stderr, the
// last line printed, and an exit code: 0 ok, 1 runtime failure, 2 usage or config error.
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command_line.hh"
#include "config/config.hh"
#include "config_dump.hh"
#include "engine/build_info.hh"
#include "engine/engine.hh"
#include "engine/log.hh"
#include "engine/startup_error.hh"
#include "preflight.hh"

namespace {

using rampart::engine::exit_code;

int code_of(exit_code code) { return static_cast<int>(code); }

// The one error line. EAL prints its usage text on stdout, where a pipe or a file buffers it:
// flushed first, it cannot land after (or around) the line that says what went wrong.
int fail(exit_code code, const std::string& message) {
  std::fflush(stdout);
  rampart::engine::log_error(message);
  return code_of(code);
}

int run_main(int argc, char** argv) {
  const std::string_view program = argc > 0 ? argv[0] : "rampart";
  const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const rampart::command::cli_options options = rampart::command::parse_command_line(args);
  switch (options.mode) {
    case rampart::command::cli_mode::help:
      std::fputs(rampart::command::usage_text(program).c_str(), stdout);
      return code_of(exit_code::ok);
    case rampart::command::cli_mode::version:
      std::printf("%s\n", rampart::engine::describe(rampart::engine::this_build()).c_str());
      return code_of(exit_code::ok);
    case rampart::command::cli_mode::check_config:
    case rampart::command::cli_mode::run:
      break;
  }

  rampart::config::engine_config cfg;
  try {
    cfg = rampart::config::load_config_file(options.config_path);
  } catch (const rampart::config::config_error& e) {
    return fail(exit_code::usage, e.what());
  }
  if (const std::optional<std::string> problem = rampart::command::preflight(cfg)) {
    return fail(exit_code::usage, options.config_path + ": " + *problem);
  }
  if (options.mode == rampart::command::cli_mode::check_config) {
    std::printf("# %s: valid; effective configuration:\n%s", options.config_path.c_str(),
                rampart::command::dump_config(cfg).c_str());
    return code_of(exit_code::ok);
  }
  return code_of(rampart::engine::run(cfg, options.config_path, program));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const rampart::engine::startup_error& e) {
    return fail(e.code(), e.what());
  } catch (const std::exception& e) {
    return fail(exit_code::runtime_failure, std::string("unexpected failure: ") + e.what());
  }
}
