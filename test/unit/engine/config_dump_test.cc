#include <catch2/catch.hpp>

#include <sstream>

#include "config/config.hh"
#include "engine/config_dump.hh"

using namespace rampart;

namespace {

config::engine_config parse(const std::string& text) {
  std::istringstream in(text);
  return config::parse_config(in, "test");
}

void check_same(const config::engine_config& a, const config::engine_config& b) {
  CHECK(a.eal.lcores == b.eal.lcores);
  CHECK(a.eal.memory_mb == b.eal.memory_mb);
  CHECK(a.eal.no_huge == b.eal.no_huge);
  CHECK(a.eal.no_pci == b.eal.no_pci);
  CHECK(a.eal.vdevs == b.eal.vdevs);
  CHECK(a.eal.pci_allow == b.eal.pci_allow);
  CHECK(a.eal.file_prefix == b.eal.file_prefix);
  CHECK(a.eal.in_memory == b.eal.in_memory);
  CHECK(a.eal.log_level == b.eal.log_level);
  CHECK(a.eal.extra_args == b.eal.extra_args);
  CHECK(a.port.device == b.port.device);
  CHECK(a.port.ip.address == b.port.ip.address);
  CHECK(a.port.ip.prefix_length == b.port.ip.prefix_length);
  CHECK(a.port.mac == b.port.mac);
  CHECK(a.port.mtu == b.port.mtu);
  CHECK(a.port.rx_descriptors == b.port.rx_descriptors);
  CHECK(a.port.tx_descriptors == b.port.tx_descriptors);
  CHECK(a.port.mbufs == b.port.mbufs);
  CHECK(a.port.burst_size == b.port.burst_size);
  REQUIRE(a.listeners.size() == b.listeners.size());
  for (std::size_t i = 0; i < a.listeners.size(); ++i) {
    CHECK(a.listeners[i].port == b.listeners[i].port);
    CHECK(a.listeners[i].app == b.listeners[i].app);
    CHECK(a.listeners[i].plugin == b.listeners[i].plugin);
    CHECK(a.listeners[i].args == b.listeners[i].args);
    CHECK(a.listeners[i].nagle == b.listeners[i].nagle);
    CHECK(a.listeners[i].idle_timeout_seconds == b.listeners[i].idle_timeout_seconds);
  }
  CHECK(a.tcp.mss == b.tcp.mss);
  CHECK(a.tcp.window_scale == b.tcp.window_scale);
  CHECK(a.tcp.receive_window == b.tcp.receive_window);
  CHECK(a.tcp.connections_per_lcore == b.tcp.connections_per_lcore);
  CHECK(a.tcp.send_buffer == b.tcp.send_buffer);
  CHECK(a.tcp.rto_min_ms == b.tcp.rto_min_ms);
  CHECK(a.tcp.rto_initial_ms == b.tcp.rto_initial_ms);
  CHECK(a.tcp.rto_max_ms == b.tcp.rto_max_ms);
  CHECK(a.tcp.max_retransmissions == b.tcp.max_retransmissions);
  CHECK(a.tcp.delayed_ack_ms == b.tcp.delayed_ack_ms);
  CHECK(a.tcp.time_wait_seconds == b.tcp.time_wait_seconds);
  CHECK(a.tcp.challenge_acks_per_second == b.tcp.challenge_acks_per_second);
  CHECK(a.tcp.challenge_acks_per_second_lcore == b.tcp.challenge_acks_per_second_lcore);
  CHECK(a.tcp.rst_per_second == b.tcp.rst_per_second);
  CHECK(a.tcp.syn_cookies.mode == b.tcp.syn_cookies.mode);
  CHECK(a.tcp.syn_cookies.rotation_seconds == b.tcp.syn_cookies.rotation_seconds);
  CHECK(a.tcp.syn_cookies.master_secret_file == b.tcp.syn_cookies.master_secret_file);
  CHECK(a.tcp.syn_cookies.backlog_per_lcore == b.tcp.syn_cookies.backlog_per_lcore);
  CHECK(a.tcp.syn_cookies.auto_threshold == b.tcp.syn_cookies.auto_threshold);
  CHECK(a.stats.interval_seconds == b.stats.interval_seconds);
  CHECK(a.stats.metrics_listen == b.stats.metrics_listen);
  CHECK(a.tcp.drain_timeout_seconds == b.tcp.drain_timeout_seconds);
  CHECK(a == b);  // and every field the checks above might miss
}

}  // namespace

TEST_CASE("the dump of a minimal config parses back to the same config", "[unit][engine]") {
  const config::engine_config cfg = parse("port:\n  ip: 10.77.0.2/24\n");
  const std::string dump = engine::dump_config(cfg);
  CHECK(dump.find("ip: 10.77.0.2/24") != std::string::npos);
  check_same(parse(dump), cfg);
}

TEST_CASE("the dump of a config using every key parses back to the same config", "[unit][engine]") {
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
  check_same(parse(engine::dump_config(cfg)), cfg);
}
