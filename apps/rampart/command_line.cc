#include "command_line.hh"

#include "engine/startup_error.hh"

namespace rampart::command {

using engine::exit_code;
using engine::startup_error;

namespace {

[[noreturn]] void usage_error(const std::string& message) {
  throw startup_error(exit_code::usage, message + " (see rampart --help)");
}

}  // namespace

cli_options parse_command_line(std::span<const std::string_view> args) {
  cli_options options;
  bool check_config = false;
  bool have_config = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    std::string_view value;
    bool is_config = false;
    if (arg == "--config" || arg == "-c") {
      if (i + 1 >= args.size()) {
        usage_error(std::string(arg) + " needs a file name");
      }
      value = args[++i];
      is_config = true;
    } else if (arg.starts_with("--config=")) {
      value = arg.substr(std::string_view("--config=").size());
      is_config = true;
    } else if (arg == "--check-config") {
      check_config = true;
    } else if (arg == "-h" || arg == "--help") {
      return {cli_mode::help, {}};
    } else if (arg == "-V" || arg == "--version") {
      return {cli_mode::version, {}};
    } else if (arg.starts_with("-")) {
      usage_error("unknown option " + std::string(arg));
    } else {
      usage_error("unexpected argument '" + std::string(arg) + "'");
    }
    if (is_config) {
      if (have_config) {
        usage_error("--config given twice");
      }
      if (value.empty()) {
        usage_error("--config needs a file name");
      }
      options.config_path = std::string(value);
      have_config = true;
    }
  }
  if (!have_config) {
    usage_error("missing --config FILE (config/default.yaml runs on a net_tap port without hugepages)");
  }
  options.mode = check_config ? cli_mode::check_config : cli_mode::run;
  return options;
}

std::string usage_text(std::string_view program_name) {
  std::string p(program_name);
  return "usage: " + p + " --config FILE [--check-config]\n"
         "       " + p + " --help | --version\n"
         "\n"
         "rampart: a DPDK TCP termination engine. Every setting, EAL included, comes from FILE.\n"
         "\n"
         "  -c, --config FILE   YAML configuration (docs/config.md)\n"
         "      --check-config  validate FILE, print the effective configuration and exit\n"
         "                      (does not start EAL; needs no privileges)\n"
         "  -h, --help          this text\n"
         "  -V, --version       print the version, the commit built from and the DPDK version\n"
         "\n"
         "exit status: 0 ok, 1 runtime failure (EAL, port, permissions), 2 usage or config error\n"
         "signals: SIGTERM drains (tcp.drain_timeout_seconds), a second SIGTERM or SIGINT stops at once,\n"
         "SIGHUP re-reads FILE, SIGUSR1 prints the counters (docs/operations.md)\n"
         "counters: dpdk-telemetry.py -f <eal.file_prefix>, /rampart/stats\n";
}

}  // namespace rampart::command
