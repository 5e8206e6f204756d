#include "engine/connection_query.hh"

#include <cctype>
#include <charconv>

#include "net/addresses.hh"

namespace rampart::engine {

namespace {

bool parse_number(std::string_view text, std::uint32_t& out) noexcept {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

// Writes fields as DPDK's telemetry JSON does: "name":value, comma-separated.
struct json_writer {
  std::string json;
  bool first = true;
  void number(std::string_view name, std::uint64_t value) {
    key(name);
    json += std::to_string(value);
  }
  void text(std::string_view name, std::string_view value) {
    key(name);
    json += '"';
    json += value;
    json += '"';
  }
  void key(std::string_view name) {
    json += first ? "\"" : ",\"";
    first = false;
    json += name;
    json += "\":";
  }
};

}  // namespace

std::optional<tcp::tcp_state> parse_tcp_state(std::string_view name) noexcept {
  using tcp::tcp_state;
  for (const tcp_state s : {tcp_state::syn_sent, tcp_state::syn_received, tcp_state::established, tcp_state::fin_wait_1,
                            tcp_state::fin_wait_2, tcp_state::close_wait, tcp_state::closing, tcp_state::last_ack,
                            tcp_state::time_wait}) {
    const std::string_view canonical = tcp::to_string(s);
    if (canonical.size() != name.size()) {
      continue;
    }
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      const char c = name[i] == '_' ? '-' : static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
      same = c == canonical[i];
    }
    if (same) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<connection_query> parse_connection_query(std::string_view params, std::string& error) {
  connection_query q;
  while (!params.empty()) {
    const std::size_t comma = params.find(',');
    const std::string_view part = params.substr(0, comma);
    params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
    const std::size_t equals = part.find('=');
    const std::string_view key = part.substr(0, equals);
    const std::string_view value = equals == std::string_view::npos ? std::string_view() : part.substr(equals + 1);
    std::uint32_t n = 0;
    if (key == "remote") {
      const auto address = net::ipv4_address::parse(value);
      if (!address) {
        error = "remote= takes an IPv4 address, e.g. remote=10.77.0.1";
        return std::nullopt;
      }
      q.filter.remote_ip = address->value;
    } else if (key == "rport" || key == "lport") {
      if (!parse_number(value, n) || n == 0 || n > 65535) {
        error = std::string(key) + "= takes a port number 1..65535";
        return std::nullopt;
      }
      (key == "rport" ? q.filter.remote_port : q.filter.local_port) = static_cast<std::uint16_t>(n);
    } else if (key == "state") {
      q.filter.state = parse_tcp_state(value);
      if (!q.filter.state) {
        error = "state= takes an RFC 9293 state: syn-received, established, fin-wait-1, fin-wait-2, close-wait, "
                "closing, last-ack, time-wait";
        return std::nullopt;
      }
    } else if (key == "limit") {
      if (!parse_number(value, n) || n == 0 || n > connection_query::max_limit) {
        error = "limit= takes 1.." + std::to_string(connection_query::max_limit) +
                " (rows per reply: DPDK telemetry replies are at most 16 KiB)";
        return std::nullopt;
      }
      q.limit = n;
    } else {
      error = "unknown parameter \"" + std::string(part) + "\": use remote=a.b.c.d, rport=n, lport=n, state=name, limit=n";
      return std::nullopt;
    }
  }
  return q;
}

std::string endpoint_text(std::uint32_t ip, std::uint16_t port) {
  return net::ipv4_address{ip}.to_string() + ":" + std::to_string(port);
}

std::string row_json(const tcp::connection_summary& s, unsigned lcore, std::uint32_t index) {
  json_writer row;
  describe_row(s, lcore, row);
  return ",\"" + std::to_string(index) + "\":{" + row.json + "}";
}

}  // namespace rampart::engine
