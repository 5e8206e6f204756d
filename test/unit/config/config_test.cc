#include "config/config.hh"
#include "config/schema.hh"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace cfg = rampart::config;
using rampart::net::ipv4_interface_address;
using rampart::net::mac_address;

namespace {

const std::filesystem::path source_dir{RAMPART_SOURCE_DIR};

cfg::engine_config parse(const std::string& yaml) {
  std::istringstream in(yaml);
  return cfg::parse_config(in, "test.yaml");
}

// The message of the config_error `yaml` raises; fails the test when it parses.
std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const cfg::config_error& e) {
    return e.what();
  }
  FAIL("expected a config_error for:\n" << yaml);
  return {};
}

// A valid document the error cases below extend (the port section is on lines 1-2).
const std::string minimal = "port:\n  ip: 10.0.0.2/24\n";
// The same on a /24 the gateway and route cases below name hosts of.
const std::string routed_port = "port:\n  ip: 10.77.0.2/24\n";

}  // namespace

TEST_CASE("default.yaml loads with the documented values", "[unit][config]") {
  const auto config = cfg::load_config_file(source_dir / "config" / "default.yaml");
  CHECK(config.eal.lcores == "0-1");
  CHECK(config.eal.memory_mb == 512);
  CHECK(config.eal.no_huge);
  CHECK(config.eal.no_pci);
  CHECK(config.eal.vdevs == std::vector<std::string>{"net_tap0,iface=rampart0"});
  CHECK(config.eal.pci_allow.empty());
  CHECK(config.eal.file_prefix == "rampart");
  CHECK(config.port.device == "net_tap0");
  CHECK(config.port.ip.address.value == 0x0a4d0002U);
  CHECK(config.port.ip.prefix_length == 24);
  CHECK_FALSE(config.port.mac);
  CHECK(config.port.mtu == 1500);
  CHECK(config.port.rx_descriptors == 1024);
  CHECK(config.port.tx_descriptors == 1024);
  CHECK(config.port.mbufs == 16383);
  CHECK(config.port.burst_size == 32);
  REQUIRE(config.listeners.size() == 3);
  CHECK(config.listeners[0].port == 80);
  CHECK(config.listeners[0].app == "http");
  CHECK(config.listeners[0].args.empty());
  CHECK(config.listeners[1].port == 7);
  CHECK(config.listeners[1].app == "echo");
  CHECK(config.listeners[2].port == 9);
  CHECK(config.listeners[2].app == "discard");
  CHECK(config.tcp.mss == 1460);
  CHECK(config.tcp.window_scale == 7);
  CHECK(config.tcp.receive_window == 262140);
  CHECK(config.tcp.connections_per_lcore == 65536);
  CHECK(config.tcp.syn_cookies.mode == cfg::cookie_mode::auto_mode);
  CHECK(config.tcp.syn_cookies.rotation_seconds == 64);
  CHECK(config.tcp.syn_cookies.master_secret_file.empty());
  CHECK(config.stats.interval_seconds == 5);
}

TEST_CASE("every shipped config file parses", "[unit][config]") {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir / "config")) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    INFO(entry.path());
    CHECK_NOTHROW(cfg::load_config_file(entry.path()));
    ++files;
  }
  CHECK(files >= 3);
}

TEST_CASE("real-nic.yaml and af-packet.yaml carry their set-ups", "[unit][config]") {
  const auto nic = cfg::load_config_file(source_dir / "config" / "real-nic.yaml");
  CHECK_FALSE(nic.eal.no_huge);
  CHECK(nic.eal.pci_allow == std::vector<std::string>{"0000:3b:00.0"});
  CHECK(nic.eal.lcores == "0-4");
  CHECK(nic.port.device == "0000:3b:00.0");
  CHECK(nic.port.rx_descriptors == 4096);
  CHECK(nic.listeners.at(0).args.at("body") == "hello from rampart\n");

  const auto afp = cfg::load_config_file(source_dir / "config" / "af-packet.yaml");
  CHECK(afp.eal.vdevs == std::vector<std::string>{"net_af_packet0,iface=veth-rampart,qpairs=1"});
  CHECK(afp.port.device == "net_af_packet0");
  CHECK(afp.tcp.syn_cookies.mode == cfg::cookie_mode::auto_mode);
}

TEST_CASE("a minimal document takes the struct defaults", "[unit][config]") {
  const auto config = parse(minimal);
  const cfg::engine_config defaults;
  CHECK(config.eal.lcores == defaults.eal.lcores);
  CHECK(config.eal.no_pci == defaults.eal.no_pci);
  CHECK(config.port.device.empty());
  CHECK(config.port.ip.prefix_length == 24);
  CHECK(config.listeners.empty());
  CHECK(config.tcp.mss == 1460);
  CHECK(config.tcp.syn_cookies.mode == cfg::cookie_mode::auto_mode);
  CHECK(config.stats.interval_seconds == 0);
}

