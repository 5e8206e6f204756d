#pragma once
// rampart's configuration: plain structs with defaults, parsed from one YAML document.
// Unknown keys, wrong types, bad values and missing required sections are config_error, whose
// message names the source, the line and the key path:
//   config/default.yaml:12: port.ip: "10.77.0.300/24" is not an IPv4 address with prefix (...)
// docs/config.md documents every key, its range and the cross-key rules; config/default.yaml is
// the embedded default.
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
  std::string lcores = "0-1";               // EAL --lcores; the first lcore is the main (control) one
  std::uint32_t memory_mb = 512;            // -m
  bool no_huge = true;                      // --no-huge (run without hugepages: tests, demos)
  bool no_pci = false;                      // --no-pci (vdev-only set-ups)
  std::vector<std::string> vdevs;           // --vdev, e.g. "net_tap0,iface=rampart0"
  std::vector<std::string> pci_allow;       // -a, e.g. "0000:3b:00.0"
  std::string file_prefix = "rampart";      // --file-prefix (also names the telemetry socket dir)
  bool in_memory = false;                   // --in-memory (no shared files at all; disables telemetry socket sharing)
  std::string log_level = "notice";         // --log-level
  std::vector<std::string> extra_args;      // appended verbatim, for what rampart does not model

  bool operator==(const eal_config&) const = default;
};

struct port_config {
  std::string device;                       // DPDK port name ("net_tap0", "0000:3b:00.0"); empty: port 0
  net::ipv4_interface_address ip;           // required, e.g. 10.77.0.2/24
  std::optional<net::mac_address> mac;      // default: the port's own MAC
  std::uint16_t mtu = 1500;
  std::uint16_t rx_descriptors = 1024;
  std::uint16_t tx_descriptors = 1024;
  std::uint32_t mbufs = 16383;              // per NUMA socket pool; 2^n - 1 is the mempool sweet spot
  std::uint16_t burst_size = 32;

  bool operator==(const port_config&) const = default;
};

// Congestion control of a listener's connections (docs/tcp.md): RFC 5681 Reno or RFC 9438 CUBIC.
enum class congestion_control { reno, cubic };

struct listener_config {
  std::uint16_t port = 0;
  std::string app;                          // "http", "echo", "discard", or "plugin"
  std::string plugin;                       // app: plugin only: the shared object to dlopen
  std::map<std::string, std::string> args;  // app-specific, passed through
  bool nagle = true;                        // RFC 1122 §4.2.3.4; false sends short segments at once
  std::uint32_t idle_timeout_seconds = 0;   // reset a connection silent this long; 0: never
  congestion_control congestion = congestion_control::cubic;  // key: congestion_control

  bool operator==(const listener_config&) const = default;
};

enum class cookie_mode { always, auto_mode, off };

struct syn_cookie_config {
  cookie_mode mode = cookie_mode::always;
  std::uint32_t rotation_seconds = 64;      // key lifetime; the previous key stays valid one more period
  std::string master_secret_file;           // empty: random keys per node (getrandom)
  std::uint32_t backlog_per_lcore = 1024;   // auto mode: stateful SYN backlog entries per lcore
  std::uint32_t auto_threshold = 768;       // auto mode: cookies once this many half-open entries exist

  bool operator==(const syn_cookie_config&) const = default;
};

struct tcp_config {
  std::uint16_t mss = 1460;                 // advertised MSS; when not in the file, min(1460, mtu - 40)
  std::uint8_t window_scale = 7;            // our advertised window scale (RFC 7323 §2.3)
  std::uint32_t receive_window = 65535 * 4; // bytes
  std::uint32_t connections_per_lcore = 65536; // flow table capacity per worker lcore
  std::uint32_t drain_timeout_seconds = 30; // SIGTERM: how long open connections may finish; 0: stop at once
  std::uint32_t send_buffer = 256 * 1024;   // bytes an app may queue per connection
  std::uint32_t send_budget = 4096;         // mbufs all send queues of one lcore may hold together
  std::uint16_t initial_window = 10;        // segments (RFC 6928)
  bool tail_loss_probe = true;              // RFC 8985 §7: probe a silent tail before the RTO
  std::uint32_t rto_min_ms = 200;           // RFC 6298 retransmission timeout floor
  std::uint32_t rto_initial_ms = 1000;      // before the first RTT sample (RFC 6298 §2.1)
  std::uint32_t rto_max_ms = 60'000;        // ceiling of the exponential back-off
  std::uint8_t max_retransmissions = 10;    // timeouts in a row before the connection is aborted
  std::uint32_t delayed_ack_ms = 40;        // longest an ACK waits for a second segment or data
  std::uint32_t time_wait_seconds = 60;     // TIME-WAIT duration (connections we closed first)
  std::uint16_t challenge_acks_per_second = 10;  // per connection (RFC 5961 §7)
  // mbufs per lcore for out-of-order data; when not in the file, port.mbufs / 8 (docs/tcp.md)
  std::uint32_t reassembly_budget = 16383 / 8;
  std::uint32_t challenge_acks_per_second_lcore = 1000;  // per worker lcore, token bucket; 0: none
  std::uint32_t rst_per_second = 1000;      // RSTs to segments of no connection, per lcore; 0: none
  syn_cookie_config syn_cookies;

  bool operator==(const tcp_config&) const = default;
};

struct stats_config {
  std::uint32_t interval_seconds = 0;       // 0: no periodic line
  // Prometheus text endpoint "a.b.c.d:port" (HTTP GET /metrics), served by the control thread on
  // a kernel socket; empty: off.
  std::string metrics_listen;

  bool operator==(const stats_config&) const = default;
};

struct engine_config {
  eal_config eal;
  port_config port;
  std::vector<listener_config> listeners;
  tcp_config tcp;
  stats_config stats;

  bool operator==(const engine_config&) const = default;
};

// Parses one YAML document. source_name appears in error messages ("config/default.yaml").
// Throws config_error naming the key and line for: an empty document or a YAML syntax error,
// unknown or repeated keys, wrong types (incl. quoted numbers), negative or out-of-range values,
// bad addresses, duplicate listener ports, an empty app name, `plugin` without `app: plugin` or
// the reverse, a missing `port` section or
// `port.ip`, and conflicting keys (mss > mtu - 40, auto_threshold > backlog_per_lcore, ...).
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
