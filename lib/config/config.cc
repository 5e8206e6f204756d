// YAML → engine_config. The parser walks the document once, section by section; every map is
// checked against the keys its struct knows (unknown and repeated keys are errors), every scalar
// is converted by rampart's own strict readers rather than yaml-cpp's as<T>() (which turns
// "-1" into a wrapped unsigned on some versions, reads uint8_t as a character, and accepts
// "0x10" or "1e3" for integers), and cross-field rules run once the whole document is read.
//
// Every error is one config_error whose message has the shape
//   <source>:<line>: <key.path>: <what is wrong> (<how to fix it, when obvious>)
// so an editor can jump to it. Lines are 1-based; yaml-cpp's marks are 0-based.
#include "config/config.hh"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

namespace rampart::config {
namespace {

constexpr std::string_view document_path = "(document)";

// Levenshtein distance, for "did you mean" hints on unknown keys. Keys are short; O(n·m) is fine.
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

// A quoted scalar ('80' or "80") or one tagged !!str is a string in YAML, whatever it spells.
bool is_string_typed(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

// Carries the source name for messages and the line of every key read, so cross-field rules
// that run after parsing can still point at the right line.
class context {
 public:
  explicit context(std::string_view source) : _source(source) {}

  [[noreturn]] void fail(int line, std::string_view path, std::string_view message) const {
    std::ostringstream text;
    text << _source << ':' << line << ": " << path << ": " << message;
    throw config_error(text.str());
  }

  void remember(const std::string& path, int line) { _lines[path] = line; }
  bool has(std::string_view path) const { return _lines.find(path) != _lines.end(); }
  // The line of `path` if it was in the document, else of the first of `fallbacks` that was.
  int line_of(std::string_view path, std::initializer_list<std::string_view> fallbacks = {}) const {
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

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

// The keys of one YAML map, checked against the keys its struct knows.
class map_reader {
 public:
  map_reader(context& ctx, const field& map, std::initializer_list<std::string_view> known)
      : _ctx(ctx), _path(map.path), _line(map.key_line), _known(known) {
    if (!map.node.IsMap()) {
      if (map.node.IsNull()) {
        ctx.fail(map.line, map.path,
                 "is empty; expected a map with keys " + known_list() +
                     " (delete the key to use the defaults)");
      }
      ctx.fail(map.line, map.path,
               "expected a map with keys " + known_list() + ", got " + describe_kind(map.node));
    }
    for (const auto& entry : map.node) {
      const YAML::Node& key = entry.first;
      const int key_line = line_of(key);
      if (!key.IsScalar()) {
        ctx.fail(key_line, map.path, "map keys must be plain words, got " + describe_kind(key));
      }
      const std::string& name = key.Scalar();
      const std::string path = join_path(map.path, name);
      if (std::find(_known.begin(), _known.end(), name) == _known.end()) {
        ctx.fail(key_line, path,
                 "unknown key" + suggestion(name) + "; known keys here: " + known_list());
      }
      for (const auto& seen : _fields) {
        if (seen.first == name) {
          ctx.fail(key_line, path,
                   "repeated key (first given on line " + std::to_string(seen.second.line) +
                       "); keep one");
        }
      }
      const YAML::Node& value = entry.second;
      const int value_line = value.IsNull() ? key_line : line_of(value);
      ctx.remember(path, key_line);
      _fields.emplace_back(name, field{value, path, value_line, key_line});
    }
  }

  const field* find(std::string_view key) const {
    for (const auto& entry : _fields) {
      if (entry.first == key) {
        return &entry.second;
      }
    }
    return nullptr;
  }

  const field& require(std::string_view key, std::string_view hint) const {
    const field* found = find(key);
    if (found == nullptr) {
      _ctx.fail(_line, join_path(_path, key), "missing required key (" + std::string(hint) + ")");
    }
    return *found;
  }

 private:
  std::string known_list() const {
    std::string list;
    for (const auto key : _known) {
      list += list.empty() ? "" : ", ";
      list += key;
    }
    return list;
  }

  // " (did you mean "x"?)" when exactly one known key is the nearest within 2 edits.
  std::string suggestion(std::string_view name) const {
    std::string_view best;
    std::size_t best_distance = 3;
    bool tie = false;
    for (const auto key : _known) {
      const std::size_t distance = edit_distance(name, key);
      if (distance < best_distance) {
        best = key;
        best_distance = distance;
        tie = false;
      } else if (distance == best_distance) {
        tie = true;
      }
    }
    if (best.empty() || tie) {
      return "";
    }
    return " (did you mean " + in_quotes(best) + "?)";
  }

  context& _ctx;
  std::string _path;
  int _line;
  std::vector<std::string_view> _known;
  std::vector<std::pair<std::string, field>> _fields;
};

[[noreturn]] void fail_empty(const context& ctx, const field& f, std::string_view expected) {
  ctx.fail(
      f.line, f.path,
      "has no value; expected " + std::string(expected) + " (delete the key to use the default)");
}

// An unsigned decimal integer within [min, max]. Signs, fractions, exponents, hex and quoted
// numbers are refused: each is more likely a mistake than an intent in a config file.
std::uint64_t read_unsigned(const context& ctx, const field& f, std::uint64_t min,
                            std::uint64_t max) {
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

template <typename T>
void read_unsigned_into(const context& ctx, const map_reader& map, std::string_view key, T& out,
                        std::uint64_t min, std::uint64_t max) {
  static_assert(std::is_unsigned_v<T>);
  if (const field* f = map.find(key)) {
    out = static_cast<T>(
        read_unsigned(ctx, *f, min, std::min<std::uint64_t>(max, std::numeric_limits<T>::max())));
  }
}

// YAML 1.1 booleans as yaml-cpp spells them (true/false, yes/no, on/off in the usual cases).
void read_bool_into(const context& ctx, const map_reader& map, std::string_view key, bool& out) {
  const field* f = map.find(key);
  if (f == nullptr) {
    return;
  }
  if (f->node.IsNull()) {
    fail_empty(ctx, *f, "true or false");
  }
  bool value = false;
  if (!f->node.IsScalar() || is_string_typed(f->node) ||
      !YAML::convert<bool>::decode(f->node, value)) {
    ctx.fail(f->line, f->path,
             "expected true or false, got " + describe_kind(f->node) +
                 (is_string_typed(f->node) ? " (remove the quotes)" : ""));
  }
  out = value;
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

void read_string_into(const context& ctx, const map_reader& map, std::string_view key,
                      std::string& out) {
  if (const field* f = map.find(key)) {
    out = read_string(ctx, *f);
  }
}

// A list of non-empty strings, as a block list or a flow list ([a, b]).
void read_string_list_into(context& ctx, const map_reader& map, std::string_view key,
                           std::vector<std::string>& out) {
  const field* f = map.find(key);
  if (f == nullptr) {
    return;
  }
  if (f->node.IsNull()) {
    fail_empty(ctx, *f, "a list of strings (write [] for none)");
  }
  if (!f->node.IsSequence()) {
    ctx.fail(f->line, f->path,
             "expected a list of strings, got " + describe_kind(f->node) +
                 " (write it as [\"...\"] or as \"- ...\" lines)");
  }
  out.clear();
  std::size_t index = 0;
  for (const auto& item : f->node) {
    const field element{item, f->path + "[" + std::to_string(index++) + "]",
                        item.IsNull() ? f->line : line_of(item)};
    std::string text = read_string(ctx, element);
    if (text.empty()) {
      ctx.fail(element.line, element.path, "is an empty string");
    }
    out.push_back(std::move(text));
  }
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A PCI address as EAL's -a takes it: [dddd:]bb:dd.f, optionally followed by ",devargs".
bool is_pci_address(std::string_view text) {
  text = text.substr(0, text.find(','));
  if (text.size() == 12) {
    if (!(is_hex(text[0]) && is_hex(text[1]) && is_hex(text[2]) && is_hex(text[3]) &&
          text[4] == ':')) {
      return false;
    }
    text.remove_prefix(5);
  }
  return text.size() == 7 && is_hex(text[0]) && is_hex(text[1]) && text[2] == ':' &&
         is_hex(text[3]) && is_hex(text[4]) && text[5] == '.' && text[6] >= '0' && text[6] <= '7';
}

// The domain-qualified form, so "3b:00.0" and "0000:3b:00.0" compare equal.
std::string canonical_pci(std::string_view text) {
  text = text.substr(0, text.find(','));
  std::string full = text.size() == 7 ? "0000:" + std::string(text) : std::string(text);
  std::transform(full.begin(), full.end(), full.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return full;
}

void read_eal(context& ctx, const field& section, eal_config& eal) {
  const map_reader map(ctx, section,
                       {"lcores", "memory_mb", "no_huge", "no_pci", "vdevs", "pci_allow",
                        "file_prefix", "in_memory", "log_level", "extra_args"});
  if (const field* f = map.find("lcores")) {
    eal.lcores = read_string(ctx, *f);
    // EAL's --lcores grammar: lcore ids, ranges, groups and CPU sets, e.g. "0-3", "0,2,4",
    // "(0-1)@0,2@2". Checking the character set catches typos; EAL checks the rest.
    const bool valid_chars = std::all_of(eal.lcores.begin(), eal.lcores.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == ',' || c == '-' || c == '@' || c == '(' || c == ')';
    });
    if (eal.lcores.empty() || !valid_chars) {
      ctx.fail(
          f->line, f->path,
          in_quotes(eal.lcores) + " is not an EAL lcore list (expected e.g. \"0-1\" or \"0,2,4\")");
    }
  }
  read_unsigned_into(ctx, map, "memory_mb", eal.memory_mb, 64, 1U << 20);
  read_bool_into(ctx, map, "no_huge", eal.no_huge);
  read_bool_into(ctx, map, "no_pci", eal.no_pci);
  read_string_list_into(ctx, map, "vdevs", eal.vdevs);
  read_string_list_into(ctx, map, "pci_allow", eal.pci_allow);
  for (std::size_t i = 0; i < eal.pci_allow.size(); ++i) {
    if (!is_pci_address(eal.pci_allow[i])) {
      const field* f = map.find("pci_allow");
      ctx.fail(line_of(f->node[i]), f->path + "[" + std::to_string(i) + "]",
               in_quotes(eal.pci_allow[i]) +
                   " is not a PCI address (expected dddd:bb:dd.f, e.g. \"0000:3b:00.0\")");
    }
  }
  if (const field* f = map.find("file_prefix")) {
    eal.file_prefix = read_string(ctx, *f);
    if (eal.file_prefix.empty() || eal.file_prefix.find('/') != std::string::npos) {
      ctx.fail(f->line, f->path,
               "must be a non-empty name without '/' (EAL makes a directory of it)");
    }
  }
  read_bool_into(ctx, map, "in_memory", eal.in_memory);
  if (const field* f = map.find("log_level")) {
    eal.log_level = read_string(ctx, *f);
    // --log-level takes "<level>" or "<type-pattern>:<level>"; the level is a name or 1..8.
    const std::string_view level =
        std::string_view(eal.log_level).substr(eal.log_level.rfind(':') + 1);
    static constexpr std::string_view names[] = {"emergency", "alert",  "critical", "error",
                                                 "warning",   "notice", "info",     "debug"};
    const bool known_name = std::find(std::begin(names), std::end(names), level) != std::end(names);
    const bool known_number = level.size() == 1 && level[0] >= '1' && level[0] <= '8';
    if (!known_name && !known_number) {
      ctx.fail(f->line, f->path,
               in_quotes(eal.log_level) +
                   " is not an EAL log level (expected emergency, alert, critical, "
                   "error, warning, notice, info, debug or 1..8, optionally "
                   "prefixed by \"<type>:\")");
    }
  }
  read_string_list_into(ctx, map, "extra_args", eal.extra_args);
}

void read_port(context& ctx, const field& section, port_config& port) {
  const map_reader map(
      ctx, section,
      {"device", "ip", "mac", "mtu", "rx_descriptors", "tx_descriptors", "mbufs", "burst_size"});
  read_string_into(ctx, map, "device", port.device);

  const field& ip = map.require("ip", "the port's IPv4 address with prefix, e.g. ip: 10.77.0.2/24");
  const std::string ip_text = read_string(ctx, ip);
  const auto parsed_ip = net::ipv4_interface_address::parse(ip_text);
  if (!parsed_ip) {
    ctx.fail(ip.line, ip.path,
             in_quotes(ip_text) + " is not an IPv4 address with prefix (expected a.b.c.d/len)");
  }
  const net::ipv4_address address = parsed_ip->address;
  // The port answers ARP for this address and sources every reply from it (RFC 1122 §3.2.1.3
  // forbids those special addresses as a source).
  if (address.is_zero() || address.is_multicast() || address.is_limited_broadcast() ||
      address.is_loopback() || (address.value >> 28) == 0xf) {
    ctx.fail(ip.line, ip.path,
             in_quotes(ip_text) +
                 " is not a unicast host address (zero, loopback, multicast, "
                 "broadcast and 240/4 cannot be an interface's address)");
  }
  if (parsed_ip->prefix_length == 0) {
    ctx.fail(ip.line, ip.path,
             in_quotes(ip_text) + ": a /0 prefix would put every address on-link");
  }
  // RFC 3021 lets /31 (and /32) use both addresses; shorter prefixes reserve the first and last.
  if (parsed_ip->prefix_length <= 30) {
    const std::uint32_t host_bits = address.value & ~parsed_ip->netmask();
    if (host_bits == 0 || address == parsed_ip->subnet_broadcast()) {
      ctx.fail(ip.line, ip.path,
               in_quotes(ip_text) + " is the subnet's " +
                   (host_bits == 0 ? "network" : "broadcast") + " address, not a host address");
    }
  }
  port.ip = *parsed_ip;

  if (const field* f = map.find("mac")) {
    const std::string text = read_string(ctx, *f);
    const auto mac = net::mac_address::parse(text);
    if (!mac) {
      ctx.fail(f->line, f->path,
               in_quotes(text) + " is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
    }
    if (mac->is_multicast() || mac->is_zero()) {
      ctx.fail(f->line, f->path,
               in_quotes(text) +
                   " is not a unicast MAC (zero, or the group bit of the first "
                   "byte is set); e.g. 02:00:00:00:00:01 is a local unicast one");
    }
    port.mac = *mac;
  }
  // 68: the smallest MTU every IPv4 host must accept (RFC 791); 9216: common jumbo frame limit.
  read_unsigned_into(ctx, map, "mtu", port.mtu, 68, 9216);
  for (const auto key : {"rx_descriptors", "tx_descriptors"}) {
    std::uint16_t& out =
        std::string_view(key) == "rx_descriptors" ? port.rx_descriptors : port.tx_descriptors;
    read_unsigned_into(ctx, map, key, out, 64, 16384);
    // Drivers size rings in powers of two and round (or refuse) anything else.
    if ((out & (out - 1)) != 0) {
      const field* f = map.find(key);
      ctx.fail(f->line, f->path,
               std::to_string(out) + " is not a power of two (use 64, 128, ..., 16384)");
    }
  }
  read_unsigned_into(ctx, map, "mbufs", port.mbufs, 1023, 1U << 26);
  read_unsigned_into(ctx, map, "burst_size", port.burst_size, 1, 256);
}

void read_listeners(context& ctx, const field& section, std::vector<listener_config>& listeners) {
  if (section.node.IsNull()) {
    fail_empty(ctx, section, "a list of {port, app, args} (write [] for none)");
  }
  if (!section.node.IsSequence()) {
    ctx.fail(section.line, section.path,
             "expected a list of {port, app, args}, got " + describe_kind(section.node) +
                 " (start each listener with \"- port: ...\")");
  }
  std::map<std::uint16_t, int> first_line_by_port;
  std::size_t index = 0;
  for (const auto& item : section.node) {
    const field entry{item, "listeners[" + std::to_string(index++) + "]",
                      item.IsNull() ? section.line : line_of(item)};
    const map_reader map(ctx, entry, {"port", "app", "plugin", "args", "nagle", "idle_timeout_seconds", "congestion_control"});
    listener_config listener;

    const field& port = map.require("port", "the TCP port to listen on, 1..65535");
    listener.port = static_cast<std::uint16_t>(read_unsigned(ctx, port, 1, 65535));
    if (const auto [it, inserted] = first_line_by_port.emplace(listener.port, port.line);
        !inserted) {
      ctx.fail(port.line, port.path,
               "port " + std::to_string(listener.port) + " already has a listener (line " +
                   std::to_string(it->second) + "); keep one");
    }

    const field& app = map.require("app", "the application name, e.g. app: echo");
    listener.app = read_string(ctx, app);
    if (listener.app.find_first_not_of(" \t") == std::string::npos) {
      ctx.fail(app.line, app.path, "is empty; name an app (http, echo, discard or plugin)");
    }
    // A third-party app is `app: plugin` plus the shared object that implements it (docs/apps.md).
    // Whether the file loads is lib/app's check, at start-up and in --check-config.
    if (listener.app == "plugin") {
      const field& plugin =
          map.require("plugin", "app: plugin needs the path of the plugin's shared object, e.g. "
                                "plugin: /usr/lib/rampart/uppercase.so");
      listener.plugin = read_string(ctx, plugin);
      if (listener.plugin.empty()) {
        ctx.fail(plugin.line, plugin.path, "is empty; name the plugin's shared object");
      }
    } else if (const field* plugin = map.find("plugin")) {
      ctx.fail(plugin->line, plugin->path,
               "is only for app: plugin (line " + std::to_string(app.line) + " says app: " +
                   listener.app + "); delete it, or write app: plugin");
    }

    if (const field* args = map.find("args")) {
      if (args->node.IsNull()) {
        fail_empty(ctx, *args, "a map of app arguments (write {} for none)");
      }
      if (!args->node.IsMap()) {
        ctx.fail(args->line, args->path,
                 "expected a map of app arguments (name: value), got " + describe_kind(args->node));
      }
      for (const auto& kv : args->node) {
        const int key_line = line_of(kv.first);
        if (!kv.first.IsScalar()) {
          ctx.fail(key_line, args->path,
                   "argument names must be plain words, got " + describe_kind(kv.first));
        }
        const field value{kv.second, join_path(args->path, kv.first.Scalar()),
                          kv.second.IsNull() ? key_line : line_of(kv.second)};
        if (!kv.second.IsNull() && !kv.second.IsScalar()) {
          ctx.fail(value.line, value.path,
                   "app arguments are strings or numbers, got " + describe_kind(kv.second));
        }
        // An empty value is a legitimate argument (a flag, an empty body); keep it as "".
        const std::string text = kv.second.IsNull() ? std::string() : kv.second.Scalar();
        if (!listener.args.emplace(kv.first.Scalar(), text).second) {
          ctx.fail(key_line, value.path, "repeated argument; keep one");
        }
      }
    }
    read_bool_into(ctx, map, "nagle", listener.nagle);
    read_unsigned_into(ctx, map, "idle_timeout_seconds", listener.idle_timeout_seconds, 0, 7 * 86400);
    if (const field* f = map.find("congestion_control")) {
      const std::string name = read_string(ctx, *f);
      if (name == "reno") {
        listener.congestion = congestion_control::reno;
      } else if (name == "cubic") {
        listener.congestion = congestion_control::cubic;
      } else {
        ctx.fail(f->line, f->path,
                 in_quotes(name) + " is not a congestion control (expected reno or cubic; cubic is the default)");
      }
    }
    listeners.push_back(std::move(listener));
  }
}

void read_syn_cookies(context& ctx, const field& section, syn_cookie_config& cookies) {
  const map_reader map(
      ctx, section,
      {"mode", "rotation_seconds", "master_secret_file", "backlog_per_lcore", "auto_threshold"});
  if (const field* f = map.find("mode")) {
    // Read as text: yaml-cpp would also take `off` as a YAML 1.1 boolean, which is not meant here.
    const std::string mode = read_string(ctx, *f);
    if (mode == "always") {
      cookies.mode = cookie_mode::always;
    } else if (mode == "auto") {
      cookies.mode = cookie_mode::auto_mode;
    } else if (mode == "off") {
      cookies.mode = cookie_mode::off;
    } else {
      ctx.fail(f->line, f->path,
               in_quotes(mode) + " is not a cookie mode (expected always, auto or off)");
    }
  }
  // A cookie carries its time as 16-second ticks and stays valid for 4 ticks (docs/syncookies.md):
  // a key period must be whole ticks and outlive one cookie, or valid cookies would lose their key.
  read_unsigned_into(ctx, map, "rotation_seconds", cookies.rotation_seconds, 64, 86400);
  if (const field* f = map.find("rotation_seconds"); f != nullptr && cookies.rotation_seconds % 16 != 0) {
    ctx.fail(f->line, f->path, std::to_string(cookies.rotation_seconds) +
                                   " is not a multiple of 16 (cookie time ticks are 16 s; e.g. 64, 128, 3600)");
  }
  read_string_into(ctx, map, "master_secret_file", cookies.master_secret_file);
  read_unsigned_into(ctx, map, "backlog_per_lcore", cookies.backlog_per_lcore, 1, 1U << 20);
  read_unsigned_into(ctx, map, "auto_threshold", cookies.auto_threshold, 0, 1U << 20);
}

void read_tcp(context& ctx, const field& section, tcp_config& tcp) {
  const map_reader map(
      ctx, section,
      {"mss", "window_scale", "receive_window", "connections_per_lcore", "drain_timeout_seconds", "syn_cookies",
       "send_buffer", "rto_min_ms", "rto_initial_ms", "rto_max_ms", "max_retransmissions", "delayed_ack_ms",
       "time_wait_seconds", "challenge_acks_per_second", "challenge_acks_per_second_lcore", "rst_per_second",
       "reassembly_budget", "send_budget", "initial_window", "tail_loss_probe"});
  // Ranges here are absolute; mss against mtu and the window against the scale are checked once
  // the port section is known (check_cross_fields).
  read_unsigned_into(ctx, map, "mss", tcp.mss, 536, 9216 - 40);
  // RFC 7323 §2.3: a shift count above 14 must be treated as 14; refuse it instead of pretending.
  read_unsigned_into(ctx, map, "window_scale", tcp.window_scale, 0, 14);
  // RFC 7323 §2.3: the largest window a scaled connection can use is 2^30 bytes.
  read_unsigned_into(ctx, map, "receive_window", tcp.receive_window, 1, 1U << 30);
  read_unsigned_into(ctx, map, "connections_per_lcore", tcp.connections_per_lcore, 1, 1U << 24);
  read_unsigned_into(ctx, map, "drain_timeout_seconds", tcp.drain_timeout_seconds, 0, 3600);
  read_unsigned_into(ctx, map, "send_buffer", tcp.send_buffer, 1, 1U << 30);
  // Mbufs per lcore for all send queues together; checked against port.mbufs in check_cross_fields.
  read_unsigned_into(ctx, map, "send_budget", tcp.send_budget, 1, 1U << 26);
  // RFC 6928 allows 10; RFC 5681's 2-4 and larger experimental values stay possible.
  read_unsigned_into(ctx, map, "initial_window", tcp.initial_window, 1, 100);
  read_bool_into(ctx, map, "tail_loss_probe", tcp.tail_loss_probe);
  // RFC 6298 §2.4-2.5: a floor (1 s there; 200 ms by default here, like Linux), a ceiling of at
  // least 60 s, and 1 s before the first sample (§2.1).
  read_unsigned_into(ctx, map, "rto_min_ms", tcp.rto_min_ms, 1, 60'000);
  read_unsigned_into(ctx, map, "rto_initial_ms", tcp.rto_initial_ms, 1, 60'000);
  read_unsigned_into(ctx, map, "rto_max_ms", tcp.rto_max_ms, 1, 600'000);
  read_unsigned_into(ctx, map, "max_retransmissions", tcp.max_retransmissions, 1, 30);
  // RFC 9293 §3.8.6.3: an ACK "MUST NOT be excessively delayed", less than 0.5 s.
  read_unsigned_into(ctx, map, "delayed_ack_ms", tcp.delayed_ack_ms, 0, 499);
  read_unsigned_into(ctx, map, "time_wait_seconds", tcp.time_wait_seconds, 1, 240);
  read_unsigned_into(ctx, map, "challenge_acks_per_second", tcp.challenge_acks_per_second, 1, 10'000);
  read_unsigned_into(ctx, map, "reassembly_budget", tcp.reassembly_budget, 0, 1U << 24);
  // Per lcore token buckets (docs/tcp.md, "Replies to unauthenticated segments"); 0 sends none.
  read_unsigned_into(ctx, map, "challenge_acks_per_second_lcore", tcp.challenge_acks_per_second_lcore, 0,
                     10'000'000);
  read_unsigned_into(ctx, map, "rst_per_second", tcp.rst_per_second, 0, 10'000'000);
  if (tcp.rto_min_ms > tcp.rto_max_ms) {
    ctx.fail(ctx.line_of("tcp.rto_min_ms", {"tcp.rto_max_ms", "tcp"}), "tcp.rto_min_ms",
             std::to_string(tcp.rto_min_ms) + " is above tcp.rto_max_ms (" + std::to_string(tcp.rto_max_ms) +
                 "); lower it or raise rto_max_ms");
  }
  if (const field* f = map.find("syn_cookies")) {
    read_syn_cookies(ctx, *f, tcp.syn_cookies);
  }
}

void read_stats(context& ctx, const field& section, stats_config& stats) {
  const map_reader map(ctx, section, {"interval_seconds", "metrics_listen"});
  read_unsigned_into(ctx, map, "interval_seconds", stats.interval_seconds, 0, 86400);
  if (const field* f = map.find("metrics_listen")) {
    stats.metrics_listen = read_string(ctx, *f);
    if (!stats.metrics_listen.empty() && !parse_listen_address(stats.metrics_listen)) {
      ctx.fail(f->line, f->path,
               in_quotes(stats.metrics_listen) +
                   " is not an IPv4 address and port (expected a.b.c.d:port with port 1..65535, e.g. "
                   "\"127.0.0.1:9108\"; 0.0.0.0 listens on every address)");
    }
  }
}

// Data room + struct rte_mbuf + headroom + mempool header/trailer: a conservative per-mbuf cost
// for the memory check. Frames above 2048 bytes need a bigger data room.
std::uint64_t mbuf_footprint_bytes(std::uint16_t mtu) {
  const std::uint64_t frame = std::uint64_t{mtu} + 22;  // Ethernet header + one VLAN tag + FCS
  return std::max<std::uint64_t>(2048, frame) + 128 + 128 + 64;
}

bool vdev_named(const std::vector<std::string>& vdevs, std::string_view device) {
  return std::any_of(vdevs.begin(), vdevs.end(), [&](const std::string& vdev) {
    return std::string_view(vdev).substr(0, vdev.find(',')) == device;
  });
}

// Rules that involve more than one key, run once every section is read.
void check_cross_fields(const context& ctx, engine_config& config) {
  const eal_config& eal = config.eal;
  port_config& port = config.port;
  tcp_config& tcp = config.tcp;

  if (eal.no_pci && !eal.pci_allow.empty()) {
    ctx.fail(ctx.line_of("eal.pci_allow"), "eal.pci_allow",
             "conflicts with eal.no_pci: true (line " + std::to_string(ctx.line_of("eal.no_pci")) +
                 "); set no_pci: false to use PCI devices");
  }
  if (!port.device.empty()) {
    const bool is_pci = is_pci_address(port.device);
    if (!is_pci && !vdev_named(eal.vdevs, port.device)) {
      ctx.fail(ctx.line_of("port.device"), "port.device",
               in_quotes(port.device) +
                   " is neither a PCI address nor the name of one of eal.vdevs" +
                   " (add a vdev such as \"" + port.device + ",...\" or fix the name)");
    }
    if (is_pci && eal.no_pci) {
      ctx.fail(ctx.line_of("port.device"), "port.device",
               in_quotes(port.device) + " is a PCI device but eal.no_pci is true (line " +
                   std::to_string(ctx.line_of("eal.no_pci")) + ")");
    }
    if (is_pci && !eal.pci_allow.empty()) {
      const std::string wanted = canonical_pci(port.device);
      const bool allowed =
          std::any_of(eal.pci_allow.begin(), eal.pci_allow.end(),
                      [&](const std::string& a) { return canonical_pci(a) == wanted; });
      if (!allowed) {
        ctx.fail(ctx.line_of("port.device"), "port.device",
                 in_quotes(port.device) + " is not in eal.pci_allow, so EAL will not probe it");
      }
    }
  }

  if (port.burst_size > port.rx_descriptors) {
    ctx.fail(ctx.line_of("port.burst_size"), "port.burst_size",
             std::to_string(port.burst_size) + " exceeds port.rx_descriptors (" +
                 std::to_string(port.rx_descriptors) + "); one burst could never fill");
  }
  // Per queue, the RX ring is kept full and the TX ring may hold a whole ring of sent frames
  // while a burst is in flight; fewer mbufs than that starve reception. The engine repeats the
  // check with its real queue count. TODO(engine): pass the queue count in to check it here.
  const std::uint64_t per_queue =
      std::uint64_t{port.rx_descriptors} + port.tx_descriptors + port.burst_size;
  if (port.mbufs < per_queue) {
    ctx.fail(ctx.line_of("port.mbufs", {"port.rx_descriptors", "port.tx_descriptors", "port"}),
             "port.mbufs",
             std::to_string(port.mbufs) +
                 " is fewer than one queue needs (rx_descriptors + "
                 "tx_descriptors + burst_size = " +
                 std::to_string(per_queue) + ")");
  }
  // The send queues of one lcore may hold tcp.send_budget mbufs; whatever they hold, one RX
  // queue's worth must stay free for reception and handshakes (docs/tcp.md, memory under load).
  const std::uint64_t sendable = port.mbufs > per_queue ? port.mbufs - per_queue : 1;
  if (ctx.has("tcp.send_budget")) {
    if (tcp.send_budget > sendable) {
      ctx.fail(ctx.line_of("tcp.send_budget", {"port.mbufs", "tcp"}), "tcp.send_budget",
               std::to_string(tcp.send_budget) + " exceeds port.mbufs - (rx_descriptors + tx_descriptors + "
                   "burst_size) = " + std::to_string(sendable) +
                   "; lower it or raise port.mbufs, so reception keeps buffers when send queues are full");
    }
  } else {
    tcp.send_budget = static_cast<std::uint32_t>(std::min<std::uint64_t>(tcp.send_budget, sendable));
  }
  const std::uint64_t pool_mb =
      (port.mbufs * mbuf_footprint_bytes(port.mtu) + (1U << 20) - 1) >> 20;
  if (pool_mb > eal.memory_mb) {
    ctx.fail(ctx.line_of("port.mbufs", {"eal.memory_mb", "port.mtu", "port"}), "port.mbufs",
             std::to_string(port.mbufs) + " mbufs need about " + std::to_string(pool_mb) +
                 " MiB but eal.memory_mb is " + std::to_string(eal.memory_mb) +
                 " (raise memory_mb or lower mbufs)");
  }

  // RFC 9293 §3.7.1: the MSS option counts only TCP payload, so it is at most MTU - 40 (20-byte
  // IPv4 + 20-byte TCP headers). An explicit value above that is an error; the default follows
  // the MTU down (which, below MTU 576, goes under RFC 1122's 536 because the link cannot carry
  // more).
  const std::uint32_t max_mss = port.mtu - 40U;
  if (ctx.has("tcp.mss")) {
    if (tcp.mss > max_mss) {
      ctx.fail(
          ctx.line_of("tcp.mss"), "tcp.mss",
          std::to_string(tcp.mss) + " exceeds port.mtu - 40 = " + std::to_string(max_mss) +
              " (the MSS counts payload only: MTU minus 20-byte IPv4 and 20-byte TCP headers)");
    }
  } else {
    tcp.mss = static_cast<std::uint16_t>(std::min<std::uint32_t>(tcp.mss, max_mss));
  }

  // RFC 7323 §2.3: the 16-bit window field shifted by window_scale bounds what we can advertise.
  const std::uint64_t max_window = std::uint64_t{65535} << tcp.window_scale;
  if (tcp.receive_window > max_window) {
    std::uint32_t needed = tcp.window_scale;
    while ((std::uint64_t{65535} << needed) < tcp.receive_window) {
      ++needed;
    }
    ctx.fail(ctx.line_of("tcp.receive_window", {"tcp.window_scale", "tcp"}), "tcp.receive_window",
             std::to_string(tcp.receive_window) + " exceeds 65535 << tcp.window_scale (" +
                 std::to_string(tcp.window_scale) + ") = " + std::to_string(max_window) +
                 "; raise window_scale to " + std::to_string(needed) + " or lower the window");
  }
  // A window below one segment forces the peer into silly-window sends (RFC 9293 §3.8.6.2.1).
  if (tcp.receive_window < tcp.mss) {
    ctx.fail(ctx.line_of("tcp.receive_window", {"tcp.mss", "tcp"}), "tcp.receive_window",
             std::to_string(tcp.receive_window) +
                 " is smaller than one segment (tcp.mss = " + std::to_string(tcp.mss) + ")");
  }

  // Out-of-order data may take a share of the pool, never so much that receiving, handshakes
  // and sends starve: at most half of it per lcore; by default an eighth (docs/tcp.md).
  if (ctx.has("tcp.reassembly_budget")) {
    if (tcp.reassembly_budget > port.mbufs / 2) {
      ctx.fail(ctx.line_of("tcp.reassembly_budget"), "tcp.reassembly_budget",
               std::to_string(tcp.reassembly_budget) + " exceeds half of port.mbufs (" +
                   std::to_string(port.mbufs) + " / 2 = " + std::to_string(port.mbufs / 2) +
                   "): out-of-order data could starve receiving and handshakes; lower it or raise port.mbufs");
    }
  } else {
    tcp.reassembly_budget = port.mbufs / 8;
  }

  const syn_cookie_config& cookies = tcp.syn_cookies;
  if (cookies.auto_threshold > cookies.backlog_per_lcore) {
    ctx.fail(ctx.line_of("tcp.syn_cookies.auto_threshold",
                         {"tcp.syn_cookies.backlog_per_lcore", "tcp.syn_cookies"}),
             "tcp.syn_cookies.auto_threshold",
             std::to_string(cookies.auto_threshold) + " exceeds backlog_per_lcore (" +
                 std::to_string(cookies.backlog_per_lcore) +
                 "); the backlog would overflow before cookies start");
  }
}

// Counts the documents in the stream with yaml-cpp's event parser, without building nodes.
// YAML::LoadAll() is not used: in yaml-cpp 0.7 a token the parser does not expect (a stray ','
// for one) is never consumed, and LoadAll() then appends null documents forever until memory
// runs out (jbeder/yaml-cpp PR #1319, fixed after 0.8; found by fuzzing parse_config). Here a
// document that starts where the previous one started is that case, reported as a syntax error.
class document_counter final : public YAML::EventHandler {
 public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

struct document_scan {
  int documents = 0;    // 0, 1 or 2 (the scan stops at the second)
  int second_line = 0;  // 1-based line where the second document starts
};

document_scan scan_documents(const context& ctx, const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  document_counter counter;
  document_scan scan;
  int previous_pos = -1;
  try {
    while (scan.documents < 2 && parser.HandleNextDocument(counter)) {
      if (counter.start.pos == previous_pos) {
        ctx.fail(counter.start.line + 1, document_path,
                 "YAML syntax error: unexpected character at column " +
                     std::to_string(counter.start.column + 1));
      }
      previous_pos = counter.start.pos;
      ++scan.documents;
      if (scan.documents == 2) {
        scan.second_line = counter.start.line + 1;
      }
    }
  } catch (const YAML::ParserException& e) {
    ctx.fail(e.mark.line + 1, document_path, "YAML syntax error: " + e.msg);
  }
  return scan;
}

}  // namespace

engine_config parse_config(std::istream& in, std::string_view source_name) {
  context ctx(source_name);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    ctx.fail(1, document_path, "read error");
  }
  // YAML allows no NUL in a stream; a NUL usually means a binary file was given by mistake.
  if (const std::size_t nul = text.find('\0'); nul != std::string::npos) {
    ctx.fail(static_cast<int>(
                 std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n')) +
                 1,
             document_path, "contains a NUL byte; is this a binary file?");
  }
  const document_scan scan = scan_documents(ctx, text);
  if (scan.documents > 1) {
    ctx.fail(scan.second_line, document_path,
             "a second YAML document (after '---'); rampart reads one, put everything in it");
  }
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    ctx.fail(e.mark.line + 1, document_path, "YAML syntax error: " + e.msg);
  }
  if (!document.IsDefined() || document.IsNull()) {
    ctx.fail(1, document_path,
             "empty document; expected a map with sections eal, port, listeners, "
             "tcp, stats (at least port: {ip: a.b.c.d/len})");
  }

  const field root{document, "", line_of(document)};
  if (!root.node.IsMap()) {
    ctx.fail(root.line, document_path,
             "expected a map with sections eal, port, listeners, tcp, "
             "stats, got " +
                 describe_kind(root.node));
  }
  const map_reader map(ctx, root, {"eal", "port", "listeners", "tcp", "stats"});

  engine_config config;
  if (const field* f = map.find("eal")) {
    read_eal(ctx, *f, config.eal);
  }
  const field* port = map.find("port");
  if (port == nullptr) {
    ctx.fail(1, "port",
             "missing required section (add \"port:\" with at least \"ip: a.b.c.d/len\")");
  }
  read_port(ctx, *port, config.port);
  if (const field* f = map.find("listeners")) {
    read_listeners(ctx, *f, config.listeners);
  }
  if (const field* f = map.find("tcp")) {
    read_tcp(ctx, *f, config.tcp);
  }
  if (const field* f = map.find("stats")) {
    read_stats(ctx, *f, config.stats);
  }
  check_cross_fields(ctx, config);
  return config;
}

engine_config load_config_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw config_error(path.string() + ": is a directory, not a config file (give the YAML file, e.g. " +
                       (path / "rampart.yaml").string() + ")");
  }
  std::ifstream file(path);
  if (!file) {
    throw config_error(path.string() + ": cannot open: " + std::strerror(errno));
  }
  // Read it whole first: a read error (EIO, a FIFO gone away) is then the file's, not YAML's.
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad() || text.bad()) {
    throw config_error(path.string() + ": cannot read: " + std::strerror(errno));
  }
  return parse_config(text, path.string());
}

std::optional<listen_address> parse_listen_address(std::string_view text) noexcept {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<net::ipv4_address> address = net::ipv4_address::parse(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (!address || ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty() ||
      port_text.front() == '0' || port == 0 || port > 65535) {
    return std::nullopt;
  }
  return listen_address{*address, static_cast<std::uint16_t>(port)};
}

std::string_view to_string(cookie_mode mode) noexcept {
  switch (mode) {
    case cookie_mode::always:
      return "always";
    case cookie_mode::auto_mode:
      return "auto";
    case cookie_mode::off:
      return "off";
  }
  return "unknown";
}

}  // namespace rampart::config