TEST_CASE("every key is settable", "[unit][config]") {
  const auto config = parse(R"(
eal:
  lcores: "0,2,4"
  memory_mb: 1024
  no_huge: false
  no_pci: false
  vdevs: [net_null0, "net_tap1,iface=x"]
  pci_allow: ["3b:00.1"]
  file_prefix: other
  in_memory: true
  log_level: "lib.eal:debug"
  extra_args: ["--huge-unlink"]
port:
  device: net_tap1
  ip: 192.0.2.1/31
  mac: 02:00:00:00:00:0A
  mtu: 9000
  rx_descriptors: 512
  tx_descriptors: 2048
  mbufs: 65535
  burst_size: 64
listeners:
  - {port: 8080, app: myplugin, args: {path: /srv, threads: 2, flag: }}
tcp:
  mss: 8960
  window_scale: 14
  receive_window: 1048576
  connections_per_lcore: 1000
  reassembly_budget: 30000
  rst_per_second: 0
  challenge_acks_per_second_lcore: 250
  syn_cookies:
    mode: off
    rotation_seconds: 3600
    master_secret_file: /etc/secret
    backlog_per_lcore: 10
    auto_threshold: 10
stats:
  interval_seconds: 60
)");
  CHECK(config.eal.lcores == "0,2,4");
  CHECK(config.eal.memory_mb == 1024);
  CHECK_FALSE(config.eal.no_huge);
  CHECK_FALSE(config.eal.no_pci);
  CHECK(config.eal.vdevs == std::vector<std::string>{"net_null0", "net_tap1,iface=x"});
  CHECK(config.eal.pci_allow == std::vector<std::string>{"3b:00.1"});
  CHECK(config.eal.file_prefix == "other");
  CHECK(config.eal.in_memory);
  CHECK(config.eal.log_level == "lib.eal:debug");
  CHECK(config.eal.extra_args == std::vector<std::string>{"--huge-unlink"});
  CHECK(config.port.device == "net_tap1");
  CHECK(config.port.ip.to_string() == "192.0.2.1/31");
  REQUIRE(config.port.mac);
  CHECK(config.port.mac->to_string() == "02:00:00:00:00:0a");
  CHECK(config.port.mtu == 9000);
  CHECK(config.port.rx_descriptors == 512);
  CHECK(config.port.tx_descriptors == 2048);
  CHECK(config.port.mbufs == 65535);
  CHECK(config.port.burst_size == 64);
  REQUIRE(config.listeners.size() == 1);
  CHECK(config.listeners[0].port == 8080);
  CHECK(config.listeners[0].app == "myplugin");
  CHECK(config.listeners[0].args == std::map<std::string, std::string>{{"path", "/srv"}, {"threads", "2"}, {"flag", ""}});
  CHECK(config.tcp.mss == 8960);
  CHECK(config.tcp.window_scale == 14);
  CHECK(config.tcp.receive_window == 1048576);
  CHECK(config.tcp.connections_per_lcore == 1000);
  CHECK(config.tcp.reassembly_budget == 30000);
  CHECK(config.tcp.rst_per_second == 0);
  CHECK(config.tcp.challenge_acks_per_second_lcore == 250);
  CHECK(config.tcp.syn_cookies.mode == cfg::cookie_mode::off);
  CHECK(config.tcp.syn_cookies.rotation_seconds == 3600);
  CHECK(config.tcp.syn_cookies.master_secret_file == "/etc/secret");
  CHECK(config.tcp.syn_cookies.backlog_per_lcore == 10);
  CHECK(config.tcp.syn_cookies.auto_threshold == 10);
  CHECK(config.stats.interval_seconds == 60);
}

TEST_CASE("congestion control per listener, initial window and send budget", "[unit][config]") {
  const auto config = parse(minimal + R"(listeners:
  - {port: 80, app: http, congestion_control: reno}
  - {port: 81, app: http}
tcp:
  initial_window: 4
  send_budget: 2000
  tail_loss_probe: false
)");
  REQUIRE(config.listeners.size() == 2);
  CHECK(config.listeners[0].congestion == cfg::congestion_control::reno);
  CHECK(config.listeners[1].congestion == cfg::congestion_control::cubic);
  CHECK(config.tcp.initial_window == 4);
  CHECK(config.tcp.send_budget == 2000);
  // Not given: 4096, or what a small pool leaves beside one queue's rings.
  CHECK(parse(minimal).tcp.send_budget == 4096);
  CHECK(parse(minimal).tcp.initial_window == 10);
  CHECK(!config.tcp.tail_loss_probe);
  CHECK(parse(minimal).tcp.tail_loss_probe);
  CHECK(parse("port:\n  ip: 10.0.0.2/24\n  mbufs: 3000\n").tcp.send_budget == 3000 - (1024 + 1024 + 32));
}

TEST_CASE("cookie modes parse and print", "[unit][config]") {
  CHECK(parse(minimal + "tcp:\n  syn_cookies:\n    mode: auto\n").tcp.syn_cookies.mode == cfg::cookie_mode::auto_mode);
  CHECK(parse(minimal + "tcp:\n  syn_cookies:\n    mode: always\n").tcp.syn_cookies.mode == cfg::cookie_mode::always);
  CHECK(parse(minimal + "tcp:\n  syn_cookies:\n    mode: \"off\"\n").tcp.syn_cookies.mode == cfg::cookie_mode::off);
  CHECK(cfg::to_string(cfg::cookie_mode::always) == "always");
  CHECK(cfg::to_string(cfg::cookie_mode::auto_mode) == "auto");
  CHECK(cfg::to_string(cfg::cookie_mode::off) == "off");
}

TEST_CASE("the default reassembly budget is an eighth of the pool; an explicit one at most half", "[unit][config]") {
  CHECK(parse(minimal).tcp.reassembly_budget == 16383 / 8);
  CHECK(parse("port:\n  ip: 10.0.0.2/24\n  mbufs: 65535\n").tcp.reassembly_budget == 65535 / 8);
  CHECK(parse(minimal + "tcp:\n  reassembly_budget: 0\n").tcp.reassembly_budget == 0);
  CHECK(parse(minimal + "tcp:\n  reassembly_budget: 8191\n").tcp.reassembly_budget == 8191);
}

TEST_CASE("the default MSS follows a small MTU; an explicit one must fit", "[unit][config]") {
  CHECK(parse("port:\n  ip: 10.0.0.2/24\n  mtu: 1400\n").tcp.mss == 1360);
  CHECK(parse("port:\n  ip: 10.0.0.2/24\n  mtu: 9000\n").tcp.mss == 1460);
  CHECK(parse("port:\n  ip: 10.0.0.2/24\n  mtu: 576\ntcp:\n  mss: 536\n").tcp.mss == 536);
}

TEST_CASE("a master secret with cookies off is accepted", "[unit][config]") {
  const auto config = parse(minimal + "tcp:\n  syn_cookies:\n    mode: off\n    master_secret_file: /x\n");
  CHECK(config.tcp.syn_cookies.mode == cfg::cookie_mode::off);
  CHECK(config.tcp.syn_cookies.master_secret_file == "/x");
}

struct bad_case {
  const char* name;
  std::string yaml;
  int line;
  const char* path;
  const char* detail;  // a further substring the message must hold
};

