#include "args.hh"

#include <algorithm>
#include <charconv>

#include "app/registry.hh"

namespace rampart::app {

std::string listener_prefix(const config::listener_config& listener) {
  std::string prefix =
      "listener on port " + std::to_string(listener.port) + " (app " + listener.app;
  if (!listener.plugin.empty()) {
    prefix += ", plugin " + listener.plugin;
  }
  return prefix + "): ";
}

void arg_reader::fail(std::string_view name, std::string_view what) const {
  throw app_error(listener_prefix(_listener) + "args." + std::string(name) + ": " +
                  std::string(what));
}

const std::string* arg_reader::text(std::string_view name) {
  _known.emplace_back(name);
  const auto it = _listener.args.find(std::string(name));
  return it == _listener.args.end() ? nullptr : &it->second;
}

std::uint64_t arg_reader::number(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                                 std::uint64_t max) {
  const std::string* value = text(name);
  if (value == nullptr) {
    return fallback;
  }
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  std::uint64_t parsed = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (value->empty() || ec == std::errc::invalid_argument || ptr != end) {
    fail(name, "\"" + *value + "\" is not a decimal number; write one in " + range);
  }
  if (ec == std::errc::result_out_of_range || parsed < min || parsed > max) {
    fail(name, *value + " is out of range; allowed: " + range);
  }
  return parsed;
}

std::vector<std::string> arg_reader::names_with_prefix(std::string_view prefix) {
  std::vector<std::string> names;
  _families.push_back(std::string(prefix) + "NAME");
  for (const auto& [name, value] : _listener.args) {
    if (name.starts_with(prefix)) {
      names.push_back(name);
      _known.push_back(name);
    }
  }
  return names;
}

void arg_reader::reject_unknown() const {
  for (const auto& [name, value] : _listener.args) {
    if (std::find(_known.begin(), _known.end(), name) != _known.end()) {
      continue;
    }
    std::string known;
    std::vector<std::string> sorted = _known;
    sorted.insert(sorted.end(), _families.begin(), _families.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    for (const auto& k : sorted) {
      known += (known.empty() ? "" : ", ") + k;
    }
    fail(name, "unknown argument for app " + _listener.app +
                   "; known: " + (known.empty() ? std::string("none") : known) + " (docs/apps.md)");
  }
}

}  // namespace rampart::app
