// libFuzzer target: config::parse_config over arbitrary text. The contract (config.hh) is that
// every bad input ends in a config_error naming a key and a line, and that a config it returns is
// fully validated; so here any other exception, a hang (yaml-cpp 0.7's LoadAll loop, avoided by
// the config module), a sanitizer report, or an accepted config that breaks a documented
// cross-field rule aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <sstream>
#include <string>

#include "config/config.hh"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "\nfuzz invariant violated: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

void check_accepted(const rampart::config::engine_config& c) {
  using rampart::config::cookie_mode;
  // config.hh: duplicate listener ports and empty app names are errors.
  std::set<std::uint16_t> ports;
  for (const auto& l : c.listeners) {
    if (!ports.insert(l.port).second) {
      fail("accepted a duplicate listener port", std::to_string(l.port));
    }
    if (l.app.empty()) {
      fail("accepted a listener with an empty app name", std::to_string(l.port));
    }
  }
  // config.hh: "mss > mtu - 40" and "auto_threshold > backlog_per_lcore" are conflicts.
  if (c.tcp.mss + 40U > c.port.mtu) {
    fail("accepted mss > mtu - 40", std::to_string(c.tcp.mss) + " / " + std::to_string(c.port.mtu));
  }
  if (c.tcp.syn_cookies.mode == cookie_mode::auto_mode &&
      c.tcp.syn_cookies.auto_threshold > c.tcp.syn_cookies.backlog_per_lcore) {
    fail("accepted auto_threshold > backlog_per_lcore", "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    check_accepted(rampart::config::parse_config(in, "fuzz.yaml"));
  } catch (const rampart::config::config_error& e) {
    // The documented way to refuse; its message must name a place ("fuzz.yaml:LINE...").
    if (std::string(e.what()).find("fuzz.yaml") == std::string::npos) {
      fail("config_error without the source name", e.what());
    }
  } catch (const std::exception& e) {
    fail("parse_config threw something other than config_error", e.what());
  }
  return 0;
}
