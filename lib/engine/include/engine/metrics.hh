#pragma once
// The Prometheus text endpoint (stats.metrics_listen, docs/operations.md "Monitoring"):
// every event counter and drop reason per worker lcore, and the driver's counters, in the text
// exposition format 0.0.4, served over HTTP/1.1 by the control thread.
//
// Why a small hand-written responder and not Boost.Beast: the endpoint answers one GET, from the
// control lcore's loop, which must never block for long (it runs the drain, the key rotation and
// the signals). Beast's synchronous calls block on a slow client; its asynchronous ones need an
// io_context driven from that loop. Here a poll(2) with the tick's remaining time waits for a
// connection, each connection gets a bounded budget (request_budget) for its request head, and
// the response is written with a send timeout. No DPDK: unit-tested over loopback.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hh"
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

  // Waits up to `wait` for connections and answers each (one request per connection); returns
  // once `wait` has passed. A connection that has not sent its request head within
  // request_budget is closed unanswered.
  void serve_for(std::chrono::milliseconds wait, const std::function<std::string()>& body);

  std::uint16_t port() const noexcept { return _port; }  // the bound port (tests bind port 0)

  static constexpr std::chrono::milliseconds request_budget{500};

 private:
  void answer(int client, const std::function<std::string()>& body);

  int _fd = -1;
  std::uint16_t _port = 0;
};

}  // namespace rampart::engine
