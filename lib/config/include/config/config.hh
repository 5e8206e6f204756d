#pragma once
// rampart's configuration: plain structs, parsed from one YAML document. A member's initialiser
// is its key's default; the key itself (name, range, whether SIGHUP applies it, what it is for)
// is declared once in keys.cc (config/schema.hh). Unknown keys, wrong types, bad values and
// missing required sections are config_error, whose message names the source, the line and the
// key path:
//   config/default.yaml:12: port.ip: "10.77.0.300/24" is not an IPv4 address with prefix (...)
// docs/config.md documents every key, its range and the rules between keys;
// config/default.yaml is the embedded default.
#include <cstdint>
#include <filesystem>
#include <istream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/addresses.hh"

namespace rampart::config {

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct eal_config {
  std::string lcores = "0-1";
  std::uint32_t memory_mb = 512;
  bool no_huge = true;
  bool no_pci = false;
  std::vector<std::string> vdevs;
  std::vector<std::string> pci_allow;
  std::string file_prefix = "rampart";
  bool in_memory = false;
  std::string log_level = "notice";
  std::vector<std::string> extra_args;

  bool operator==(const eal_config&) const = default;
};

struct port_config {
  std::string device;
  net::ipv4_interface_address ip;
  std::optional<net::mac_address> mac;
  std::optional<net::ipv4_address> gateway;
  std::optional<net::ipv6_interface_address> ipv6;  // none: the port does not speak IPv6
  std::optional<net::ipv6_address> ipv6_gateway;
  std::uint16_t mtu = 1500;
  std::uint16_t rx_descriptors = 1024;
  std::uint16_t tx_descriptors = 1024;
  std::uint32_t mbufs = 16383;
  std::uint16_t burst_size = 32;

  bool operator==(const port_config&) const = default;
};

// A destination prefix reached through a router on the port's subnet (routes: in the document).
struct route_config {
  net::ipv4_interface_address prefix;  // host bits zero
  net::ipv4_address via;
  bool operator==(const route_config&) const = default;
};

// Congestion control of a listener's connections (docs/tcp.md): RFC 5681 Reno or RFC 9438 CUBIC.
enum class congestion_control { reno, cubic };

struct listener_config {
  std::uint16_t port = 0;
  std::string app;
  std::string plugin;
  std::map<std::string, std::string> args;
  bool nagle = true;
  std::uint32_t idle_timeout_seconds = 0;
  congestion_control congestion = congestion_control::cubic;  // key: congestion_control

  bool operator==(const listener_config&) const = default;
};

enum class cookie_mode { always, auto_mode, off };

struct syn_cookie_config {
  cookie_mode mode = cookie_mode::auto_mode;
  std::uint32_t rotation_seconds = 64;
  std::string master_secret_file;
  std::uint32_t backlog_per_lcore = 1024;
  std::uint32_t auto_threshold = 768;

  bool operator==(const syn_cookie_config&) const = default;
};

// An inclusive range of TCP ports, written "first-last" (tcp.local_ports).
struct port_range {
  std::uint16_t first = 0;
  std::uint16_t last = 0;

  std::uint32_t size() const noexcept { return std::uint32_t{last} - first + 1; }
  std::string to_string() const { return std::to_string(first) + "-" + std::to_string(last); }
  bool operator==(const port_range&) const = default;
};

// The defaults computed from other keys when a key is left out are set by the parser
// (cross_checks.cc); the initialisers hold them for the other keys' defaults.
struct tcp_config {
  std::uint16_t mss = 1460;                  // left out of the file: min(1460, port.mtu - 40)
  std::uint8_t window_scale = 7;
  std::uint32_t receive_window = 65535 * 4;
  std::uint32_t connections_per_lcore = 65536;
  std::uint32_t drain_timeout_seconds = 30;
  std::uint32_t send_buffer = 256 * 1024;
  std::uint32_t send_budget = 4096;          // left out: lowered to what the pool leaves
  std::uint16_t initial_window = 10;
  bool tail_loss_probe = true;
  std::uint32_t rto_min_ms = 200;
  std::uint32_t rto_initial_ms = 1000;
  std::uint32_t rto_max_ms = 60'000;
  std::uint8_t max_retransmissions = 10;
  std::uint32_t delayed_ack_ms = 40;
  std::uint32_t time_wait_seconds = 60;
  std::uint16_t challenge_acks_per_second = 10;
  std::uint32_t reassembly_budget = port_config{}.mbufs / 8;  // left out: port.mbufs / 8
  std::uint32_t challenge_acks_per_second_lcore = 1000;
  std::uint32_t rst_per_second = 1000;
  port_range local_ports{32768, 60999};    // Linux's default ip_local_port_range
  syn_cookie_config syn_cookies;

  bool operator==(const tcp_config&) const = default;
};

struct stats_config {
  std::uint32_t interval_seconds = 0;
  std::string metrics_listen;
  std::string capture_directory = "/var/lib/rampart/capture";

  bool operator==(const stats_config&) const = default;
};

struct engine_config {
  eal_config eal;
  port_config port;
  std::vector<listener_config> listeners;
  std::vector<route_config> routes;
  tcp_config tcp;
  stats_config stats;

  bool operator==(const engine_config&) const = default;
};

// Parses one YAML document. source_name appears in error messages ("config/default.yaml").
// Throws config_error naming the key and line for: an empty document or a YAML syntax error,
// unknown or repeated keys, wrong types (incl. quoted numbers), negative or out-of-range values,
// bad addresses, duplicate listener ports, a gateway or route off the port's subnet, an
// ipv6_gateway without ipv6 or neither link-local nor on its prefix, duplicate route prefixes, an empty app name, `plugin` without `app: plugin` or
// the reverse, a missing `port` section or `port.ip`, an eal.extra_args element that is no
// option of DPDK 22.11's EAL (or one a key sets), and conflicting keys (mss > mtu - 40,
// auto_threshold > backlog_per_lcore, ...).
// The returned config is fully validated: consumers need not re-check ranges.
engine_config parse_config(std::istream& in, std::string_view source_name);

// Reads and parses a file; config_error also when the file cannot be opened (with the reason).
engine_config load_config_file(const std::filesystem::path& path);

std::string_view to_string(cookie_mode mode) noexcept;

// "a.b.c.d:port" (port 1..65535, no leading zero), as stats.metrics_listen takes it.
struct listen_address {
  net::ipv4_address address;
  std::uint16_t port = 0;
};
std::optional<listen_address> parse_listen_address(std::string_view text) noexcept;

}  // namespace rampart::config
