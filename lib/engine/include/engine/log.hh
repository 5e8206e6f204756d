#pragma once
// Console output of the control lcore: "<UTC time> rampart: ..." lines, flushed one by one so
// scripts that wait for "rampart: ready" on a pipe see it at once. Never called from a worker loop.
//
// Every call prints exactly one line, stamped with the wall clock (utc_timestamp) so lines that
// reach a file or a pipe rather than the journal still say when: the text goes through one_line,
// so a value that came from a config file or a plugin (a plugin arg holding a newline) can
// neither split its line nor forge another.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace rampart::engine {

// `text` with backslash, control characters and DEL written as C escapes (\\, \n, \r, \t,
// \xNN); every other byte, UTF-8 included, as it is.
inline std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

// "2026-11-30T03:50:00Z" for a Unix time in seconds.
inline std::string utc_timestamp(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

inline void log_line(std::FILE* to, const char* kind, std::string_view line) {
  const std::string text = one_line(line);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string time = utc_timestamp(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  std::fprintf(to, "%s rampart: %s%s\n", time.c_str(), kind, text.c_str());
  std::fflush(to);
}

inline void log_info(std::string_view line) { log_line(stdout, "", line); }
inline void log_warning(std::string_view line) { log_line(stdout, "warning: ", line); }
inline void log_error(std::string_view line) { log_line(stderr, "error: ", line); }

}  // namespace rampart::engine
