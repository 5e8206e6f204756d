#pragma once
// Console output of the control lcore: "rampart: ..." lines, flushed one by one so scripts that
// wait for "rampart: ready" on a pipe see it at once. Never called from a worker loop.
#include <cstdio>
#include <string_view>

namespace rampart::engine {

inline void log_info(std::string_view line) {
  std::fprintf(stdout, "rampart: %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stdout);
}

inline void log_warning(std::string_view line) {
  std::fprintf(stdout, "rampart: warning: %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stdout);
}

inline void log_error(std::string_view line) {
  std::fprintf(stderr, "rampart: error: %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

}  // namespace rampart::engine
