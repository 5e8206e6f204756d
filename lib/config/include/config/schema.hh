#pragma once
// Every configuration key is declared once, in lib/config/keys.cc: its YAML name, the
// engine_config member it fills, how it is read (type, range or allowed values, its own checks),
// whether SIGHUP applies it while running, and one line saying what it is for. Its default is
// the member's initialiser in config.hh. Derived from those declarations: the parser
// (parse_config), describe() below (the --check-config dump, the docs test), changed_keys() and
// with_live_keys() (SIGHUP). docs/contributing.md, "Adding a configuration key", shows the steps.
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hh"

namespace rampart::config {

// live: the engine reads the key from its running config at each use, so SIGHUP applies a new
// value at once. restart: the value built something at start-up; a change waits for a restart.
enum class reload_rule { restart, live };

// A key's declaration, as what derives from the schema sees it.
struct key_info {
  std::string_view name;   // the YAML key
  std::string_view doc;    // one line: what it is for (also the hint when a required key is missing)
  reload_rule reload = reload_rule::restart;
  bool required = false;   // no default: the document must give it
  std::string_view unset;  // keys that may stay unset (port.mac): what that means ("the port's own")
};

enum class node_kind {
  section,  // a map of keys: eal, tcp, tcp.syn_cookies, ...; the root is an unnamed section
  list,     // a list of items: listeners
  item,     // one element of a list: a listener
  key,      // a value
};

// A configuration as the schema sees it: its sections, lists and keys in declaration order,
// every value written in YAML's flow style.
struct config_node {
  node_kind kind = node_kind::section;
  std::string name;                   // a section's, list's or key's name; an item's label ("port 8080")
  const key_info* info = nullptr;     // the declaration (every kind but item and the root)
  std::string value;                  // kind::key: "1460", "true", "\"0-1\"", "[\"a\"]"; "" when unset
  std::vector<config_node> children;  // sections and items: their keys; lists: their items
};

config_node describe(const engine_config& config);

// One difference between two configs, as SIGHUP reports it: "tcp.mss 1460 -> 1400",
// "listeners[port 8080].app \"echo\" -> \"http\"", "listeners: added port 9090".
struct key_change {
  reload_rule reload;
  std::string text;
};

// Every key whose value differs, in declaration order; a listener is matched by its port, so a
// listener added or removed is one change.
std::vector<key_change> changed_keys(const engine_config& running, const engine_config& next);

// `running` with the value of every live key taken from `next`.
engine_config with_live_keys(const engine_config& running, const engine_config& next);

}  // namespace rampart::config