TEST_CASE("invalid documents name the source, line and key", "[unit][config]") {
  const bad_case cases[] = {
      // Document level.
      {"empty document", "", 1, "(document)", "empty document"},
      {"only comments", "# nothing\n", 1, "(document)", "empty document"},
      {"not a map", "- port\n", 1, "(document)", "expected a map"},
      {"syntax error", "port:\n  ip: [10.0.0.2/24\n  mtu: 1500\n", 3, "(document)", "YAML syntax error"},
      {"two documents", minimal + "---\nport: {}\n", 3, "(document)", "second YAML document"},
      // yaml-cpp 0.7's LoadAll() loops forever on these (found by fuzzing): they must fail fast.
      {"stray comma", ",\n", 1, "(document)", "YAML syntax error"},
      {"stray comma after a blank line", "\n\n,\n", 3, "(document)", "YAML syntax error"},
      {"NUL byte", minimal + std::string(1, '\0') + "\n", 3, "(document)", "NUL byte"},
      // Unknown and repeated keys, at every level.
      {"unknown top-level key", minimal + "tpc:\n  mss: 1400\n", 3, "tpc", "did you mean \"tcp\"?"},
      {"unknown key, no close match", minimal + "frobnicate: 1\n", 3, "frobnicate", "known keys here: eal, port"},
      {"unknown port key", "port:\n  ip: 10.0.0.2/24\n  mtuu: 1500\n", 3, "port.mtuu", "did you mean \"mtu\"?"},
      {"unknown eal key", "eal:\n  lcore: \"0-1\"\n" + minimal, 2, "eal.lcore", "did you mean \"lcores\"?"},
      {"unknown listener key", minimal + "listeners:\n  - port: 80\n    ap: http\n", 5, "listeners[0].ap", "did you mean \"app\"?"},
      {"unknown cookie key", minimal + "tcp:\n  syn_cookies:\n    rotation: 5\n", 5, "tcp.syn_cookies.rotation", "unknown key"},
      {"unknown stats key", minimal + "stats:\n  interval: 5\n", 4, "stats.interval", "interval_seconds"},
      // The data path's keys.
      {"rto floor above the ceiling", minimal + "tcp:\n  rto_min_ms: 5000\n  rto_max_ms: 1000\n", 4, "tcp.rto_min_ms", "above tcp.rto_max_ms"},
      {"delayed ACK of half a second", minimal + "tcp:\n  delayed_ack_ms: 500\n", 4, "tcp.delayed_ack_ms", "499"},
      {"no retransmission at all", minimal + "tcp:\n  max_retransmissions: 0\n", 4, "tcp.max_retransmissions", "1"},
      {"nagle not a boolean", minimal + "listeners:\n  - port: 80\n    app: http\n    nagle: sometimes\n", 6, "listeners[0].nagle", "true or false"},
      {"unknown congestion control", minimal + "listeners:\n  - port: 80\n    app: http\n    congestion_control: vegas\n", 6, "listeners[0].congestion_control", "reno or cubic"},
      {"initial window of 0", minimal + "tcp:\n  initial_window: 0\n", 4, "tcp.initial_window", "1"},
      {"initial window above 100", minimal + "tcp:\n  initial_window: 101\n", 4, "tcp.initial_window", "100"},
      {"tail loss probe not a boolean", minimal + "tcp:\n  tail_loss_probe: sometimes\n", 4, "tcp.tail_loss_probe",
       "true or false"},
      {"send budget of 0", minimal + "tcp:\n  send_budget: 0\n", 4, "tcp.send_budget", "1"},
      {"send budget beyond the pool", minimal + "tcp:\n  send_budget: 20000\n", 4, "tcp.send_budget", "port.mbufs"},
      {"idle timeout beyond a week", minimal + "listeners:\n  - port: 80\n    app: http\n    idle_timeout_seconds: 999999\n", 6, "listeners[0].idle_timeout_seconds", "604800"},
      {"repeated key", "port:\n  ip: 10.0.0.2/24\n  mtu: 1500\n  mtu: 1400\n", 4, "port.mtu", "repeated key (first given on line 3)"},
      // Missing required parts.
      {"missing port", "stats:\n  interval_seconds: 1\n", 1, "port", "missing required section"},
      {"missing port.ip", "port:\n  device: net_tap0\n", 1, "port.ip", "missing required key"},
      {"empty port", "port:\nstats: {}\n", 1, "port", "is empty"},
      // Wrong types.
      {"string for an int", "port:\n  ip: 10.0.0.2/24\n  mtu: large\n", 3, "port.mtu", "expected an integer"},
      {"quoted int", "port:\n  ip: 10.0.0.2/24\n  mtu: \"1500\"\n", 3, "port.mtu", "remove the quotes"},
      {"float for an int", "port:\n  ip: 10.0.0.2/24\n  mtu: 1500.5\n", 3, "port.mtu", "expected an integer"},
      {"octal-looking int", "port:\n  ip: 10.0.0.2/24\n  mtu: 01500\n", 3, "port.mtu", "leading zero"},
      {"map for an int", "port:\n  ip: 10.0.0.2/24\n  mtu: {a: 1}\n", 3, "port.mtu", "got a map"},
      {"empty int", "port:\n  ip: 10.0.0.2/24\n  mtu:\n", 3, "port.mtu", "has no value"},
      {"map for a list", "eal:\n  vdevs: {a: b}\n" + minimal, 2, "eal.vdevs", "expected a list"},
      {"string for a list", "eal:\n  vdevs: net_tap0\n" + minimal, 2, "eal.vdevs", "expected a list"},
      {"list for a string", "port:\n  ip: [10.0.0.2/24]\n", 2, "port.ip", "expected a string"},
      {"list item not a string", "eal:\n  vdevs:\n    - {a: b}\n" + minimal, 3, "eal.vdevs[0]", "expected a string"},
      {"map for listeners", minimal + "listeners:\n  port: 80\n", 4, "listeners", "expected a list"},
      {"bad bool", "eal:\n  no_huge: maybe\n" + minimal, 2, "eal.no_huge", "expected true or false"},
      {"quoted bool", "eal:\n  no_huge: \"true\"\n" + minimal, 2, "eal.no_huge", "remove the quotes"},
      {"string for a section", "port: eth0\n", 1, "port", "expected a map"},
      {"args not a map", minimal + "listeners:\n  - port: 80\n    app: http\n    args: [a]\n", 6, "listeners[0].args", "expected a map"},
      {"nested arg", minimal + "listeners:\n  - port: 80\n    app: http\n    args:\n      x: {y: 1}\n", 7, "listeners[0].args.x", "strings or numbers"},
      // Negative numbers into unsigned fields.
      {"negative port", minimal + "listeners:\n  - port: -1\n    app: echo\n", 4, "listeners[0].port", "must not be negative"},
      {"negative memory", "eal:\n  memory_mb: -512\n" + minimal, 2, "eal.memory_mb", "must not be negative"},
      {"negative window scale", minimal + "tcp:\n  window_scale: -1\n", 4, "tcp.window_scale", "must not be negative"},
      // Out-of-range numbers.
      {"port 0", minimal + "listeners:\n  - port: 0\n    app: echo\n", 4, "listeners[0].port", "out of range (allowed: 1..65535)"},
      {"port 65536", minimal + "listeners:\n  - port: 65536\n    app: echo\n", 4, "listeners[0].port", "out of range"},
      {"huge number", minimal + "listeners:\n  - port: 99999999999999999999999\n    app: echo\n", 4, "listeners[0].port", "out of range"},
      {"mtu too small", "port:\n  ip: 10.0.0.2/24\n  mtu: 67\n", 3, "port.mtu", "allowed: 68..9216"},
      {"mtu too big", "port:\n  ip: 10.0.0.2/24\n  mtu: 9217\n", 3, "port.mtu", "out of range"},
      {"rx ring not a power of two", "port:\n  ip: 10.0.0.2/24\n  rx_descriptors: 1000\n", 3, "port.rx_descriptors", "power of two"},
      {"tx ring not a power of two", "port:\n  ip: 10.0.0.2/24\n  tx_descriptors: 3000\n", 3, "port.tx_descriptors", "power of two"},
      {"rx ring too small", "port:\n  ip: 10.0.0.2/24\n  rx_descriptors: 32\n", 3, "port.rx_descriptors", "allowed: 64..16384"},
      {"tx ring too big", "port:\n  ip: 10.0.0.2/24\n  tx_descriptors: 32768\n", 3, "port.tx_descriptors", "out of range"},
      {"burst 0", "port:\n  ip: 10.0.0.2/24\n  burst_size: 0\n", 3, "port.burst_size", "allowed: 1..256"},
      {"burst 257", "port:\n  ip: 10.0.0.2/24\n  burst_size: 257\n", 3, "port.burst_size", "out of range"},
      {"mss below 536", minimal + "tcp:\n  mss: 535\n", 4, "tcp.mss", "out of range"},
      {"rst budget too big", minimal + "tcp:\n  rst_per_second: 10000001\n", 4, "tcp.rst_per_second", "allowed: 0..10000000"},
      {"negative challenge budget", minimal + "tcp:\n  challenge_acks_per_second_lcore: -1\n", 4, "tcp.challenge_acks_per_second_lcore", "must not be negative, got -1 (allowed: 0..10000000)"},
      {"mss above mtu - 40", "port:\n  ip: 10.0.0.2/24\n  mtu: 1500\ntcp:\n  mss: 1461\n", 5, "tcp.mss", "exceeds port.mtu - 40 = 1460"},
      {"window scale 15", minimal + "tcp:\n  window_scale: 15\n", 4, "tcp.window_scale", "allowed: 0..14"},
      {"window too big for scale", minimal + "tcp:\n  window_scale: 0\n  receive_window: 65536\n", 5, "tcp.receive_window", "raise window_scale to 1"},
      {"window below one segment", minimal + "tcp:\n  receive_window: 1000\n", 4, "tcp.receive_window", "smaller than one segment"},
      {"reassembly budget above half the pool", minimal + "tcp:\n  reassembly_budget: 8192\n", 4, "tcp.reassembly_budget", "exceeds half of port.mbufs (16383 / 2 = 8191)"},
      {"reassembly budget negative", minimal + "tcp:\n  reassembly_budget: -1\n", 4, "tcp.reassembly_budget", ""},
      {"rotation 0", minimal + "tcp:\n  syn_cookies:\n    rotation_seconds: 0\n", 5, "tcp.syn_cookies.rotation_seconds", "out of range"},
      {"rotation below one cookie lifetime", minimal + "tcp:\n  syn_cookies:\n    rotation_seconds: 48\n", 5, "tcp.syn_cookies.rotation_seconds", "out of range"},
      {"rotation not whole ticks", minimal + "tcp:\n  syn_cookies:\n    rotation_seconds: 100\n", 5, "tcp.syn_cookies.rotation_seconds", "not a multiple of 16"},
      {"threshold above backlog", minimal + "tcp:\n  syn_cookies:\n    backlog_per_lcore: 100\n    auto_threshold: 101\n", 6, "tcp.syn_cookies.auto_threshold", "exceeds backlog_per_lcore (100)"},
      {"threshold above backlog, default threshold", minimal + "tcp:\n  syn_cookies:\n    backlog_per_lcore: 100\n", 5, "tcp.syn_cookies.auto_threshold", "exceeds backlog_per_lcore"},
      {"bad cookie mode", minimal + "tcp:\n  syn_cookies:\n    mode: sometimes\n", 5, "tcp.syn_cookies.mode", "expected always, auto or off"},
      {"too few mbufs", "port:\n  ip: 10.0.0.2/24\n  rx_descriptors: 4096\n  tx_descriptors: 4096\n  mbufs: 4095\n", 5, "port.mbufs", "fewer than one queue needs"},
      {"pool beyond memory", "eal:\n  memory_mb: 64\nport:\n  ip: 10.0.0.2/24\n  mbufs: 65535\n", 5, "port.mbufs", "raise memory_mb"},
      {"burst beyond ring", "port:\n  ip: 10.0.0.2/24\n  rx_descriptors: 64\n  burst_size: 128\n", 4, "port.burst_size", "exceeds port.rx_descriptors"},
      // Addresses.
      {"ip octet 300", "port:\n  ip: \"10.77.0.300/24\"\n", 2, "port.ip", "\"10.77.0.300/24\" is not an IPv4 address with prefix (expected a.b.c.d/len)"},
      {"ip without prefix", "port:\n  ip: 10.77.0.2\n", 2, "port.ip", "expected a.b.c.d/len"},
      {"ip prefix 33", "port:\n  ip: 10.77.0.2/33\n", 2, "port.ip", "not an IPv4 address"},
      {"ip leading zero", "port:\n  ip: 10.077.0.2/24\n", 2, "port.ip", "not an IPv4 address"},
      {"ip multicast", "port:\n  ip: 224.0.0.5/24\n", 2, "port.ip", "not a unicast host address"},
      {"ip zero", "port:\n  ip: 0.0.0.0/8\n", 2, "port.ip", "not a unicast host address"},
      {"ip network address", "port:\n  ip: 10.0.0.0/24\n", 2, "port.ip", "network address"},
      {"ip subnet broadcast", "port:\n  ip: 10.0.0.255/24\n", 2, "port.ip", "broadcast address"},
      {"ip /0", "port:\n  ip: 10.0.0.2/0\n", 2, "port.ip", "/0"},
      {"bad mac", "port:\n  ip: 10.0.0.2/24\n  mac: 02:00:00:00:00\n", 3, "port.mac", "expected aa:bb:cc:dd:ee:ff"},
      {"multicast mac", "port:\n  ip: 10.0.0.2/24\n  mac: 01:00:5e:00:00:01\n", 3, "port.mac", "not a unicast MAC"},
      {"bad pci address", "eal:\n  pci_allow: [\"3b:00\"]\n" + minimal, 2, "eal.pci_allow[0]", "not a PCI address"},
      // Listeners.
      {"duplicate listener port", minimal + "listeners:\n  - port: 80\n    app: http\n  - port: 80\n    app: echo\n", 6, "listeners[1].port", "already has a listener (line 4)"},
      {"empty app", minimal + "listeners:\n  - port: 80\n    app: \"\"\n", 5, "listeners[0].app", "is empty"},
      {"missing app", minimal + "listeners:\n  - port: 80\n", 4, "listeners[0].app", "missing required key"},
      {"plugin without its file", minimal + "listeners:\n  - port: 80\n    app: plugin\n", 4, "listeners[0].plugin", "missing required key (app: plugin needs the path"},
      {"empty plugin path", minimal + "listeners:\n  - port: 80\n    app: plugin\n    plugin: \"\"\n", 6, "listeners[0].plugin", "is empty"},
      {"plugin path not a string", minimal + "listeners:\n  - port: 80\n    app: plugin\n    plugin: [a.so]\n", 6, "listeners[0].plugin", "expected a string"},
      {"plugin for a built-in app", minimal + "listeners:\n  - port: 80\n    app: echo\n    plugin: /x.so\n", 6, "listeners[0].plugin", "only for app: plugin (line 5 says app: echo)"},
      {"missing listener port", minimal + "listeners:\n  - app: echo\n", 4, "listeners[0].port", "missing required key"},
      {"listener not a map", minimal + "listeners:\n  - 80\n", 4, "listeners[0]", "expected a map"},
      // EAL strings and conflicts.
      {"bad lcores", "eal:\n  lcores: \"0 to 1\"\n" + minimal, 2, "eal.lcores", "not an EAL lcore list"},
      {"bad log level", "eal:\n  log_level: loud\n" + minimal, 2, "eal.log_level", "not an EAL log level"},
      {"bad file prefix", "eal:\n  file_prefix: a/b\n" + minimal, 2, "eal.file_prefix", "without '/'"},
      {"empty vdev", "eal:\n  vdevs: [\"\"]\n" + minimal, 2, "eal.vdevs[0]", "empty string"},
      {"pci with no_pci", "eal:\n  no_pci: true\n  pci_allow: [\"0000:3b:00.0\"]\n" + minimal, 3, "eal.pci_allow", "conflicts with eal.no_pci: true (line 2)"},
      {"device not a vdev", "eal:\n  vdevs: [\"net_tap0,iface=x\"]\nport:\n  device: net_tap1\n  ip: 10.0.0.2/24\n", 4, "port.device", "neither a PCI address nor the name of one of eal.vdevs"},
      {"pci device not allowed", "eal:\n  pci_allow: [\"0000:3b:00.0\"]\nport:\n  device: \"0000:3b:00.1\"\n  ip: 10.0.0.2/24\n", 4, "port.device", "not in eal.pci_allow"},
      {"pci device with no_pci", "eal:\n  no_pci: true\nport:\n  device: \"0000:3b:00.1\"\n  ip: 10.0.0.2/24\n", 4, "port.device", "eal.no_pci is true"},
      // EAL options in extra_args (DPDK 22.11's table).
      {"unknown EAL option", "eal:\n  extra_args: [\"--bogus-option\"]\n" + minimal, 2, "eal.extra_args[0]", "\"--bogus-option\" is not an EAL option of DPDK 22.11; remove it"},
      {"EAL option a key sets", "eal:\n  extra_args:\n    - --iova-mode=va\n    - -l\n    - \"0\"\n" + minimal, 4, "eal.extra_args[1]", "\"-l\" sets the lcores, which eal.lcores does"},
      {"EAL option without its value", "eal:\n  extra_args: [\"-n\", \"4\", \"--huge-dir\"]\n" + minimal, 2, "eal.extra_args[2]", "needs a value"},
      {"EAL option refused without hugepages", "eal:\n  no_huge: true\n  extra_args:\n    - --huge-unlink\n" + minimal, 4, "eal.extra_args[0]", "conflicts with eal.no_huge: true"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const std::string message = error_of(c.yaml);
    INFO(message);
    CHECK(message.rfind("test.yaml:" + std::to_string(c.line) + ": " + c.path + ": ", 0) == 0);
    CHECK(message.find(c.detail) != std::string::npos);
  }
}

TEST_CASE("eal.extra_args takes DPDK 22.11's EAL options, whole and with their values", "[unit][config]") {
  const auto extra = [](const std::string& args) {
    return parse("eal:\n  no_huge: false\n  extra_args: " + args + "\n" + minimal).eal.extra_args;
  };
  CHECK(extra("[\"--huge-unlink\", \"--huge-dir\", \"/mnt/huge\", \"-n\", \"4\"]").size() == 5);
  CHECK(extra("[\"--huge-unlink=never\", \"--iova-mode=va\", \"-n4\", \"-v\", \"--single-file-segments\"]").size() == 5);
  CHECK(extra("[\"--proc-type\", \"--no-pci\"]").size() == 2);  // a value is whatever follows its option
  const auto refused = [](const std::string& args) {
    return error_of("eal:\n  no_huge: false\n  extra_args: " + args + "\n" + minimal);
  };
  CHECK_THAT(refused("[\"--huge-unlin\"]"), Catch::Contains("(did you mean \"--huge-unlink\"?)"));
  CHECK_THAT(refused("[\"--no-hugee\"]"), Catch::Contains("(did you mean \"--no-huge\"?)"));
  CHECK_THAT(refused("[\"--socket-mem\", \"1024\"]"), Catch::Contains("eal.extra_args[0]: \"--socket-mem\" cannot go beside -m"));
  CHECK_THAT(refused("[\"-m512\"]"), Catch::Contains("\"-m512\" sets the memory, which eal.memory_mb does"));
  CHECK_THAT(refused("[\"--help\"]"), Catch::Contains("makes EAL print its usage and exit"));
  CHECK_THAT(refused("[\"-vh\"]"), Catch::Contains("makes EAL print its usage and exit"));
  CHECK_THAT(refused("[\"--vdev=net_null0\"]"), Catch::Contains("list it there"));
  CHECK_THAT(refused("[\"--no-pci=1\"]"), Catch::Contains("takes no value; write --no-pci alone"));
  CHECK_THAT(refused("[\"huge-unlink\"]"), Catch::Contains("is not an EAL option (options start with '-'"));
  CHECK_THAT(refused("[\"--\"]"), Catch::Contains("is not an EAL option (options start with '-'"));
  CHECK_THAT(refused("[\"-x\"]"), Catch::Contains("(-x is unknown)"));
  CHECK_THAT(refused("[\"-l\"]"), Catch::Contains("sets the lcores"));
  CHECK_THAT(refused("[\"-n\"]"), Catch::Contains("needs a value"));
}

TEST_CASE("a missing file is a config_error with the reason", "[unit][config]") {
  try {
    cfg::load_config_file("/nonexistent/rampart.yaml");
    FAIL("no error");
  } catch (const cfg::config_error& e) {
    CHECK(std::string(e.what()) == "/nonexistent/rampart.yaml: cannot open: No such file or directory");
  }
}

TEST_CASE("the PCI device matches an allow-list entry without the domain", "[unit][config]") {
  const auto config = parse("eal:\n  pci_allow: [\"3B:00.0\"]\nport:\n  device: \"0000:3b:00.0\"\n  ip: 10.0.0.2/24\n");
  CHECK(config.port.device == "0000:3b:00.0");
}

TEST_CASE("a directory given as the config file is named as such", "[unit][config]") {
  const auto dir = source_dir / "config";
  try {
    cfg::load_config_file(dir);
    FAIL("a directory parsed as a config");
  } catch (const cfg::config_error& e) {
    CHECK(std::string(e.what()) == dir.string() + ": is a directory, not a config file (give the YAML file, e.g. " +
                                       (dir / "rampart.yaml").string() + ")");
  }
}

TEST_CASE("stats.metrics_listen takes a.b.c.d:port or nothing", "[unit][config]") {
  const std::string base = "port: {ip: 10.0.0.2/24}\nstats:\n  metrics_listen: ";
  const auto parse = [&](const std::string& value) {
    std::istringstream in(base + value + "\n");
    return cfg::parse_config(in, "t.yaml");
  };
  CHECK(parse("\"127.0.0.1:9108\"").stats.metrics_listen == "127.0.0.1:9108");
  CHECK(parse("\"\"").stats.metrics_listen.empty());
  for (const char* bad : {"\"127.0.0.1\"", "\"127.0.0.1:0\"", "\"127.0.0.1:65536\"", "\"localhost:80\"",
                          "\"1.2.3.4:080\"", "\"1.2.3.4:8x\""}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse(bad), Catch::Contains("t.yaml:3: stats.metrics_listen: ") &&
                                      Catch::Contains("is not an IPv4 address and port"));
  }
  const auto where = cfg::parse_listen_address("10.1.2.3:9108");
  REQUIRE(where);
  CHECK(where->address.value == 0x0a010203);
  CHECK(where->port == 9108);
}

