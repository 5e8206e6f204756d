// docs/config.md must document every key the schema declares (config/schema.hh), under its
// section's heading, with the schema's default, and say "Changes on SIGHUP" exactly for the live
// keys; it must not keep a row for a key that no longer exists. docs/operations.md's reload table
// must list exactly the live keys. A key is documented by a table row whose first cell is its
// name in backticks and whose third cell holds its default:
//   ## `port` — ...
//   | `mtu` | integer 68..9216 | `1500` | Largest IP packet on the link ... |
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/schema.hh"

namespace cfg = rampart::config;

namespace {

const std::string source_dir{RAMPART_SOURCE_DIR};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct row {
  std::string default_cell;
  std::string meaning;
};

// The cells of a table row, split at '|' but not at an escaped "\|".
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|' && line[i - 1] != '\\') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

// section ("eal", "tcp.syn_cookies", "listeners") → key → row, from the headings "## `name`"
// and the rows under them; rows under other headings are not keys.
std::map<std::string, std::map<std::string, row>> documented_keys(const std::string& markdown) {
  static const std::regex section_heading(R"(^#{2,3} `([a-z0-9_.]+)`)");
  static const std::regex key_cell(R"(^\s*`([a-z0-9_]+)`\s*$)");
  std::map<std::string, std::map<std::string, row>> sections;
  std::string section;
  std::istringstream lines(markdown);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (line.starts_with("#")) {
      section = std::regex_search(line, match, section_heading) ? match[1].str() : "";
      if (!section.empty()) {
        sections[section];
      }
      continue;
    }
    if (section.empty() || !line.starts_with("|")) {
      continue;
    }
    const std::vector<std::string> cells = cells_of(line);
    if (cells.size() >= 4 && std::regex_match(cells[0], match, key_cell)) {
      sections[section][match[1].str()] = row{cells[2], cells[3]};
    }
  }
  return sections;
}

struct declared_key {
  std::string section;
  const cfg::config_node* node;
};

// Every key and nested section of `node`, with the section it is documented under.
void collect(const cfg::config_node& node, const std::string& section, std::vector<declared_key>& out) {
  for (const cfg::config_node& child : node.children) {
    const std::string path = section.empty() ? child.name : section + "." + child.name;
    switch (child.kind) {
      case cfg::node_kind::key:
        out.push_back({section, &child});
        break;
      case cfg::node_kind::section:
        if (!section.empty()) {
          out.push_back({section, &child});  // a nested section has a row in its parent's table
        }
        collect(child, path, out);
        break;
      case cfg::node_kind::list:
        collect(child.children.front(), path, out);  // one item holds every key of an item
        break;
      case cfg::node_kind::item:
        break;
    }
  }
}

// The schema with one default item in each list, so the keys of listeners and routes appear too.
const cfg::config_node& declared() {
  static const cfg::config_node tree = [] {
    cfg::engine_config defaults;
    defaults.listeners.emplace_back();
    defaults.routes.emplace_back();
    return cfg::describe(defaults);
  }();
  return tree;
}

