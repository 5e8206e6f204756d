#pragma once
// How one key's declaration (keys.cc) becomes its reading, its YAML text and its SIGHUP copy.
// One factory per kind of value (integer, boolean, text, text_list, choice, parsed,
// argument_map) and two for what holds keys (section, list). Each factory reads what its type
// allows (range, names, syntax), then runs the key's own check when it has one.
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "config/schema.hh"
#include "reader.hh"

namespace rampart::config {

inline constexpr reload_rule live = reload_rule::live;

template <typename Section>
struct declaration {
  key_info info;
  node_kind kind = node_kind::key;
  // Reads the key's value (it is in the document) into the section.
  std::function<void(context&, const field&, Section&)> read;
  // Fills the key's node: its value, or for a section or list its children.
  std::function<void(const Section&, config_node&)> describe;
  // Copies the value of every live key it holds from `next` into `running`.
  std::function<void(const Section& next, Section& running)> take_live;
};

template <typename Section>
using section_schema = std::vector<declaration<Section>>;

// What is wrong with a value of the right type, or nullopt: the message that follows
// "<source>:<line>: <key.path>: ".
template <typename T>
using value_check = std::optional<std::string> (*)(const T&);

// The same for a list, naming the element at fault.
struct list_problem {
  std::size_t index;
  std::string message;
};
using list_check = std::optional<list_problem> (*)(const std::vector<std::string>&);

// A value parsed from text of its own syntax (an address), or what is wrong with the text.
template <typename T>
struct parse_result {
  std::optional<T> value;
  std::string problem;
};

// Text as a YAML value: always double-quoted (with YAML's escapes), so "off" stays a string and
// a path with ": " in it stays one value.
inline std::string quoted(const std::string& text) {
  YAML::Emitter out;
  out << YAML::DoubleQuoted << text;
  return out.c_str();
}

template <typename T>
void check_value(const context& ctx, const field& f, value_check<T> check, const T& value) {
  if (check == nullptr) {
    return;
  }
  if (const std::optional<std::string> problem = check(value)) {
    ctx.fail(f.line, f.path, *problem);
  }
}

template <typename Section>
void read_section(context& ctx, const field& f, const section_schema<Section>& keys, Section& out) {
  std::vector<std::string_view> names;
  for (const auto& key : keys) {
    names.push_back(key.info.name);
  }
  const map_reader map(ctx, f, names);
  for (const auto& key : keys) {
    if (const field* value = map.find(key.info.name)) {
      key.read(ctx, *value, out);
    } else if (key.info.required) {
      map.fail_missing(key.info.name, key.kind == node_kind::key ? "key" : "section", key.info.doc);
    }
  }
}

template <typename Section>
void describe_section(const section_schema<Section>& keys, const Section& section, config_node& node) {
  for (const auto& key : keys) {
    config_node child{key.kind, std::string(key.info.name), &key.info, {}, {}};
    key.describe(section, child);
    node.children.push_back(std::move(child));
  }
}

template <typename Section>
void take_live_keys(const section_schema<Section>& keys, const Section& next, Section& running) {
  for (const auto& key : keys) {
    key.take_live(next, running);
  }
}

// A key holding one value: read_value reads it, write_value writes it as YAML ("" when unset).
template <typename Section, typename T, typename Read, typename Write>
declaration<Section> value_key(const key_info& info, T Section::*member, Read read_value, Write write_value) {
  declaration<Section> key{info};
  key.read = [member, read_value](context& ctx, const field& f, Section& s) { s.*member = read_value(ctx, f); };
  key.describe = [member, write_value](const Section& s, config_node& node) { node.value = write_value(s.*member); };
  key.take_live = [member, is_live = info.reload == live](const Section& next, Section& running) {
    if (is_live) {
      running.*member = next.*member;
    }
  };
  return key;
}

// An unsigned integer in [min, max] (and within T).
template <typename Section, typename T>
declaration<Section> integer(const key_info& info, T Section::*member, std::uint64_t min, std::uint64_t max,
                             value_check<std::uint64_t> check = nullptr) {
  static_assert(std::is_unsigned_v<T>);
  max = std::min<std::uint64_t>(max, std::numeric_limits<T>::max());
  return value_key(
      info, member,
      [min, max, check](context& ctx, const field& f) {
        const std::uint64_t value = read_unsigned(ctx, f, min, max);
        check_value(ctx, f, check, value);
        return static_cast<T>(value);
      },
      [](T value) { return std::to_string(value); });
}

template <typename Section>
declaration<Section> boolean(const key_info& info, bool Section::*member) {
  return value_key(
      info, member, [](context& ctx, const field& f) { return read_bool(ctx, f); },
      [](bool value) { return std::string(value ? "true" : "false"); });
}

// Text; a key with `unset` (listeners[].plugin) is unset while empty.
template <typename Section>
declaration<Section> text(const key_info& info, std::string Section::*member,
                          value_check<std::string> check = nullptr) {
  return value_key(
      info, member,
      [check](context& ctx, const field& f) {
        std::string value = read_string(ctx, f);
        check_value(ctx, f, check, value);
        return value;
      },
      [may_be_unset = !info.unset.empty()](const std::string& value) {
        return value.empty() && may_be_unset ? std::string() : quoted(value);
      });
}

template <typename Section>
declaration<Section> text_list(const key_info& info, std::vector<std::string> Section::*member,
                               list_check check = nullptr) {
  return value_key(
      info, member,
      [check](context& ctx, const field& f) {
        std::vector<std::string> list = read_string_list(ctx, f);
        if (check != nullptr) {
          if (const std::optional<list_problem> problem = check(list)) {
            const std::string element = f.path + "[" + std::to_string(problem->index) + "]";
            ctx.fail(ctx.line_of(element), element, problem->message);
          }
        }
        return list;
      },
      [](const std::vector<std::string>& list) {
        std::string out = "[";
        for (const std::string& element : list) {
          out += (out.size() > 1 ? ", " : "") + quoted(element);
        }
        return out + "]";
      });
}

// The YAML word of each value of an enum.
template <typename E>
struct named {
  std::string_view name;
  E value;
};

// One of a fixed set of words, read as text (so `off` is a word, not YAML 1.1's false).
template <typename Section, typename E, std::size_t N>
declaration<Section> choice(const key_info& info, E Section::*member, const std::array<named<E>, N>& names) {
  static_assert(N >= 2);
  const auto name_of = [&names](E value) {
    for (const auto& entry : names) {
      if (entry.value == value) {
        return std::string(entry.name);
      }
    }
    return std::string();
  };
  std::string expected;
  for (std::size_t i = 0; i < N; ++i) {
    expected += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(names[i].name);
  }
  expected += "; " + name_of(Section{}.*member) + " is the default";
  return value_key(
      info, member,
      [&names, expected](context& ctx, const field& f) {
        const std::string word = read_string(ctx, f);
        for (const auto& entry : names) {
          if (entry.name == word) {
            return entry.value;
          }
        }
        ctx.fail(f.line, f.path, in_quotes(word) + " is not a known value (expected " + expected + ")");
      },
      name_of);
}

// Text in a syntax of its own (an address): `parse` turns it into the value. Written with the
// value's to_string().
template <typename Section, typename T>
declaration<Section> parsed(const key_info& info, T Section::*member, parse_result<T> (*parse)(const std::string&)) {
  return value_key(
      info, member,
      [parse](context& ctx, const field& f) {
        const parse_result<T> result = parse(read_string(ctx, f));
        if (!result.value) {
          ctx.fail(f.line, f.path, result.problem);
        }
        return *result.value;
      },
      [](const T& value) { return value.to_string(); });
}

// The same for a key that may stay unset (info.unset says what that means).
template <typename Section, typename T>
declaration<Section> parsed(const key_info& info, std::optional<T> Section::*member,
                            parse_result<T> (*parse)(const std::string&)) {
  return value_key(
      info, member,
      [parse](context& ctx, const field& f) {
        parse_result<T> result = parse(read_string(ctx, f));
        if (!result.value) {
          ctx.fail(f.line, f.path, result.problem);
        }
        return result.value;
      },
      [](const std::optional<T>& value) { return value ? value->to_string() : std::string(); });
}

// A map of app arguments (name: value), passed through as text.
template <typename Section>
declaration<Section> argument_map(const key_info& info, std::map<std::string, std::string> Section::*member) {
  return value_key(
      info, member, [](context& ctx, const field& f) { return read_argument_map(ctx, f); },
      [](const std::map<std::string, std::string>& map) {
        std::string out = "{";
        for (const auto& [name, value] : map) {
          out += (out.size() > 1 ? ", " : "") + quoted(name) + ": " + quoted(value);
        }
        return out + "}";
      });
}

// A map of keys of its own (tcp.syn_cookies), held in one member.
template <typename Section, typename Inner>
declaration<Section> section(const key_info& info, Inner Section::*member, const section_schema<Inner>& keys) {
  declaration<Section> key{info, node_kind::section};
  key.read = [member, &keys](context& ctx, const field& f, Section& s) { read_section(ctx, f, keys, s.*member); };
  key.describe = [member, &keys](const Section& s, config_node& node) {
    describe_section(keys, s.*member, node);
  };
  key.take_live = [member, &keys](const Section& next, Section& running) {
    take_live_keys(keys, next.*member, running.*member);
  };
  return key;
}

// A list of items, each a map of `item_keys`. `label` names an item in SIGHUP's messages
// ("port 8080"); `check_item` runs the rules between an item and the ones before it, once the
// item is read (it is items.back()). Items are built once, at start-up: none of their keys may
// be live (a declaration that says otherwise throws while the tables are built).
template <typename Section, typename Item>
declaration<Section> list(const key_info& info, std::vector<Item> Section::*member,
                          const section_schema<Item>& item_keys, std::string (*label)(const Item&),
                          void (*check_item)(const context&, const field& item, const std::vector<Item>& items)) {
  for (const auto& item_key : item_keys) {
    if (item_key.info.reload == live) {
      throw std::logic_error(std::string(item_key.info.name) + ": a list item's key cannot be live");
    }
  }
  declaration<Section> key{info, node_kind::list};
  key.read = [member, &item_keys, check_item, first = item_keys.front().info.name](context& ctx, const field& f,
                                                                                  Section& s) {
    if (f.node.IsNull()) {
      fail_empty(ctx, f, "a list of maps (write [] for none)");
    }
    if (!f.node.IsSequence()) {
      ctx.fail(f.line, f.path,
               "expected a list of maps, got " + describe_kind(f.node) + " (start each entry with \"- " +
                   std::string(first) + ": ...\")");
    }
    std::vector<Item>& items = s.*member;
    items.clear();
    for (const auto& node : f.node) {
      const field item{node, f.path + "[" + std::to_string(items.size()) + "]",
                       node.IsNull() ? f.line : line_of(node)};
      read_section(ctx, item, item_keys, items.emplace_back());
      check_item(ctx, item, items);
    }
  };
  key.describe = [member, &item_keys, label](const Section& s, config_node& node) {
    for (const Item& element : s.*member) {
      config_node item{node_kind::item, label(element), nullptr, {}, {}};
      describe_section(item_keys, element, item);
      node.children.push_back(std::move(item));
    }
  };
  key.take_live = [](const Section&, Section&) {};
  return key;
}

}  // namespace rampart::config