TEST_CASE("stats.capture_directory takes an absolute path", "[unit][config]") {
  const auto parse = [](const std::string& value) {
    std::istringstream in("port: {ip: 10.0.0.2/24}\nstats:\n  capture_directory: " + value + "\n");
    return cfg::parse_config(in, "t.yaml");
  };
  CHECK(cfg::engine_config{}.stats.capture_directory == "/var/lib/rampart/capture");
  CHECK(parse("/srv/captures").stats.capture_directory == "/srv/captures");
  for (const char* bad : {"captures", "\"\"", "/", "//"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse(bad), Catch::Contains("t.yaml:3: stats.capture_directory: ") &&
                                      Catch::Contains("must be an absolute path to a directory of its own"));
  }
}

TEST_CASE("tcp.local_ports takes first-last within 1024-65535", "[unit][config]") {
  const std::string base = "port: {ip: 10.0.0.2/24}\ntcp:\n  local_ports: ";
  const auto parse = [&](const std::string& value) {
    std::istringstream in(base + value + "\n");
    return cfg::parse_config(in, "t.yaml");
  };
  std::istringstream minimal("port: {ip: 10.0.0.2/24}\n");
  CHECK(cfg::parse_config(minimal, "t.yaml").tcp.local_ports == cfg::port_range{32768, 60999});
  CHECK(parse("\"1024-65535\"").tcp.local_ports == cfg::port_range{1024, 65535});
  CHECK(parse("40000-40000").tcp.local_ports.size() == 1);
  for (const char* bad : {"\"1023-2000\"", "\"2000-1999\"", "\"1024-65536\""}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse(bad), Catch::Contains("t.yaml:3: tcp.local_ports: ") &&
                                      Catch::Contains("is outside 1024-65535 or runs backwards (expected first-last"));
  }
  for (const char* bad : {"\"32768\"", "\"a-b\"", "\"1024 - 2047\"", "\"-2047\"", "\"1024-\"", "\"1024-2047-3000\""}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse(bad), Catch::Contains("t.yaml:3: tcp.local_ports: ") &&
                                      Catch::Contains("is not a port range (expected first-last"));
  }
}

