#include "engine/metrics.hh"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/startup_error.hh"

namespace rampart::engine {

namespace {

constexpr std::size_t max_request_head = 8192;

// HELP text escaping (exposition format: backslash and newline).
std::string help_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Label value escaping: backslash, double quote, newline.
std::string label_value(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void family(std::string& out, const std::string& name, std::string_view help, const char* type) {
  out += "# HELP " + name + " " + help_text(help) + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name, const std::string& labels, std::uint64_t value) {
  out += name + "{" + labels + "} " + std::to_string(value) + "\n";
}

std::string lcore_label(unsigned lcore) { return "lcore=\"" + std::to_string(lcore) + "\""; }

std::string status_response(const char* status, std::string_view body, std::string_view extra_headers = {}) {
  return std::string("HTTP/1.1 ") + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "Connection: close\r\n\r\n" +
         std::string(body);
}

}  // namespace

std::string prometheus_text(std::span<const lcore_sample> lcores, const driver_counters& driver,
                            std::string_view port_name, std::span<const std::uint16_t> listener_ports) {
  std::string out;
  out.reserve(64 * 1024);
  // Event counters; the X-macro marks gauges with a description starting "gauge:".
#define RAMPART_X(counter_name, description)                                                     \
  {                                                                                              \
    const bool gauge = std::string_view(description).starts_with("gauge:");                     \
    const std::string name = std::string("rampart_") + #counter_name + (gauge ? "" : "_total");  \
    family(out, name, description, gauge ? "gauge" : "counter");                                 \
    for (const lcore_sample& l : lcores) {                                                       \
      sample(out, name, lcore_label(l.lcore), l.counters.counter_name);                          \
    }                                                                                            \
  }
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  family(out, "rampart_drops_total", "frames dropped, by reason (docs/stats.md)", "counter");
  for (const lcore_sample& l : lcores) {
    for (std::size_t i = 0; i < stats::drop_reason_count; ++i) {
      sample(out, "rampart_drops_total",
             lcore_label(l.lcore) + ",reason=\"" + std::string(stats::drop_reason_names[i]) + "\"", l.counters.drops[i]);
    }
  }
  const std::string port_label = "port=\"" + label_value(port_name) + "\"";
#define RAMPART_X(counter_name, description)                                   \
  family(out, "rampart_port_" #counter_name "_total", description, "counter"); \
  sample(out, "rampart_port_" #counter_name "_total", port_label, driver.counter_name);
  RAMPART_DRIVER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  if (listener_ports.empty()) {
    return out;
  }
#define RAMPART_X(counter_name, description)                                                              \
  {                                                                                                       \
    const bool gauge = std::string_view(description).starts_with("gauge:");                              \
    const std::string name = std::string("rampart_listener_") + #counter_name + (gauge ? "" : "_total");  \
    family(out, name, std::string("per listening port: ") + description, gauge ? "gauge" : "counter");   \
    for (const lcore_sample& l : lcores) {                                                                \
      for (std::size_t i = 0; i < listener_ports.size() && i < l.listeners.size(); ++i) {                 \
        sample(out, name, lcore_label(l.lcore) + ",listener=\"" + std::to_string(listener_ports[i]) + "\"", \
               l.listeners[i].counter_name);                                                              \
      }                                                                                                   \
    }                                                                                                     \
  }
  RAMPART_LISTENER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  bool any_backend = false;
  for (const lcore_sample& l : lcores) {
    any_backend = any_backend || !l.backends.empty();
  }
  if (!any_backend) {
    return out;
  }
#define RAMPART_X(counter_name, description)                                                             \
  {                                                                                                      \
    const bool gauge = std::string_view(description).starts_with("gauge:");                             \
    const std::string name = std::string("rampart_backend_") + #counter_name + (gauge ? "" : "_total");  \
    family(out, name, std::string("per proxy backend: ") + description, gauge ? "gauge" : "counter");   \
    for (const lcore_sample& l : lcores) {                                                               \
      for (const backend_sample& b : l.backends) {                                                       \
        sample(out, name,                                                                                \
               lcore_label(l.lcore) + ",listener=\"" + std::to_string(b.listener) + "\",backend=\"" +     \
                   label_value(b.backend) + "\"",                                                        \
               b.counters.counter_name);                                                                 \
      }                                                                                                  \
    }                                                                                                    \
  }
  RAMPART_BACKEND_COUNTERS(RAMPART_X)
#undef RAMPART_X
  return out;
}

std::string prometheus_engine_text(const engine_sample& engine, std::string_view port_name) {
  std::string out;
  family(out, "rampart_build_info", "rampart's version, the commit it was built from and the DPDK it runs on (value 1)",
         "gauge");
  sample(out, "rampart_build_info",
         "version=\"" + label_value(engine.version) + "\",commit=\"" + label_value(engine.commit) + "\",dpdk=\"" +
             label_value(engine.dpdk) + "\"",
         1);
  family(out, "rampart_uptime_seconds", "seconds since the engine started", "gauge");
  out += "rampart_uptime_seconds " + std::to_string(engine.uptime_seconds) + "\n";
  family(out, "rampart_link_up", "1 while the port's link is up, 0 while down; no sample when the driver cannot tell",
         "gauge");
  if (engine.link_up) {
    sample(out, "rampart_link_up", "port=\"" + label_value(port_name) + "\"", *engine.link_up ? 1 : 0);
  }
  const std::string port_label = "port=\"" + label_value(port_name) + "\"";
  family(out, "rampart_link_changes_total", "changes of the port's link between up, down and unknown since start",
         "counter");
  sample(out, "rampart_link_changes_total", port_label, engine.port.link_changes);
  family(out, "rampart_link_last_change_timestamp_seconds",
         "Unix time of the last link change; no sample before the first", "gauge");
  if (engine.port.last_link_change) {
    sample(out, "rampart_link_last_change_timestamp_seconds", port_label,
           static_cast<std::uint64_t>(
               std::chrono::duration_cast<std::chrono::seconds>(engine.port.last_link_change->time_since_epoch()).count()));
  }
  family(out, "rampart_port_reconnect_attempts_total",
         "port restarts made to reconnect a memif client whose link is down", "counter");
  sample(out, "rampart_port_reconnect_attempts_total", port_label, engine.port.reconnect_attempts);
  family(out, "rampart_port_reconnects_total", "outages of a memif client's link ended by a reconnect attempt",
         "counter");
  sample(out, "rampart_port_reconnects_total", port_label, engine.port.reconnects);
  family(out, "rampart_port_resets_total", "port resets the driver asked for (RTE_ETH_EVENT_INTR_RESET), by outcome",
         "counter");
  sample(out, "rampart_port_resets_total", port_label + ",outcome=\"done\"", engine.port.device_resets);
  sample(out, "rampart_port_resets_total", port_label + ",outcome=\"failed\"", engine.port.device_reset_failures);
  family(out, "rampart_draining", "1 while a SIGTERM drain runs (new SYNs are dropped)", "gauge");
  out += std::string("rampart_draining ") + (engine.draining ? "1" : "0") + "\n";
  family(out, "rampart_syn_cookie_mode",
         "tcp.syn_cookies.mode as a label; whether cookies are in force now: rampart_tcp_syncookies_in_force",
         "gauge");
  sample(out, "rampart_syn_cookie_mode", "mode=\"" + label_value(engine.cookie_mode) + "\"", 1);
  family(out, "rampart_syn_cookie_auto_threshold",
         "auto mode: half-open entries of a worker's backlog past which its SYNs get cookies", "gauge");
  out += "rampart_syn_cookie_auto_threshold " + std::to_string(engine.cookie_auto_threshold) + "\n";
  family(out, "rampart_mbufs_in_use",
         "mbufs of the workers' pools held anywhere; back at its idle value once every connection is closed",
         "gauge");
  out += "rampart_mbufs_in_use " + std::to_string(engine.mbufs_in_use) + "\n";
  family(out, "rampart_mbufs_total", "mbufs in the workers' pools", "gauge");
  out += "rampart_mbufs_total " + std::to_string(engine.mbufs_total) + "\n";
  return out;
}

std::string http_response(std::string_view head, const std::function<std::string()>& body) {
  const std::size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (line_end == std::string_view::npos || sp2 == std::string_view::npos ||
      !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
    return status_response("400 Bad Request", "rampart: expected an HTTP/1.x request line\n");
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD") {
    return status_response("405 Method Not Allowed", "rampart: only GET and HEAD\n", "Allow: GET, HEAD\r\n");
  }
  if (target != "/metrics") {
    return status_response("404 Not Found", "rampart: the metrics are at /metrics\n");
  }
  const std::string text = body();
  std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                         "Content-Length: " + std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n";
  if (method == "GET") {
    response += text;
  }
  return response;
}

metrics_server::metrics_server(const config::listen_address& where) {
  const std::string name = net::ipv4_address(where.address).to_string() + ":" + std::to_string(where.port);
  _fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (_fd < 0) {
    throw startup_error(exit_code::runtime_failure, "stats.metrics_listen: socket: " + std::string(std::strerror(errno)));
  }
  const int one = 1;
  setsockopt(_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(where.port);
  sa.sin_addr.s_addr = htonl(where.address.value);
  if (bind(_fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 || listen(_fd, 16) != 0) {
    const int err = errno;
    close(_fd);
    _fd = -1;
    throw startup_error(exit_code::runtime_failure,
                        "stats.metrics_listen \"" + name + "\": cannot listen: " + std::strerror(err) +
                            (err == EADDRINUSE ? " (another process has this port: choose another one)"
                             : err == EADDRNOTAVAIL ? " (not an address of this host: use 127.0.0.1 or one of its own)"
                                                    : ""));
  }
  socklen_t len = sizeof sa;
  getsockname(_fd, reinterpret_cast<sockaddr*>(&sa), &len);
  _port = ntohs(sa.sin_port);
}

metrics_server::~metrics_server() {
  for (const client& c : _clients) {
    close(c.fd);
  }
  if (_fd >= 0) {
    close(_fd);
  }
}

void metrics_server::serve_for(std::chrono::milliseconds wait, const std::function<std::string()>& body) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + wait;
  std::vector<pollfd> fds;
  for (;;) {
    const auto now = clock::now();
    std::erase_if(_clients, [&](const client& c) {
      if (now >= c.give_up) {
        close(c.fd);  // a client that does not send its request, or read the answer, in time gets no more
        return true;
      }
      return false;
    });
    if (now >= deadline) {
      return;
    }
    auto wake = deadline;
    fds.clear();
    // Full: new connections wait in the listen backlog until a client is done with.
    fds.push_back({_fd, static_cast<short>(_clients.size() < max_clients ? POLLIN : 0), 0});
    for (const client& c : _clients) {
      fds.push_back({c.fd, static_cast<short>(c.response.empty() ? POLLIN : POLLOUT), 0});
      wake = std::min(wake, c.give_up);
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) {
      continue;  // timeout (deadlines are checked above) or EINTR (a signal: go on)
    }
    // Clients first, while they match fds (accepting appends to _clients). remove_if tests each
    // client in its original place before moving it, so its index there is its fds slot - 1.
    std::erase_if(_clients, [&](client& c) {
      const short revents = fds[static_cast<std::size_t>(&c - _clients.data()) + 1].revents;
      if (revents == 0 || progress(c, revents, body)) {
        return false;
      }
      close(c.fd);
      return true;
    });
    while ((fds[0].revents & POLLIN) != 0 && _clients.size() < max_clients) {
      const int fd = accept4(_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        break;  // EAGAIN: no more waiting; anything else: the next poll says
      }
      _clients.push_back({fd, clock::now() + request_budget, {}, {}, 0});
    }
  }
}

bool metrics_server::progress(client& c, short revents, const std::function<std::string()>& body) {
  if (c.response.empty()) {
    char buffer[2048];
    const ssize_t n = recv(c.fd, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      return false;  // closed, or failed, before a whole head
    }
    if (n > 0) {
      c.head.append(buffer, static_cast<std::size_t>(n));
    }
    // A head past max_request_head is answered as whatever its first line says.
    if (c.head.find("\r\n\r\n") == std::string::npos && c.head.size() <= max_request_head) {
      return true;
    }
    c.response = http_response(c.head, body);
    c.head = {};
  } else if ((revents & (POLLOUT | POLLERR | POLLHUP)) == 0) {
    return true;
  }
  const ssize_t n = send(c.fd, c.response.data() + c.sent, c.response.size() - c.sent, MSG_NOSIGNAL);
  if (n < 0) {
    return errno == EAGAIN || errno == EINTR;
  }
  c.sent += static_cast<std::size_t>(n);
  if (c.sent < c.response.size()) {
    return true;
  }
  shutdown(c.fd, SHUT_WR);
  return false;
}

}  // namespace rampart::engine