// What docs/config.md gets wrong, one line per problem.
std::vector<std::string> config_doc_problems(const std::string& markdown) {
  const auto documented = documented_keys(markdown);
  std::vector<declared_key> keys;
  collect(declared(), "", keys);
  std::vector<std::string> problems;
  std::map<std::string, std::set<std::string>> known;
  for (const declared_key& key : keys) {
    const cfg::config_node& node = *key.node;
    const std::string path = key.section + "." + node.name;
    known[key.section].insert(node.name);
    const auto section = documented.find(key.section);
    if (section == documented.end()) {
      problems.push_back("no heading \"## `" + key.section + "`\" for " + path);
      continue;
    }
    const auto found = section->second.find(node.name);
    if (found == section->second.end()) {
      problems.push_back(path + ": no row `| `" + node.name + "` | type | default | meaning |` under `" + key.section + "`");
      continue;
    }
    if (node.kind != cfg::node_kind::key) {
      continue;
    }
    const row& r = found->second;
    const std::string expected = node.info->required ? "**required**"
                                 : node.value.empty() ? std::string(node.info->unset)
                                                      : "`" + node.value + "`";
    if (r.default_cell.find(expected) == std::string::npos) {
      problems.push_back(path + ": the default cell \"" + r.default_cell + "\" does not hold " + expected);
    }
    const bool says_live = r.meaning.find("Changes on SIGHUP") != std::string::npos;
    if (says_live != (node.info->reload == cfg::reload_rule::live)) {
      problems.push_back(path + (says_live ? ": says \"Changes on SIGHUP\" but needs a restart"
                                           : ": applies on SIGHUP but its row does not say \"Changes on SIGHUP\""));
    }
  }
  for (const auto& [section, rows] : documented) {
    for (const auto& [name, r] : rows) {
      if (known[section].count(name) == 0) {
        problems.push_back(section + "." + name + ": documented, but no such key is declared");
      }
    }
  }
  return problems;
}

void live_paths(const cfg::config_node& node, const std::string& path, std::set<std::string>& out) {
  for (const cfg::config_node& child : node.children) {
    const std::string child_path = path.empty() ? child.name : path + "." + child.name;
    if (child.kind == cfg::node_kind::key && child.info->reload == cfg::reload_rule::live) {
      out.insert(child_path);
    } else if (child.kind == cfg::node_kind::section) {
      live_paths(child, child_path, out);
    }
  }
}

// First cells of the table under "## Reload (SIGHUP)" in docs/operations.md.
std::set<std::string> reload_table_keys(const std::string& markdown) {
  static const std::regex key_row(R"(^\|\s*`([a-z0-9_.]+)`\s*\|)");
  std::set<std::string> keys;
  bool in_section = false;
  std::istringstream lines(markdown);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("## ")) {
      in_section = line == "## Reload (SIGHUP)";
    }
    std::smatch match;
    if (in_section && std::regex_search(line, match, key_row)) {
      keys.insert(match[1].str());
    }
  }
  return keys;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("docs/config.md documents every key with its default", "[unit][config][docs]") {
  for (const std::string& problem : config_doc_problems(read_file(source_dir + "/docs/config.md"))) {
    FAIL_CHECK(problem);
  }
}

TEST_CASE("the docs check fails on a missing key, a wrong default, a stale row or a wrong reload", "[unit][config][docs]") {
  const std::string docs = read_file(source_dir + "/docs/config.md");
  const std::string mtu_row = "| `mtu` | integer 68..9216 | `1500` |";
  REQUIRE(docs.find(mtu_row) != std::string::npos);

  const auto missing = config_doc_problems(replaced(docs, mtu_row, "| mtu | integer 68..9216 | `1500` |"));
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].starts_with("port.mtu: no row"));

  const auto wrong = config_doc_problems(replaced(docs, mtu_row, "| `mtu` | integer 68..9216 | `1400` |"));
  REQUIRE(wrong.size() == 1);
  CHECK(wrong[0] == "port.mtu: the default cell \" `1400` \" does not hold `1500`");

  const auto stale = config_doc_problems(replaced(docs, mtu_row, "| `mtuu` | x | `1` | x |\n" + mtu_row));
  REQUIRE(stale.size() == 1);
  CHECK(stale[0] == "port.mtuu: documented, but no such key is declared");

  const auto live = config_doc_problems(replaced(docs, "Changes on SIGHUP", "Applies on reload"));
  REQUIRE(live.size() == 1);
  CHECK(live[0].ends_with("applies on SIGHUP but its row does not say \"Changes on SIGHUP\""));
}

TEST_CASE("docs/operations.md's reload table lists exactly the live keys", "[unit][config][docs]") {
  std::set<std::string> live;
  live_paths(declared(), "", live);
  REQUIRE_FALSE(live.empty());
  CHECK(reload_table_keys(read_file(source_dir + "/docs/operations.md")) == live);
}
