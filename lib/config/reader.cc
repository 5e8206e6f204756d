#include "reader.hh"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "config/config.hh"

namespace rampart::config {
namespace {

// Levenshtein distance, for "did you mean" hints. Names are short; O(n·m) is fine.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A quoted scalar ('80' or "80") or one tagged !!str is a string in YAML, whatever it spells.
bool is_string_typed(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

}  // namespace

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  return std::string(parent) + "." + std::string(key);
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string describe_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return in_quotes(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

std::string_view closest_name(std::string_view name, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_distance = 3;
  bool tie = false;
  for (const auto candidate : candidates) {
    const std::size_t distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
      tie = false;
    } else if (distance == best_distance) {
      tie = true;
    }
  }
  return tie ? std::string_view() : best;
}

void context::fail(int line, std::string_view path, std::string_view message) const {
  std::ostringstream text;
  text << _source << ':' << line << ": " << path << ": " << message;
  throw config_error(text.str());
}

int context::line_of(std::string_view path, std::initializer_list<std::string_view> fallbacks) const {
  if (const auto it = _lines.find(path); it != _lines.end()) {
    return it->second;
  }
  for (const auto fallback : fallbacks) {
    if (const auto it = _lines.find(fallback); it != _lines.end()) {
      return it->second;
    }
  }
  return 1;
}

map_reader::map_reader(context& ctx, const field& map, std::vector<std::string_view> known)
    : _ctx(ctx), _path(map.path), _line(map.key_line), _known(std::move(known)) {
  if (!map.node.IsMap()) {
    if (map.node.IsNull()) {
      ctx.fail(map.line, map.path,
               "is empty; expected a map with keys " + known_list() + " (delete the key to use the defaults)");
    }
    ctx.fail(map.line, map.path, "expected a map with keys " + known_list() + ", got " + describe_kind(map.node));
  }
  for (const auto& entry : map.node) {
    const YAML::Node& key = entry.first;
    const int key_line = rampart::config::line_of(key);
    if (!key.IsScalar()) {
      ctx.fail(key_line, map.path, "map keys must be plain words, got " + describe_kind(key));
    }
    const std::string& name = key.Scalar();
    const std::string path = join_path(map.path, name);
    if (std::find(_known.begin(), _known.end(), name) == _known.end()) {
      const std::string_view hint = closest_name(name, _known);
      ctx.fail(key_line, path,
               "unknown key" + (hint.empty() ? std::string() : " (did you mean " + in_quotes(hint) + "?)") +
                   "; known keys here: " + known_list());
    }
    for (const auto& seen : _fields) {
      if (seen.first == name) {
        ctx.fail(key_line, path,
                 "repeated key (first given on line " + std::to_string(seen.second.line) + "); keep one");
      }
    }
    const YAML::Node& value = entry.second;
    const int value_line = value.IsNull() ? key_line : rampart::config::line_of(value);
    ctx.remember(path, key_line);
    _fields.emplace_back(name, field{value, path, value_line, key_line});
  }
}

const field* map_reader::find(std::string_view key) const {
  for (const auto& entry : _fields) {
    if (entry.first == key) {
      return &entry.second;
    }
  }
  return nullptr;
}

void map_reader::fail_missing(std::string_view key, std::string_view what, std::string_view hint) const {
  _ctx.fail(_line, join_path(_path, key), "missing required " + std::string(what) + " (" + std::string(hint) + ")");
}

std::string map_reader::known_list() const {
  std::string list;
  for (const auto key : _known) {
    list += list.empty() ? "" : ", ";
    list += key;
  }
  return list;
}

void fail_empty(const context& ctx, const field& f, std::string_view expected) {
  ctx.fail(f.line, f.path,
           "has no value; expected " + std::string(expected) + " (delete the key to use the default)");
}

std::uint64_t read_unsigned(const context& ctx, const field& f, std::uint64_t min, std::uint64_t max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (f.node.IsNull()) {
    fail_empty(ctx, f, "an integer in " + range);
  }
  if (!f.node.IsScalar()) {
    ctx.fail(f.line, f.path, "expected an integer in " + range + ", got " + describe_kind(f.node));
  }
  const std::string& text = f.node.Scalar();
  if (is_string_typed(f.node)) {
    ctx.fail(f.line, f.path,
             "expected an integer in " + range + ", got the quoted string " + in_quotes(text) +
                 " (remove the quotes)");
  }
  if (!text.empty() && text.front() == '-' && text.size() > 1 &&
      std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    ctx.fail(f.line, f.path, "must not be negative, got " + text + " (allowed: " + range + ")");
  }
  // YAML 1.1 reads a leading zero as octal ("010" is 8); refuse rather than guess.
  if (text.size() > 1 && text.front() == '0') {
    ctx.fail(f.line, f.path,
             "leading zero in " + in_quotes(text) +
                 " (YAML 1.1 reads it as octal); "
                 "write the number without it");
  }
  std::uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || !(text.front() >= '0' && text.front() <= '9') || stop != end) {
    ctx.fail(f.line, f.path, "expected an integer in " + range + ", got " + in_quotes(text));
  }
  if (error == std::errc::result_out_of_range || value < min || value > max) {
    ctx.fail(f.line, f.path, text + " is out of range (allowed: " + range + ")");
  }
  return value;
}

bool read_bool(const context& ctx, const field& f) {
  if (f.node.IsNull()) {
    fail_empty(ctx, f, "true or false");
  }
  bool value = false;
  if (!f.node.IsScalar() || is_string_typed(f.node) || !YAML::convert<bool>::decode(f.node, value)) {
    ctx.fail(f.line, f.path,
             "expected true or false, got " + describe_kind(f.node) +
                 (is_string_typed(f.node) ? " (remove the quotes)" : ""));
  }
  return value;
}

std::string read_string(const context& ctx, const field& f) {
  if (f.node.IsNull()) {
    fail_empty(ctx, f, "a string");
  }
  if (!f.node.IsScalar()) {
    ctx.fail(f.line, f.path, "expected a string, got " + describe_kind(f.node));
  }
  return f.node.Scalar();
}

std::vector<std::string> read_string_list(context& ctx, const field& f) {
  if (f.node.IsNull()) {
    fail_empty(ctx, f, "a list of strings (write [] for none)");
  }
  if (!f.node.IsSequence()) {
    ctx.fail(f.line, f.path,
             "expected a list of strings, got " + describe_kind(f.node) +
                 " (write it as [\"...\"] or as \"- ...\" lines)");
  }
  std::vector<std::string> list;
  for (const auto& item : f.node) {
    const field element{item, f.path + "[" + std::to_string(list.size()) + "]",
                        item.IsNull() ? f.line : line_of(item)};
    std::string text = read_string(ctx, element);
    if (text.empty()) {
      ctx.fail(element.line, element.path, "is an empty string");
    }
    ctx.remember(element.path, element.line);
    list.push_back(std::move(text));
  }
  return list;
}

std::map<std::string, std::string> read_argument_map(const context& ctx, const field& f) {
  if (f.node.IsNull()) {
    fail_empty(ctx, f, "a map of app arguments (write {} for none)");
  }
  if (!f.node.IsMap()) {
    ctx.fail(f.line, f.path, "expected a map of app arguments (name: value), got " + describe_kind(f.node));
  }
  std::map<std::string, std::string> map;
  for (const auto& kv : f.node) {
    const int key_line = line_of(kv.first);
    if (!kv.first.IsScalar()) {
      ctx.fail(key_line, f.path, "argument names must be plain words, got " + describe_kind(kv.first));
    }
    const field value{kv.second, join_path(f.path, kv.first.Scalar()),
                      kv.second.IsNull() ? key_line : line_of(kv.second)};
    if (!kv.second.IsNull() && !kv.second.IsScalar()) {
      ctx.fail(value.line, value.path, "app arguments are strings or numbers, got " + describe_kind(kv.second));
    }
    // An empty value is a legitimate argument (a flag, an empty body); keep it as "".
    const std::string text = kv.second.IsNull() ? std::string() : kv.second.Scalar();
    if (!map.emplace(kv.first.Scalar(), text).second) {
      ctx.fail(key_line, value.path, "repeated argument; keep one");
    }
  }
  return map;
}

}  // namespace rampart::config
