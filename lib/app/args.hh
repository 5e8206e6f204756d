#pragma once
// Reading a listener's `args` (strings from the config) into an app's typed settings, with the
// error messages of docs/apps.md: every message names the listener's port and app, the argument,
// what is wrong and the fix. Start-up only.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hh"

namespace rampart::app {

class arg_reader {
 public:
  explicit arg_reader(const config::listener_config& listener) : _listener(listener) {}

  // The argument's text, or nullptr when the config does not set it. Marks `name` as known.
  const std::string* text(std::string_view name);
  // A decimal integer in [min, max], or `fallback` when absent. app_error otherwise.
  std::uint64_t number(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                       std::uint64_t max);
  // Marks every argument whose name starts with `prefix` as known and returns their names;
  // reject_unknown() lists the family as PREFIXNAME.
  std::vector<std::string> names_with_prefix(std::string_view prefix);

  // Throws app_error for the first argument no read above asked for (a misspelling, an argument
  // of another app), listing the known ones.
  void reject_unknown() const;

  // app_error "listener on port P (app A): args.NAME: WHAT".
  [[noreturn]] void fail(std::string_view name, std::string_view what) const;

 private:
  const config::listener_config& _listener;
  std::vector<std::string> _known;
  std::vector<std::string> _families;  // "header.NAME" for names_with_prefix("header.")
};

// "listener on port P (app A): " (plugin listeners add the file).
std::string listener_prefix(const config::listener_config& listener);

}  // namespace rampart::app
