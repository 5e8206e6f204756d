#pragma once
// The /rampart/* telemetry endpoints (rte_telemetry), served by DPDK's telemetry thread on
// /var/run/dpdk/<eal.file_prefix>/dpdk_telemetry.v2 (read with dpdk-telemetry.py -f <prefix>):
//   /rampart/stats             every event counter summed over workers, plus "drops": {reason: n}
//                              for every drop reason and "port": the driver's counters
//                              (ipackets opackets imissed ierrors rx_nombuf oerrors)
//   /rampart/lcore_stats,<id>  the same for one worker lcore (no id: {"lcores": [worker ids]})
//   /rampart/drops             {"nonzero": {reason: n}, "all": {reason: n}}
//   /rampart/port              name, driver, mac, ip, mtu, queues, descriptors, rss, rss_hf,
//                              tx_offloads, link, link_speed_mbps
//   /rampart/capture,<n>,<file>[,host=a.b.c.d][,port=p]
//                              starts writing the next n frames in and out to a new pcapng file
//                              (capture.hh); without parameters: the current capture's state
//   /rampart/cost              cost accounting since start: tsc_hz, uptime_cycles, workers,
//                              busy_cycles, busy_packets, busy_turns, busy_turns_interrupted,
//                              worker_cycles, worker_turns, worker_turns_interrupted,
//                              cycles_per_packet, busy_ppm, worker_busy_ppm
//   /rampart/connections[,remote=a.b.c.d][,rport=n][,lport=n][,state=name][,limit=n]
//                              the connections, asked of every worker (connection_listing.hh);
//                              rows and reply limits in connection_query.hh
//   /rampart/neighbours        every worker's next hops {lcore, ip, mac, age_ms, state}, asked
//                              of each worker (neighbour_mailbox.hh)
//   /rampart/resolve,<a.b.c.d> the next hop of an address, resolved on every worker (an ARP
//                              request when unknown); waits until each knows it or gave up
//   /rampart/listeners[,<port>] per listening port: {"<port>": {app, accepted, active, refused,
//                              bytes_in, bytes_out}}, summed over workers
//   /rampart/backends[,<port>] per backend of each proxy listener: {"<port>/<index>": {backend,
//                              connects, ..., draining}}, summed over workers
//   /rampart/backend_drain,<port>,<index>,on|off
//                              drains one backend (no new client; its connections finish on
//                              it) or puts it back, on every worker within a control tick
// The telemetry thread reads per-lcore counters (relaxed atomics) and the port_info, which is
// immutable once the port started, and the workers' route tables, immutable once built; it never
// touches a worker's other state (neighbours are asked of the worker).
#include <cstdint>
#include <span>

#include <vector>

#include "config/config.hh"
#include "engine/stats_report.hh"
#include "stats/counters.hh"

namespace rampart::engine {

class port;
struct worker;

class backend_drain_mailbox;
class capture_session;
class connection_lister;

struct telemetry_source {
  const port* served_port = nullptr;
  std::span<worker* const> workers;
  capture_session* capture = nullptr;
  std::uint64_t started_tsc = 0;  // rte_rdtsc() just before the workers launch: /rampart/cost
  connection_lister* lister = nullptr;  // /rampart/connections
  std::span<const config::listener_config> listeners;  // /rampart/listeners: index → port, app
  backend_drain_mailbox* backend_drains = nullptr;      // /rampart/backend_drain
};

// Registers the commands with rte_telemetry; call once, after rte_eal_init. Until attach, the
// commands answer an error (-ENODEV). Returns false when a registration failed (logged).
bool register_telemetry();

// Points the endpoints at `source`, which must outlive the matching detach_telemetry.
void attach_telemetry(const telemetry_source* source) noexcept;

// Stops the endpoints from reading `source` and waits until no request is still reading it.
void detach_telemetry() noexcept;

// Counters summed over the workers.
stats::snapshot total_of(std::span<worker* const> workers) noexcept;

// The mbufs of the workers' pools (each pool once): how many are held anywhere (queues, send
// queues, apps, caches), and how many there are. In use returns to its idle value once every
// connection is closed, so a leak shows as a climbing floor. /rampart/port and /metrics.
struct mbuf_usage {
  std::uint64_t in_use = 0;
  std::uint64_t total = 0;
};
mbuf_usage mbufs_of(std::span<worker* const> workers) noexcept;

// Every proxy backend's counters summed over the workers, by listener (`ports`: each listener's
// port, by index) then by its place in `backends`: /rampart/backends and the periodic line.
std::vector<backend_total> backend_totals(std::span<worker* const> workers, std::span<const std::uint16_t> ports);

}  // namespace rampart::engine
