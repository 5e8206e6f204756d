#pragma once
// The one DPDK port rampart serves: find it, size its mempools, configure queues / RSS /
// offloads / MTU / MAC from a port_plan, start, stop. EAL must be running. Every failure is a
// startup_error naming cause and fix.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hh"
#include "engine/link_state.hh"
#include "engine/port_health.hh"
#include "engine/port_plan.hh"
#include "engine/reply_steering.hh"
#include "engine/stats_report.hh"
#include "net/addresses.hh"
#include "pipeline/pipeline.hh"

struct rte_mempool;

namespace rampart::engine {

// What the port ended up with; read-only once the port started (telemetry reads it).
struct port_info {
  std::uint16_t port_id = 0;
  std::string name;                // "net_tap0", "0000:3b:00.0"
  std::string driver;              // "net_tap"
  net::mac_address mac;            // the MAC in use (port.mac if configured)
  net::ipv4_interface_address ip;
  std::optional<pipeline::ipv6_identity> ipv6;  // port.ipv6 and the link-local of `mac` (after start)
  std::uint16_t mtu = 0;
  std::uint16_t rx_descriptors = 0;
  std::uint16_t tx_descriptors = 0;
  int socket_id = 0;               // the port's NUMA socket (-1: unknown)
  std::uint32_t if_index = 0;      // the kernel interface behind the port (net_tap), 0: none
  port_plan plan;
  reply_steering steering;         // how replies to active opens reach their worker (after start)
};

class port {
 public:
  // Finds the port (port.device by name, else port 0), plans it for `worker_lcores` (queue i is
  // polled by worker_lcores[i]), creates one mempool per NUMA socket of those lcores, configures
  // and sets up the queues, applies port.mac and the MTU, turns promiscuous mode off.
  // Throws startup_error: no port at all, device not found (lists the ports that exist), too
  // few queues, MTU refused, pool creation or any ethdev call failing (with rte_strerror).
  port(const config::port_config& cfg, std::span<const unsigned> worker_lcores);
  ~port();
  port(const port&) = delete;
  port& operator=(const port&) = delete;

  // rte_eth_dev_start, then reads back the MAC and, with RSS, the key and redirection table the
  // driver uses (info().steering); with port.ipv6, derives the link-local address from the MAC
  // and joins the multicast groups IPv6 needs (join_ipv6_groups). Throws startup_error.
  void start();
  // With the workers paused (port_restart.hh): rte_eth_dev_stop (when started) and
  // rte_eth_dev_start, which is where a net_memif client connects to its server. Returns the
  // error, nullopt when the port started.
  std::optional<std::string> restart() noexcept;
  // With the workers paused: rte_eth_dev_reset, then what the constructor and start() applied
  // (configuration, queues on the same pools, MAC, promiscuous mode) and a start. Returns the
  // error, nullopt when the port started.
  std::optional<std::string> reset() noexcept;
  // rte_eth_dev_stop + rte_eth_dev_close; idempotent. Call after the workers returned.
  void stop_and_close() noexcept;

  const port_info& info() const noexcept { return _info; }
  // The pool worker_lcores[i] draws from.
  rte_mempool* pool_for_lcore(unsigned lcore_id) const;
  link_state link() const noexcept;
  // Whether the driver raises link status change interrupts (intr_conf.lsc was set).
  bool lsc_interrupt() const noexcept { return _lsc_interrupt; }
  // The link's and the restarts' record (port_events.hh writes it).
  port_health& health() noexcept { return _health; }
  const port_health& health() const noexcept { return _health; }
  // rte_eth_stats_get; all zero when the driver cannot tell. Any thread (the control lcore and
  // telemetry read it while the workers run, as DPDK's own /ethdev/stats does).
  driver_counters driver_stats() const noexcept;

 private:
  // The steps of the constructor and start() that a reset repeats. Each throws startup_error.
  void configure_device();
  void setup_queues();
  void apply_mac();
  void start_device();
  // With info().ipv6: lets the all-nodes group and both addresses' solicited-node groups through
  // the port's multicast filter, or turns all-multicast mode on where the driver has no filter.
  // Logs which; a port that can do neither is warned about (it may still pass them).
  void join_ipv6_groups() noexcept;

  port_info _info;
  config::port_config _cfg;
  std::vector<unsigned> _worker_lcores;  // queue i is polled by _worker_lcores[i]
  bool _lsc_interrupt = false;
  rss_readback _rss_at_start;  // what the reply steering was planned with
  port_health _health;
  std::map<int, rte_mempool*> _pools;  // by NUMA socket
  std::optional<net::mac_address> _software_mac;  // port.mac the driver could not apply
  bool _started = false;
  bool _closed = false;
};

// Logs what the port ended up with (name, driver, MAC, IP, IPv6 addresses, MTU, queues, RSS and its key and
// RETA sizes, reply steering, checksum offloads) and the plan's and the steering's warnings.
void log_port(const port_info& info);

}  // namespace rampart::engine