TEST_CASE("app: plugin names its shared object in `plugin`", "[unit][config]") {
  const auto config = parse(minimal + "listeners:\n  - port: 7000\n    app: plugin\n    plugin: /usr/lib/rampart/uppercase.so\n    args: {greeting: hi}\n  - {port: 7, app: echo}\n");
  REQUIRE(config.listeners.size() == 2);
  CHECK(config.listeners[0].app == "plugin");
  CHECK(config.listeners[0].plugin == "/usr/lib/rampart/uppercase.so");
  CHECK(config.listeners[0].args.at("greeting") == "hi");
  CHECK(config.listeners[1].plugin.empty());
}

TEST_CASE("routes and a gateway parse in order; both are optional", "[unit][config]") {
  const auto none = parse(routed_port);
  CHECK_FALSE(none.port.gateway);
  CHECK(none.routes.empty());

  const auto config = parse(routed_port + R"(  gateway: 10.77.0.1
routes:
  - {prefix: 10.1.0.0/16, via: 10.77.0.254}
  - prefix: 192.0.2.0/24
    via: 10.77.0.253
)");
  REQUIRE(config.port.gateway);
  CHECK(config.port.gateway->to_string() == "10.77.0.1");
  REQUIRE(config.routes.size() == 2);
  CHECK(config.routes[0].prefix.to_string() == "10.1.0.0/16");
  CHECK(config.routes[0].via.to_string() == "10.77.0.254");
  CHECK(config.routes[1].prefix.to_string() == "192.0.2.0/24");
  CHECK(config.routes[1].via.to_string() == "10.77.0.253");
  // Without a gateway, a default route may come from routes.
  CHECK(parse(routed_port + "routes:\n  - {prefix: 0.0.0.0/0, via: 10.77.0.1}\n").routes.size() == 1);
}

