#pragma once
// Text forms of the counters for the console: the periodic line and the final report printed
// at shutdown (and on SIGUSR1). Names are exactly those of counters.hh and drop_reason.hh (drops
// prefixed "drop."), the same keys telemetry uses, so logs and /rampart/stats grep alike; the
// driver's own counters (rte_eth_stats) are prefixed "port.".
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/link_state.hh"
#include "stats/counters.hh"

namespace rampart::engine {

// X(name, description): the ethdev counters (struct rte_eth_stats) shown beside rampart's.
// docs/stats.md, "Driver counters", documents each.
#define RAMPART_DRIVER_COUNTERS(X)                                                                 \
  X(ipackets, "frames the driver received and handed to rampart")                                  \
  X(opackets, "frames the driver reports sent")                                                    \
  X(imissed, "frames the NIC dropped because the RX ring was full (rampart too slow)")             \
  X(ierrors, "frames the driver dropped as erroneous (bad CRC, too long for the RX buffers, ...)")  \
  X(rx_nombuf, "RX refills that failed for want of mbufs")                                         \
  X(oerrors, "frames the driver accepted but failed to send")

struct driver_counters {
#define RAMPART_X(name, description) std::uint64_t name = 0;
  RAMPART_DRIVER_COUNTERS(RAMPART_X)
#undef RAMPART_X
};

// Every event counter, "name value", then each non-zero drop reason, "drop.name value", then
// every driver counter, "port.name value"; one entry per line, in declaration order.
std::vector<std::string> final_report_lines(const stats::snapshot& total, const driver_counters& driver);

// Logs `heading` ("final counters:"), then each of final_report_lines indented.
void log_counters(std::string_view heading, const stats::snapshot& total, const driver_counters& driver);

// The change over one interval [previous, current] of `seconds` (> 0); the log line's own time
// stamp (log.hh) says when it ended:
// "stats +5.0s: rx +1200 pkt (240 pps) tx +1100 pkt (220 pps) consumed +90
//  dropped +10 [drop.eth_not_for_us +10] port: imissed +0 ierrors +0 rx_nombuf +0 oerrors +0;
//  connections 3"
// Deltas, not totals; drops only those that moved; rates are integers (floor); connections is
// the tcp_connections_active gauge now.
std::string periodic_line(const stats::snapshot& current, const stats::snapshot& previous,
                          const driver_counters& driver_now, const driver_counters& driver_before,
                          double seconds);

// One backend of a proxy listener with its counters summed over the workers.
struct backend_total {
  std::uint16_t port = 0;  // the listener's
  std::string key;      // "8080/0": the listener's port and the backend's place in its `backends`
  std::string address;  // "10.0.0.5:80"
  stats::backend_snapshot counters;
};

// The backends' part of the periodic line, appended to it; empty without backends:
// "; backends [8080/0 10.0.0.5:80 open 2 connects +5 failed +1, 8080/1 10.0.0.6:80 open 0
//  connects +0 failed +0 down draining]"
// open is the gauge now; connects and failed (connect_failures + connect_timeouts) are deltas;
// "down" when no lcore's checks count the backend up, "draining" while it drains, "removed" once
// a SIGHUP took it out of `backends`. `previous` is matched by key (a SIGHUP may have added
// backends since); a backend it lacks counts from zero.
std::string backends_part(std::span<const backend_total> current, std::span<const backend_total> previous);

// The stats line's link part: "; link up, 0 changes" ("down", "unknown"): the state last
// observed and the changes since start (port_health.hh).
std::string link_part(const link_state& link, std::uint64_t changes);

// What a SIGTERM drain waits for: the connections in the tables that are not in TIME-WAIT
// (tcp_connections_active - tcp_time_wait_active, never below 0: the two gauges of a sum are
// read at slightly different instants). TIME-WAIT entries need no app and no peer any more.
std::uint64_t connections_to_drain(const stats::snapshot& total) noexcept;

}  // namespace rampart::engine
