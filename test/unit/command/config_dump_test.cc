#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "config/config.hh"
#include "config/schema.hh"
#include "config_dump.hh"

using namespace rampart;

namespace {

config::engine_config parse(const std::string& text) {
  std::istringstream in(text);
  return config::parse_config(in, "test");
}

// The dump parses back to the same config, and dumping that gives the same text.
void check_round_trip(const config::engine_config& cfg) {
  const std::string dump = command::dump_config(cfg);
  INFO(dump);
  const config::engine_config back = parse(dump);
  CHECK(back == cfg);
  CHECK(command::dump_config(back) == dump);
}

// Every key of a description, as the dump must show it.
void expected_lines(const config::config_node& node, std::vector<std::string>& out) {
  for (const config::config_node& child : node.children) {
    if (child.kind != config::node_kind::key) {
      expected_lines(child, out);
    } else if (child.value.empty()) {
      out.push_back("# " + child.name + ": not set (" + std::string(child.info->unset) + ")");
    } else {
      out.push_back(child.name + ": " + child.value + "  # " + std::string(child.info->doc));
    }
  }
}

}  // namespace

TEST_CASE("the dump of a minimal config parses back to the same config", "[unit][command]") {
  const config::engine_config cfg = parse("port:\n  ip: 10.77.0.2/24\n");
  const std::string dump = command::dump_config(cfg);
  CHECK(dump.find("\n  ip: 10.77.0.2/24  # ") != std::string::npos);
  CHECK(dump.find("\nlisteners: []  # ") != std::string::npos);
  check_round_trip(cfg);
}

TEST_CASE("the dump shows every declared key with its effective value", "[unit][command]") {
  const config::engine_config cfg = parse(
      "port: {ip: 10.77.0.2/24, mtu: 1400, mbufs: 3000}\n"
      "listeners: [{port: 80, app: http}, {port: 7000, app: plugin, plugin: /x.so, congestion_control: reno}]\n");
  const std::string dump = command::dump_config(cfg);
  INFO(dump);
  std::vector<std::string> lines;
  expected_lines(config::describe(cfg), lines);
  CHECK(lines.size() > 50);
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(dump.find(line) != std::string::npos);
  }
  // Computed from other keys, and the keys the dump once left out.
  for (const char* line : {"mss: 1360  #", "send_budget: 920  #", "reassembly_budget: 375  #", "initial_window: 10  #",
                           "tail_loss_probe: true  #", "congestion_control: cubic  #", "congestion_control: reno  #",
                           "  - port: 80  #", "  - port: 7000  #", "    plugin: \"/x.so\"  #", "    # plugin: not set (none)",
                           "  # mac: not set (the port's own)", "interval_seconds: 0  # seconds between periodic stats "
                           "lines; 0: none (SIGHUP applies it)"}) {
    INFO(line);
    CHECK(dump.find(line) != std::string::npos);
  }
  check_round_trip(cfg);
}

TEST_CASE("the dump of a config using every key parses back to the same config", "[unit][command]") {
  const config::engine_config cfg = parse(R"(
eal:
  lcores: "0,2-3"
  memory_mb: 1024
  no_huge: false
  no_pci: false
  vdevs: ["net_af_packet0,iface=veth0,qpairs=2"]
  pci_allow: ["0000:3b:00.0"]
  file_prefix: node1
  in_memory: true
  log_level: "lib.eal:debug"
  extra_args: ["--huge-unlink"]
port:
  device: net_af_packet0
  ip: 192.0.2.10/25
  mac: "02:00:00:00:00:01"
  mtu: 1400
  rx_descriptors: 512
  tx_descriptors: 256
  mbufs: 8191
  burst_size: 64
listeners:
  - port: 80
    app: http
    args: {body: "yes", size: "1024", note: ""}
  - port: 7
    app: echo
    nagle: false
    idle_timeout_seconds: 30
    congestion_control: reno
  - port: 7000
    app: plugin
    plugin: /usr/lib/rampart/uppercase.so
tcp:
  mss: 1360
  window_scale: 5
  receive_window: 131072
  connections_per_lcore: 1024
  drain_timeout_seconds: 5
  send_buffer: 65536
  rto_min_ms: 100
  rto_initial_ms: 500
  rto_max_ms: 30000
  max_retransmissions: 6
  delayed_ack_ms: 20
  time_wait_seconds: 30
  challenge_acks_per_second: 5
  challenge_acks_per_second_lcore: 0
  rst_per_second: 250
  reassembly_budget: 1000
  send_budget: 2000
  initial_window: 4
  tail_loss_probe: false
  syn_cookies:
    mode: "off"
    rotation_seconds: 3600
    master_secret_file: /etc/rampart/secret
    backlog_per_lcore: 256
    auto_threshold: 100
stats:
  interval_seconds: 10
  metrics_listen: "127.0.0.1:9108"
)");
  check_round_trip(cfg);
}