TEST_CASE("a gateway must be a router on the port's subnet", "[unit][config]") {
  CHECK_THAT(error_of(routed_port + "  gateway: 10.78.0.1\n"),
             Catch::Contains("test.yaml:3: port.gateway: 10.78.0.1 is not on the port's subnet (port.ip is 10.77.0.2/24)"));
  CHECK_THAT(error_of(routed_port + "  gateway: 10.77.0.2\n"),
             Catch::Contains("test.yaml:3: port.gateway: 10.77.0.2 is the port's own address"));
  CHECK_THAT(error_of(routed_port + "  gateway: 224.0.0.1\n"),
             Catch::Contains("test.yaml:3: port.gateway: \"224.0.0.1\" is not a unicast host address"));
  CHECK_THAT(error_of(routed_port + "  gateway: 10.77.0.1/24\n"),
             Catch::Contains("test.yaml:3: port.gateway: \"10.77.0.1/24\" is not an IPv4 address (expected a.b.c.d)"));
}

TEST_CASE("a route's prefix and via are checked, each prefix once", "[unit][config]") {
  CHECK_THAT(error_of(routed_port + "routes:\n  - {prefix: 10.1.2.3/16, via: 10.77.0.254}\n"),
             Catch::Contains("test.yaml:4: routes[0].prefix: \"10.1.2.3/16\" has host bits set; write its network, "
                             "10.1.0.0/16"));
  CHECK_THAT(error_of(routed_port + "routes:\n  - {prefix: 10.1.0.0, via: 10.77.0.254}\n"),
             Catch::Contains("test.yaml:4: routes[0].prefix: \"10.1.0.0\" is not an IPv4 prefix"));
  CHECK_THAT(error_of(routed_port + "routes:\n  - {prefix: 10.1.0.0/16, via: 10.1.0.1}\n"),
             Catch::Contains("test.yaml:4: routes[0].via: 10.1.0.1 is not on the port's subnet"));
  CHECK_THAT(error_of(routed_port + "routes:\n  - {prefix: 10.1.0.0/16}\n"),
             Catch::Contains("test.yaml:4: routes[0].via: missing required key"));
  CHECK_THAT(error_of(routed_port + "routes:\n  - {prefix: 10.1.0.0/16, via: 10.77.0.254}\n"
                             "  - {prefix: 10.1.0.0/16, via: 10.77.0.253}\n"),
             Catch::Contains("test.yaml:5: routes[1].prefix: 10.1.0.0/16 already has a route (line 4); keep one"));
  CHECK_THAT(error_of(routed_port + "routes:\n  - {prefix: 10.77.0.0/24, via: 10.77.0.254}\n"),
             Catch::Contains("test.yaml:4: routes[0].prefix: 10.77.0.0/24 is the port's own subnet"));
  CHECK_THAT(error_of(routed_port + "  gateway: 10.77.0.1\nroutes:\n  - {prefix: 0.0.0.0/0, via: 10.77.0.254}\n"),
             Catch::Contains("test.yaml:5: routes[0].prefix: 0.0.0.0/0 is the default route, which port.gateway "
                             "(line 3) already sets; keep one"));
}

