#include "engine/metrics.hh"
#include "engine/startup_error.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace rampart;
using namespace rampart::engine;

namespace {

std::string body() { return "# HELP x y\n# TYPE x counter\nx_total 1\n"; }

int connect_loopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  return fd;
}

// One request over loopback to a server answering from another thread.
std::string exchange(metrics_server& server, const std::string& request) {
  std::thread serving([&] { server.serve_for(std::chrono::milliseconds(800), body); });
  const int fd = connect_loopback(server.port());
  REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    response.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  serving.join();
  return response;
}

}  // namespace

TEST_CASE("metrics: every counter family with HELP, TYPE and one sample per lcore", "[unit][engine]") {
  lcore_sample a{1, {}};
  a.counters.rx_packets = 10;
  a.counters.tcp_connections_active = 3;
  a.counters.drops[static_cast<std::size_t>(stats::drop_reason::ipv4_fragment)] = 2;
  lcore_sample b{2, {}};
  b.counters.rx_packets = 5;
  driver_counters d;
  d.imissed = 7;
  const std::vector<lcore_sample> lcores{a, b};
  const std::string text = prometheus_text(lcores, d, "net_\"tap\"0");
  CHECK(text.starts_with("# HELP rampart_rx_packets_total frames received\n# TYPE rampart_rx_packets_total counter\n"
                         "rampart_rx_packets_total{lcore=\"1\"} 10\nrampart_rx_packets_total{lcore=\"2\"} 5\n"));
  CHECK(text.find("# TYPE rampart_tcp_connections_active gauge\nrampart_tcp_connections_active{lcore=\"1\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("rampart_drops_total{lcore=\"1\",reason=\"ipv4_fragment\"} 2\n") != std::string::npos);
  CHECK(text.find("rampart_drops_total{lcore=\"2\",reason=\"rx_oversized\"} 0\n") != std::string::npos);
  CHECK(text.find("# TYPE rampart_port_imissed_total counter\nrampart_port_imissed_total{port=\"net_\\\"tap\\\"0\"} 7\n") !=
        std::string::npos);
  std::size_t helps = 0;
  for (std::size_t at = 0; (at = text.find("# HELP ", at)) != std::string::npos; ++at) {
    ++helps;
  }
  CHECK(helps == stats::event_counter_count + 1 + 6);
}

TEST_CASE("metrics: per-listener families, labelled by lcore and listening port", "[unit][engine]") {
  lcore_sample a{1, {}, std::vector<stats::listener_snapshot>(2)};
  a.listeners[0].accepted = 4;
  a.listeners[1].active = 2;
  a.listeners[1].bytes_out = 1234;
  lcore_sample b{2, {}, std::vector<stats::listener_snapshot>(2)};
  b.listeners[0].refused = 9;
  const std::vector<lcore_sample> lcores{a, b};
  const std::vector<std::uint16_t> ports{80, 7};
  const std::string text = prometheus_text(lcores, {}, "p", ports);
  CHECK(text.find("# TYPE rampart_listener_accepted_total counter\n"
                  "rampart_listener_accepted_total{lcore=\"1\",listener=\"80\"} 4\n"
                  "rampart_listener_accepted_total{lcore=\"1\",listener=\"7\"} 0\n"
                  "rampart_listener_accepted_total{lcore=\"2\",listener=\"80\"} 0\n") != std::string::npos);
  CHECK(text.find("# TYPE rampart_listener_active gauge\nrampart_listener_active{lcore=\"1\",listener=\"80\"} 0\n"
                  "rampart_listener_active{lcore=\"1\",listener=\"7\"} 2\n") != std::string::npos);
  CHECK(text.find("rampart_listener_refused_total{lcore=\"2\",listener=\"80\"} 9\n") != std::string::npos);
  CHECK(text.find("rampart_listener_bytes_out_total{lcore=\"1\",listener=\"7\"} 1234\n") != std::string::npos);
  CHECK(text.find("# HELP rampart_listener_bytes_in_total per listening port: ") != std::string::npos);
  // Without listeners, no listener family (an engine that only answers ARP and ping).
  CHECK(prometheus_text(lcores, {}, "p").find("rampart_listener_") == std::string::npos);
}

TEST_CASE("metrics: per-backend families, labelled by lcore, listener and backend", "[unit][engine]") {
  lcore_sample a{1, {}, {}, {{8080, "10.0.0.5:80", {}}, {8080, "10.0.0.6:80", {}}}};
  a.backends[0].counters.connects = 7;
  a.backends[1].counters.open = 3;
  const std::vector<lcore_sample> lcores{a, lcore_sample{2, {}, {}, {}}};
  const std::string text = prometheus_text(lcores, {}, "p", std::vector<std::uint16_t>{8080});
  CHECK(text.find("# TYPE rampart_backend_connects_total counter\n"
                  "rampart_backend_connects_total{lcore=\"1\",listener=\"8080\",backend=\"10.0.0.5:80\"} 7\n"
                  "rampart_backend_connects_total{lcore=\"1\",listener=\"8080\",backend=\"10.0.0.6:80\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE rampart_backend_open gauge\n") != std::string::npos);
  CHECK(text.find("rampart_backend_open{lcore=\"1\",listener=\"8080\",backend=\"10.0.0.6:80\"} 3\n") !=
        std::string::npos);
  // No proxy listener, no backend family.
  CHECK(prometheus_text(std::vector<lcore_sample>{lcore_sample{2, {}, {}, {}}}, {}, "p").find("rampart_backend_") ==
        std::string::npos);
}

TEST_CASE("metrics: the engine's own families", "[unit][engine]") {
  engine_sample engine{"0.1.0", "994d2f1abcde", "DPDK 22.11.4", 75, true, false, 300, 16383, "auto", 768, {}};
  CHECK(prometheus_engine_text(engine, "net_tap0") ==
        "# HELP rampart_build_info rampart's version, the commit it was built from and the DPDK it runs on (value 1)\n"
        "# TYPE rampart_build_info gauge\n"
        "rampart_build_info{version=\"0.1.0\",commit=\"994d2f1abcde\",dpdk=\"DPDK 22.11.4\"} 1\n"
        "# HELP rampart_uptime_seconds seconds since the engine started\n"
        "# TYPE rampart_uptime_seconds gauge\n"
        "rampart_uptime_seconds 75\n"
        "# HELP rampart_link_up 1 while the port's link is up, 0 while down; no sample when the driver cannot tell\n"
        "# TYPE rampart_link_up gauge\n"
        "rampart_link_up{port=\"net_tap0\"} 1\n"
        "# HELP rampart_link_changes_total changes of the port's link between up, down and unknown since start\n"
        "# TYPE rampart_link_changes_total counter\n"
        "rampart_link_changes_total{port=\"net_tap0\"} 0\n"
        "# HELP rampart_link_last_change_timestamp_seconds Unix time of the last link change; no sample before the "
        "first\n"
        "# TYPE rampart_link_last_change_timestamp_seconds gauge\n"
        "# HELP rampart_port_reconnect_attempts_total port restarts made to reconnect a memif client whose link is "
        "down\n"
        "# TYPE rampart_port_reconnect_attempts_total counter\n"
        "rampart_port_reconnect_attempts_total{port=\"net_tap0\"} 0\n"
        "# HELP rampart_port_reconnects_total outages of a memif client's link ended by a reconnect attempt\n"
        "# TYPE rampart_port_reconnects_total counter\n"
        "rampart_port_reconnects_total{port=\"net_tap0\"} 0\n"
        "# HELP rampart_port_resets_total port resets the driver asked for (RTE_ETH_EVENT_INTR_RESET), by outcome\n"
        "# TYPE rampart_port_resets_total counter\n"
        "rampart_port_resets_total{port=\"net_tap0\",outcome=\"done\"} 0\n"
        "rampart_port_resets_total{port=\"net_tap0\",outcome=\"failed\"} 0\n"
        "# HELP rampart_draining 1 while a SIGTERM drain runs (new SYNs are dropped)\n"
        "# TYPE rampart_draining gauge\n"
        "rampart_draining 0\n"
        "# HELP rampart_syn_cookie_mode tcp.syn_cookies.mode as a label; whether cookies are in force now: "
        "rampart_tcp_syncookies_in_force\n"
        "# TYPE rampart_syn_cookie_mode gauge\n"
        "rampart_syn_cookie_mode{mode=\"auto\"} 1\n"
        "# HELP rampart_syn_cookie_auto_threshold auto mode: half-open entries of a worker's backlog past which its "
        "SYNs get cookies\n"
        "# TYPE rampart_syn_cookie_auto_threshold gauge\n"
        "rampart_syn_cookie_auto_threshold 768\n"
        "# HELP rampart_mbufs_in_use mbufs of the workers' pools held anywhere; back at its idle value once every "
        "connection is closed\n"
        "# TYPE rampart_mbufs_in_use gauge\n"
        "rampart_mbufs_in_use 300\n"
        "# HELP rampart_mbufs_total mbufs in the workers' pools\n"
        "# TYPE rampart_mbufs_total gauge\n"
        "rampart_mbufs_total 16383\n");
  engine.link_up = false;
  engine.draining = true;
  const std::string down = prometheus_engine_text(engine, "net_tap0");
  CHECK(down.find("rampart_link_up{port=\"net_tap0\"} 0\n") != std::string::npos);
  CHECK(down.find("rampart_draining 1\n") != std::string::npos);
  engine.link_up.reset();
  CHECK(prometheus_engine_text(engine, "net_tap0").find("rampart_link_up{") == std::string::npos);

  engine.port.link_changes = 3;
  engine.port.last_link_change = std::chrono::system_clock::time_point{} + std::chrono::seconds(1765000000);
  engine.port.reconnect_attempts = 7;
  engine.port.reconnects = 2;
  engine.port.device_resets = 1;
  engine.port.device_reset_failures = 4;
  const std::string changed = prometheus_engine_text(engine, "net_memif0");
  for (const char* line : {"rampart_link_changes_total{port=\"net_memif0\"} 3\n",
                           "rampart_link_last_change_timestamp_seconds{port=\"net_memif0\"} 1765000000\n",
                           "rampart_port_reconnect_attempts_total{port=\"net_memif0\"} 7\n",
                           "rampart_port_reconnects_total{port=\"net_memif0\"} 2\n",
                           "rampart_port_resets_total{port=\"net_memif0\",outcome=\"done\"} 1\n",
                           "rampart_port_resets_total{port=\"net_memif0\",outcome=\"failed\"} 4\n"}) {
    CHECK(changed.find(line) != std::string::npos);
  }
}

TEST_CASE("metrics: HTTP answers", "[unit][engine]") {
  const std::string ok = http_response("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body);
  CHECK(ok == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
                  std::to_string(body().size()) + "\r\nConnection: close\r\n\r\n" + body());
  CHECK(http_response("GET /metrics?x=1 HTTP/1.0\r\n\r\n", body).starts_with("HTTP/1.1 200 OK"));
  const std::string head = http_response("HEAD /metrics HTTP/1.1\r\n\r\n", body);
  CHECK(head.ends_with("Connection: close\r\n\r\n"));
  CHECK(http_response("GET / HTTP/1.1\r\n\r\n", body).starts_with("HTTP/1.1 404 Not Found"));
  CHECK(http_response("POST /metrics HTTP/1.1\r\n\r\n", body).find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(http_response("hello\r\n\r\n", body).starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(http_response("GET /metrics SSH-2.0\r\n\r\n", body).starts_with("HTTP/1.1 400"));
}

TEST_CASE("metrics: served over loopback; a silent client is dropped", "[unit][engine]") {
  metrics_server server({net::ipv4_address{0x7f000001}, 0});
  REQUIRE(server.port() != 0);
  const std::string response = exchange(server, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(response.ends_with("\r\n\r\n" + body()));

  // A client that connects and says nothing costs the caller nothing beyond its own wait, and is
  // closed once request_budget has passed.
  const int fd = connect_loopback(server.port());
  const auto start = std::chrono::steady_clock::now();
  server.serve_for(std::chrono::milliseconds(100), body);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300));
  CHECK(server.clients() == 1);
  while (server.clients() != 0 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    server.serve_for(std::chrono::milliseconds(100), body);
  }
  const auto spent = std::chrono::steady_clock::now() - start;
  CHECK(spent >= metrics_server::request_budget);
  CHECK(spent < metrics_server::request_budget + std::chrono::milliseconds(400));
  char c = 0;
  CHECK(recv(fd, &c, 1, 0) == 0);  // closed, nothing sent
  close(fd);
}

TEST_CASE("metrics: a client trickling its request does not hold up another", "[unit][engine]") {
  metrics_server server({net::ipv4_address{0x7f000001}, 0});
  const int slow = connect_loopback(server.port());
  REQUIRE(send(slow, "GET /met", 8, 0) == 8);
  server.serve_for(std::chrono::milliseconds(50), body);
  REQUIRE(server.clients() == 1);
  const std::string response = exchange(server, "GET /metrics HTTP/1.1\r\n\r\n");
  CHECK(response.ends_with("\r\n\r\n" + body()));
  close(slow);
}

TEST_CASE("metrics: at most max_clients at a time; the rest wait in the backlog", "[unit][engine]") {
  metrics_server server({net::ipv4_address{0x7f000001}, 0});
  std::vector<int> silent;
  for (std::size_t i = 0; i < metrics_server::max_clients + 2; ++i) {
    silent.push_back(connect_loopback(server.port()));
  }
  server.serve_for(std::chrono::milliseconds(50), body);
  CHECK(server.clients() == metrics_server::max_clients);
  for (const int fd : silent) {
    close(fd);
  }
  // The closed ones are let go, and those from the backlog taken and let go in turn.
  for (int i = 0; i < 10 && server.clients() != 0; ++i) {
    server.serve_for(std::chrono::milliseconds(50), body);
  }
  CHECK(server.clients() == 0);
}

TEST_CASE("metrics: an address in use is named", "[unit][engine]") {
  metrics_server first({net::ipv4_address{0x7f000001}, 0});
  try {
    metrics_server second({net::ipv4_address{0x7f000001}, first.port()});
    FAIL("bound twice");
  } catch (const startup_error& e) {
    CHECK(std::string(e.what()) == "stats.metrics_listen \"127.0.0.1:" + std::to_string(first.port()) +
                                       "\": cannot listen: Address already in use (another process has this port: "
                                       "choose another one)");
  }
}
