// SIGHUP's list of changes, from two configs as the schema describes them (schema.hh).
#include <algorithm>

#include "config/schema.hh"
#include "reader.hh"

namespace rampart::config {
namespace {

// A key's value for messages: its YAML text, or what leaving it unset means.
std::string shown(const config_node& key) { return key.value.empty() ? std::string(key.info->unset) : key.value; }

const config_node* find_item(const config_node& list, const std::string& label) {
  const auto it = std::find_if(list.children.begin(), list.children.end(),
                               [&](const config_node& item) { return item.name == label; });
  return it == list.children.end() ? nullptr : &*it;
}

// Both nodes describe the same declaration, so sections hold the same children in the same order.
void compare(const config_node& running, const config_node& next, const std::string& path,
             std::vector<key_change>& changes) {
  switch (running.kind) {
    case node_kind::key:
      if (running.value != next.value) {
        changes.push_back({running.info->reload, path + " " + shown(running) + " -> " + shown(next)});
      }
      return;
    case node_kind::section:
    case node_kind::item:
      for (std::size_t i = 0; i < running.children.size(); ++i) {
        compare(running.children[i], next.children[i], join_path(path, running.children[i].name), changes);
      }
      return;
    case node_kind::list:
      // Items are matched by label (a listener by its port): one that came or went is one change.
      for (const config_node& item : running.children) {
        if (const config_node* same = find_item(next, item.name)) {
          compare(item, *same, path + "[" + item.name + "]", changes);
        } else {
          changes.push_back({reload_rule::restart, path + ": removed " + item.name});
        }
      }
      for (const config_node& item : next.children) {
        if (find_item(running, item.name) == nullptr) {
          changes.push_back({reload_rule::restart, path + ": added " + item.name});
        }
      }
      return;
  }
}

}  // namespace

std::vector<key_change> changed_keys(const engine_config& running, const engine_config& next) {
  std::vector<key_change> changes;
  compare(describe(running), describe(next), "", changes);
  return changes;
}

}  // namespace rampart::config