TEST_CASE("SIGHUP names a changed gateway and a route by its prefix; both need a restart", "[unit][config]") {
  const auto running = parse(routed_port + "routes:\n  - {prefix: 10.1.0.0/16, via: 10.77.0.254}\n");
  const auto next = parse(routed_port + "  gateway: 10.77.0.1\nroutes:\n  - {prefix: 10.1.0.0/16, via: 10.77.0.253}\n"
                                 "  - {prefix: 10.2.0.0/16, via: 10.77.0.254}\n");
  std::vector<std::string> changes;
  for (const cfg::key_change& change : cfg::changed_keys(running, next)) {
    CHECK(change.reload == cfg::reload_rule::restart);
    changes.push_back(change.text);
  }
  CHECK(changes == std::vector<std::string>{"port.gateway none -> 10.77.0.1",
                                            "routes[10.1.0.0/16].via 10.77.0.254 -> 10.77.0.253",
                                            "routes: added 10.2.0.0/16"});
}

TEST_CASE("port.ipv6 and port.ipv6_gateway are optional and parse with their prefix", "[unit][config]") {
  const auto none = parse(routed_port);
  CHECK_FALSE(none.port.ipv6);
  CHECK_FALSE(none.port.ipv6_gateway);

  const auto config = parse(routed_port + "  ipv6: fd77::2/64\n  ipv6_gateway: fe80::1\n");
  REQUIRE(config.port.ipv6);
  CHECK(config.port.ipv6->to_string() == "fd77::2/64");
  REQUIRE(config.port.ipv6_gateway);
  CHECK(config.port.ipv6_gateway->to_string() == "fe80::1");
  // A gateway on the port's prefix, and the whole range of prefixes.
  CHECK(parse(routed_port + "  ipv6: fd77::2/64\n  ipv6_gateway: fd77::1\n").port.ipv6_gateway->to_string() == "fd77::1");
  CHECK(parse(routed_port + "  ipv6: 2001:db8::7/128\n").port.ipv6->prefix_length == 128);
  CHECK(parse(routed_port + "  ipv6: 2001:db8::7/1\n").port.ipv6->prefix_length == 1);
  // RFC 6164: a /127 may use the address whose host bit is zero.
  CHECK(parse(routed_port + "  ipv6: 2001:db8::/127\n").port.ipv6->to_string() == "2001:db8::/127");
}

