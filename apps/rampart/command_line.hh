#pragma once
// rampart's own command line. It selects a config file and a mode, nothing else: every engine
// and EAL setting lives in the config, so a run is reproducible from the file alone.
#include <span>
#include <string>
#include <string_view>

namespace rampart::command {

enum class cli_mode {
  run,           // start the engine
  check_config,  // parse and validate, print the effective config, never start EAL
  help,
  version,
};

struct cli_options {
  cli_mode mode = cli_mode::run;
  std::string config_path;
};

// args excludes argv[0]. Accepts --config FILE, --config=FILE, -c FILE, --check-config, -h/--help,
// -V/--version. Throws startup_error(exit_code::usage) on an unknown option, a missing or repeated
// --config value, stray arguments, or run/check-config without --config.
cli_options parse_command_line(std::span<const std::string_view> args);

std::string usage_text(std::string_view program_name);

}  // namespace rampart::command
