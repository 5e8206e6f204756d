#pragma once
// Reading a YAML document the strict way: every map is checked against the keys it may hold
// (unknown and repeated keys are errors), every scalar is converted by rampart's own readers
// rather than yaml-cpp's as<T>() (which turns "-1" into a wrapped unsigned on some versions,
// reads uint8_t as a character, and accepts "0x10" or "1e3" for integers).
//
// Every error is one config_error whose message has the shape
//   <source>:<line>: <key.path>: <what is wrong> (<how to fix it, when obvious>)
// so an editor can jump to it. Lines are 1-based; yaml-cpp's marks are 0-based.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::config {

inline constexpr std::string_view document_path = "(document)";

std::string join_path(std::string_view parent, std::string_view key);
std::string in_quotes(std::string_view text);
// "a map", "a list", the scalar in quotes, or "nothing": what a value is, for "got ..." messages.
std::string describe_kind(const YAML::Node& node);
int line_of(const YAML::Node& node);

// The one name of `candidates` within two edits of `name` (a "did you mean" hint), or "" when
// there is none or several are as near.
std::string_view closest_name(std::string_view name, const std::vector<std::string_view>& candidates);

// Carries the source name for messages and the line of every key read, so rules that run after
// reading (cross_checks.hh) can still point at the right line.
class context {
 public:
  explicit context(std::string_view source) : _source(source) {}

  [[noreturn]] void fail(int line, std::string_view path, std::string_view message) const;

  void remember(const std::string& path, int line) { _lines[path] = line; }
  bool has(std::string_view path) const { return _lines.find(path) != _lines.end(); }
  // The line of `path` if it was in the document, else of the first of `fallbacks` that was.
  int line_of(std::string_view path, std::initializer_list<std::string_view> fallbacks = {}) const;

 private:
  std::string_view _source;
  std::map<std::string, int, std::less<>> _lines;
};

// One value in the document, with the key path and line used in messages about it.
struct field {
  YAML::Node node;
  std::string path;
  int line;  // of the value, or of its key when the value is empty (yaml-cpp marks an empty
             // value at the next token, which is often the next line)
  int key_line = line;  // of the key naming it; "missing key" errors in a map point here
};

// The keys of one YAML map, checked against the keys its section declares.
class map_reader {
 public:
  map_reader(context& ctx, const field& map, std::vector<std::string_view> known);

  const field* find(std::string_view key) const;
  // "missing required key (<hint>)" (or "section"), at the line of the map's own key.
  [[noreturn]] void fail_missing(std::string_view key, std::string_view what, std::string_view hint) const;

 private:
  std::string known_list() const;

  context& _ctx;
  std::string _path;
  int _line;
  std::vector<std::string_view> _known;
  std::vector<std::pair<std::string, field>> _fields;
};

[[noreturn]] void fail_empty(const context& ctx, const field& f, std::string_view expected);

// An unsigned decimal integer within [min, max]. Signs, fractions, exponents, hex and quoted
// numbers are refused: each is more likely a mistake than an intent in a config file.
std::uint64_t read_unsigned(const context& ctx, const field& f, std::uint64_t min, std::uint64_t max);
// YAML 1.1 booleans as yaml-cpp spells them (true/false, yes/no, on/off in the usual cases).
bool read_bool(const context& ctx, const field& f);
std::string read_string(const context& ctx, const field& f);
// A list of non-empty strings, as a block list or a flow list ([a, b]); remembers each
// element's line under "<path>[<index>]".
std::vector<std::string> read_string_list(context& ctx, const field& f);
// An app's arguments: a map of scalars (name: value); an empty value is "" (a flag, an empty body).
std::map<std::string, std::string> read_argument_map(const context& ctx, const field& f);

}  // namespace rampart::config