TEST_CASE("port.ipv6 must be a unicast, non-link-local address with a prefix of 1..128", "[unit][config]") {
  const auto error = [](const std::string& value) { return error_of(routed_port + "  ipv6: \"" + value + "\"\n"); };
  CHECK_THAT(error("fd77::2"), Catch::Contains("test.yaml:3: port.ipv6: \"fd77::2\" is not an IPv6 address with prefix "
                                               "(expected e.g. fd77::2/64)"));
  CHECK_THAT(error("fd77::2/129"), Catch::Contains("port.ipv6: \"fd77::2/129\" is not an IPv6 address with prefix"));
  CHECK_THAT(error("fd77::g/64"), Catch::Contains("port.ipv6: \"fd77::g/64\" is not an IPv6 address with prefix"));
  CHECK_THAT(error("10.77.0.2/24"), Catch::Contains("port.ipv6: \"10.77.0.2/24\" is not an IPv6 address with prefix"));
  CHECK_THAT(error("fd77::2/0"), Catch::Contains("test.yaml:3: port.ipv6: \"fd77::2/0\": a /0 prefix would put every "
                                                 "address on-link"));
  CHECK_THAT(error("::/64"), Catch::Contains("port.ipv6: \"::/64\" is the unspecified address, not an interface's "
                                             "unicast address"));
  CHECK_THAT(error("::1/128"), Catch::Contains("port.ipv6: \"::1/128\" is the loopback address"));
  CHECK_THAT(error("ff02::1/64"), Catch::Contains("port.ipv6: \"ff02::1/64\" is a multicast address (ff00::/8)"));
  CHECK_THAT(error("::ffff:10.77.0.2/120"), Catch::Contains("port.ipv6: \"::ffff:10.77.0.2/120\" is an IPv4-mapped "
                                                            "address"));
  CHECK_THAT(error("fe80::2/64"), Catch::Contains("port.ipv6: \"fe80::2/64\" is link-local (fe80::/10); rampart "
                                                  "derives the port's link-local address from its MAC"));
  CHECK_THAT(error("fd77::/64"), Catch::Contains("port.ipv6: \"fd77::/64\" is the prefix's Subnet-Router anycast "
                                                 "address"));
  CHECK_THAT(error("fd77:0:0:2::/63"), Catch::Contains("Subnet-Router anycast"));
}

TEST_CASE("port.ipv6_gateway needs ipv6 and must be a router on the link", "[unit][config]") {
  const std::string v6_port = routed_port + "  ipv6: fd77::2/64\n";
  CHECK_THAT(error_of(routed_port + "  ipv6_gateway: fe80::1\n"),
             Catch::Contains("test.yaml:3: port.ipv6_gateway: fe80::1 needs port.ipv6, the port's own IPv6 address; "
                             "add it or delete this key"));
  CHECK_THAT(error_of(v6_port + "  ipv6_gateway: fd78::1\n"),
             Catch::Contains("test.yaml:4: port.ipv6_gateway: fd78::1 is neither link-local (fe80::/10) nor on the "
                             "port's prefix (port.ipv6 is fd77::2/64)"));
  CHECK_THAT(error_of(v6_port + "  ipv6_gateway: fd77::2\n"),
             Catch::Contains("test.yaml:4: port.ipv6_gateway: fd77::2 is the port's own address; name the router"));
  CHECK_THAT(error_of(v6_port + "  ipv6_gateway: ff02::2\n"),
             Catch::Contains("test.yaml:4: port.ipv6_gateway: \"ff02::2\" is a multicast address (ff00::/8), which "
                             "cannot be a router"));
  CHECK_THAT(error_of(v6_port + "  ipv6_gateway: \"::\"\n"), Catch::Contains("is the unspecified address"));
  CHECK_THAT(error_of(v6_port + "  ipv6_gateway: fe80::1/64\n"),
             Catch::Contains("test.yaml:4: port.ipv6_gateway: \"fe80::1/64\" is not an IPv6 address (expected e.g. "
                             "fe80::1 or fd77::1, no prefix)"));
}

TEST_CASE("SIGHUP names a changed IPv6 address and gateway; both need a restart", "[unit][config]") {
  const auto running = parse(routed_port);
  const auto next = parse(routed_port + "  ipv6: fd77::2/64\n  ipv6_gateway: fe80::1\n");
  std::vector<std::string> changes;
  for (const cfg::key_change& change : cfg::changed_keys(running, next)) {
    CHECK(change.reload == cfg::reload_rule::restart);
    changes.push_back(change.text);
  }
  CHECK(changes == std::vector<std::string>{"port.ipv6 none -> fd77::2/64", "port.ipv6_gateway none -> fe80::1"});
}
