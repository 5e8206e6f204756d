#pragma once
// The Prometheus text endpoint (stats.metrics_listen, docs/operations.md "Monitoring"):
// every event counter and drop reason per worker lcore, and the driver's counters, in the text
// exposition format 0.0.4, served over HTTP/1.1 by the control thread.
//
// Why a small hand-written responder and not Boost.Beast: the endpoint answers one GET, from the
// control lcore's loop, which must never block for long (it runs the drain, the key rotation and
// the signals). Beast's synchronous calls block on a slow client; its asynchronous ones need an
// io_context driven from that loop. Here every socket is non-blocking and one poll(2), bounded
// by the tick's remaining time, waits on the listening socket and every client at once: a
// client that trickles its request costs the loop nothing while it waits. At most max_clients
// are served at a time (the others wait in the kernel's backlog), and each gets request_budget
// from its accept to send its request head and read the answer. No DPDK: unit-tested over
// loopback.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hh"
#include "engine/port_health.hh"
#include "engine/stats_report.hh"
#include "stats/counters.hh"

namespace rampart::engine {

// One backend of a proxy listener on one lcore (app::backend_counters).
struct backend_sample {
  std::uint16_t listener = 0;  // the listening port
  std::string backend;         // "ADDRESS:PORT"
  stats::backend_snapshot counters;
};

struct lcore_sample {
  unsigned lcore = 0;
  stats::snapshot counters;
  std::vector<stats::listener_snapshot> listeners;  // by listener index, as `listener_ports`
  std::vector<backend_sample> backends;
};

// The exposition text: for each event counter `rampart_<name>_total` (TYPE counter; the
// tcp_connections_active gauge is `rampart_tcp_connections_active`, TYPE gauge) with one sample
// per lcore (label lcore), `rampart_drops_total{lcore,reason}` for every drop reason, and
// `rampart_port_<name>_total{port}` for each driver counter, and for each per-listener counter
// `rampart_listener_<name>_total{lcore,listener}` (listener: the listening port; `active` is the
// gauge `rampart_listener_active`), and for each per-backend counter of the lcores' backends
// `rampart_backend_<name>_total{lcore,listener,backend}` (gauges without `_total`); each family
// with HELP and TYPE.
std::string prometheus_text(std::span<const lcore_sample> lcores, const driver_counters& driver,
                            std::string_view port_name, std::span<const std::uint16_t> listener_ports = {});

// What the engine as a whole reports beside the counters.
struct engine_sample {
  std::string version;  // build_info (build_info.hh)
  std::string commit;
  std::string dpdk;
  std::uint64_t uptime_seconds = 0;
  std::optional<bool> link_up;  // nullopt: the driver cannot tell
  bool draining = false;        // a SIGTERM drain runs
  std::uint64_t mbufs_in_use = 0;  // mbufs_of (telemetry.hh)
  std::uint64_t mbufs_total = 0;
  std::string cookie_mode;  // tcp.syn_cookies.mode: always, auto or off
  std::uint64_t cookie_auto_threshold = 0;
  port_health_snapshot port;  // link changes and the port's restarts (port_health.hh)
};

// The engine's own families: `rampart_build_info{version,commit,dpdk} 1`,
// `rampart_uptime_seconds`, `rampart_link_up{port}` (1 up, 0 down; no sample when the driver
// cannot tell), `rampart_draining` (1 while a drain runs), `rampart_mbufs_in_use` and
// `rampart_mbufs_total`, `rampart_link_changes_total{port}`,
// `rampart_link_last_change_timestamp_seconds{port}` (no sample before the first change),
// `rampart_port_reconnect_attempts_total{port}`, `rampart_port_reconnects_total{port}`,
// `rampart_port_resets_total{port,outcome}` (done, failed), `rampart_syn_cookie_mode{mode} 1` and `rampart_syn_cookie_auto_threshold`
// (which, with each lcore's tcp_syn_backlog_active and tcp_syncookies_in_force, says whether
// SYNs get cookies now and how close the backlog is), each a gauge with HELP and TYPE.
std::string prometheus_engine_text(const engine_sample& engine, std::string_view port_name);

// What one request gets, from its head ("GET /metrics HTTP/1.1\r\n...\r\n\r\n"): status line,
// headers and body, Connection: close. GET/HEAD /metrics → 200 with body(); other paths → 404;
// other methods → 405; a head that is not HTTP/1.x → 400.
std::string http_response(std::string_view request_head, const std::function<std::string()>& body);

class metrics_server {
 public:
  // Binds and listens (SO_REUSEADDR, non-blocking). Throws startup_error (exit 1) naming the
  // address and the reason (address in use, not local, permission).
  explicit metrics_server(const config::listen_address& where);
  ~metrics_server();
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  // Serves for `wait`, then returns: accepts connections while fewer than max_clients are open,
  // reads each one's request head, answers it (one request per connection) and closes it. A
  // client still open when `wait` ends is carried on by the next call; one whose request_budget
  // has passed is closed, answered or not.
  void serve_for(std::chrono::milliseconds wait, const std::function<std::string()>& body);

  std::uint16_t port() const noexcept { return _port; }  // the bound port (tests bind port 0)
  std::size_t clients() const noexcept { return _clients.size(); }

  static constexpr std::chrono::milliseconds request_budget{500};
  static constexpr std::size_t max_clients = 8;

 private:
  struct client {
    int fd;
    std::chrono::steady_clock::time_point give_up;
    std::string head;      // what it sent, until the blank line ends the head
    std::string response;  // empty while the head is incomplete
    std::size_t sent = 0;
  };
  // Moves the client on by what its socket allows now; false once it is done with (answered,
  // gone, or out of time).
  bool progress(client& c, short revents, const std::function<std::string()>& body);

  int _fd = -1;
  std::uint16_t _port = 0;
  std::vector<client> _clients;
};

}  // namespace rampart::engine
