#include "engine/metrics.hh"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
  if (_fd >= 0) {
    close(_fd);
  }
}

void metrics_server::serve_for(std::chrono::milliseconds wait, const std::function<std::string()>& body) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      return;
    }
    pollfd p{_fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      continue;  // timeout (loop ends) or EINTR (a signal: go on waiting)
    }
    const int client = accept4(_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client >= 0) {
      answer(client, body);
      close(client);
    }
  }
}

void metrics_server::answer(int client, const std::function<std::string()>& body) {
  using clock = std::chrono::steady_clock;
  const auto give_up = clock::now() + request_budget;
  std::string head;
  char buffer[2048];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > max_request_head) {
      break;  // answered as whatever its first line says; the rest is ignored
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - clock::now());
    if (left.count() <= 0) {
      return;  // a client that does not send its request in time gets nothing
    }
    pollfd p{client, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    const ssize_t n = recv(client, buffer, sizeof buffer, 0);
    if (n == 0) {
      return;  // closed before a whole head
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return;
    }
    head.append(buffer, static_cast<std::size_t>(n));
  }
  const std::string response = http_response(head, body);
  std::size_t sent = 0;
  while (sent < response.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - clock::now());
    if (left.count() <= 0) {
      return;  // a client that does not read in time is cut off
    }
    pollfd p{client, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    const ssize_t n = send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
  shutdown(client, SHUT_WR);
}

}  // namespace rampart::engine
