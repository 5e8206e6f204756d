// What derives from the key declarations (config/schema.hh): the description of a config, the
// changes between two configs as SIGHUP reports them, and the live keys it applies.
#include "config/schema.hh"

#include <catch2/catch.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace cfg = rampart::config;

namespace {

cfg::engine_config parse(const std::string& yaml) {
  std::istringstream in(yaml);
  return cfg::parse_config(in, "test.yaml");
}

const std::string base = "port: {ip: 10.0.0.2/24}\nlisteners: [{port: 80, app: http}, {port: 7, app: echo}]\n";

// "path value" for every key of a description.
void flatten(const cfg::config_node& node, const std::string& path, std::vector<std::string>& out) {
  for (const cfg::config_node& child : node.children) {
    const std::string child_path = child.kind == cfg::node_kind::item ? path + "[" + child.name + "]"
                                   : path.empty()                       ? child.name
                                                                        : path + "." + child.name;
    if (child.kind == cfg::node_kind::key) {
      out.push_back(child_path + " " + child.value);
    } else {
      flatten(child, child_path, out);
    }
  }
}

std::vector<std::string> flat(const cfg::engine_config& config) {
  std::vector<std::string> out;
  flatten(cfg::describe(config), "", out);
  return out;
}

std::vector<std::string> texts(const std::vector<cfg::key_change>& changes, cfg::reload_rule rule) {
  std::vector<std::string> out;
  for (const auto& change : changes) {
    if (change.reload == rule) {
      out.push_back(change.text);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a description holds every key with its value as YAML", "[unit][config]") {
  const auto keys = flat(parse("port: {ip: 10.0.0.2/24, mtu: 1400}\nlisteners: [{port: 80, app: http}, {port: 7, app: echo}]\n"));
  const std::set<std::string> all(keys.begin(), keys.end());
  for (const char* expected :
       {"eal.lcores \"0-1\"", "eal.no_huge true", "eal.vdevs []", "port.ip 10.0.0.2/24", "port.mac ", "port.ipv6 ", "port.ipv6_gateway ", "port.mtu 1400",
        "listeners[port 80].app \"http\"", "listeners[port 80].plugin ",
        "listeners[port 7].congestion_control cubic", "listeners[port 7].args {}", "tcp.mss 1360", "tcp.reassembly_budget 2047", "tcp.send_budget 4096",
        "tcp.initial_window 10", "tcp.tail_loss_probe true", "tcp.syn_cookies.mode auto",
        "stats.metrics_listen \"\""}) {
    INFO(expected);
    CHECK(all.count(expected) == 1);
  }
}

TEST_CASE("every declared key has a name and a line of doc, once per section", "[unit][config]") {
  cfg::engine_config config;
  config.listeners.emplace_back();
  config.routes.emplace_back();
  const cfg::config_node root = cfg::describe(config);
  std::vector<const cfg::config_node*> todo{&root};
  while (!todo.empty()) {
    const cfg::config_node* node = todo.back();
    todo.pop_back();
    std::set<std::string> names;
    for (const cfg::config_node& child : node->children) {
      if (child.kind != cfg::node_kind::item) {
        INFO(child.name);
        CHECK_FALSE(child.name.empty());
        CHECK_FALSE(child.info->doc.empty());
        CHECK(names.insert(child.name).second);
      }
      todo.push_back(&child);
    }
  }
}

TEST_CASE("a key left unset is described by what that means", "[unit][config]") {
  const auto config = parse(base);
  const cfg::config_node root = cfg::describe(config);
  const cfg::config_node& port = root.children[1];
  REQUIRE(port.name == "port");
  const cfg::config_node& mac = port.children[2];
  REQUIRE(mac.name == "mac");
  CHECK(mac.value.empty());
  CHECK(mac.info->unset == "the port's own");
  CHECK(cfg::describe(parse("port: {ip: 10.0.0.2/24, mac: \"02:00:00:00:00:01\"}\n")).children[1].children[2].value ==
        "02:00:00:00:00:01");
}

TEST_CASE("SIGHUP's changes name each key with its old and new value", "[unit][config]") {
  const auto running = parse(base);
  const auto next = parse(
      "port: {ip: 10.0.0.2/24, mac: \"02:00:00:00:00:01\"}\n"
      "listeners: [{port: 80, app: echo, args: {a: b}}, {port: 9090, app: discard}]\n"
      "eal: {vdevs: [\"net_null0\"], log_level: debug}\n"
      "tcp: {syn_cookies: {mode: always}, initial_window: 4}\n");
  const auto changes = cfg::changed_keys(running, next);
  CHECK(texts(changes, cfg::reload_rule::live) == std::vector<std::string>{"eal.log_level \"notice\" -> \"debug\""});
  CHECK(texts(changes, cfg::reload_rule::restart) ==
        std::vector<std::string>{
            "eal.vdevs [] -> [\"net_null0\"]",
            "port.mac the port's own -> 02:00:00:00:00:01",
            "listeners[port 80].app \"http\" -> \"echo\"",
            "listeners[port 80].args {} -> {\"a\": \"b\"}",
            "listeners: removed port 7",
            "listeners: added port 9090",
            "tcp.initial_window 10 -> 4",
            "tcp.syn_cookies.mode auto -> always",
        });
  CHECK(cfg::changed_keys(running, parse(base)).empty());
}

TEST_CASE("a listener that becomes a plugin names the plugin", "[unit][config]") {
  const auto changes = cfg::changed_keys(
      parse(base), parse("port: {ip: 10.0.0.2/24}\nlisteners: [{port: 80, app: plugin, plugin: /x.so}, "
                         "{port: 7, app: echo, congestion_control: reno, nagle: false}]\n"));
  CHECK(texts(changes, cfg::reload_rule::restart) ==
        std::vector<std::string>{"listeners[port 80].app \"http\" -> \"plugin\"",
                                 "listeners[port 80].plugin none -> \"/x.so\"", "listeners[port 7].nagle true -> false",
                                 "listeners[port 7].congestion_control cubic -> reno"});
}

TEST_CASE("only live keys are taken from the new config", "[unit][config]") {
  const auto running = parse(base);
  const auto next = parse(base + "stats: {interval_seconds: 5}\ntcp: {drain_timeout_seconds: 3, mss: 1400}\n"
                                 "eal: {log_level: info, lcores: \"0-2\"}\n");
  cfg::engine_config expected = running;
  expected.stats.interval_seconds = 5;
  expected.tcp.drain_timeout_seconds = 3;
  expected.eal.log_level = "info";
  CHECK(cfg::with_live_keys(running, next) == expected);
}
