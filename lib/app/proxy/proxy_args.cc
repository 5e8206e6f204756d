#include "proxy_args.hh"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "app/registry.hh"
#include "args.hh"

namespace rampart::app::proxy {

namespace {

// One of a fixed set of words, or `fallback` when the arg is absent.
template <class T, std::size_t N>
T choice(arg_reader& args, std::string_view name, const std::array<std::pair<std::string_view, T>, N>& words,
         T fallback) {
  const std::string* value = args.text(name);
  if (value == nullptr) {
    return fallback;
  }
  std::string list;
  for (const auto& [word, meaning] : words) {
    if (*value == word) {
      return meaning;
    }
    list += (list.empty() ? "" : ", ") + std::string(word);
  }
  args.fail(name, "\"" + *value + "\" is not one of " + list + "; write one of them");
}

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto start = text.find_first_not_of(' ', i);
    if (start == std::string_view::npos) {
      break;
    }
    const auto end = std::min(text.find(' ', start), text.size());
    words.push_back(text.substr(start, end - start));
    i = end;
  }
  return words;
}

bool is_origin_path(std::string_view path) {
  // RFC 9112 §3.2.1 origin-form; visible ASCII is enough to keep the request line well formed.
  return !path.empty() && path.front() == '/' &&
         std::all_of(path.begin(), path.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

health_check_settings read_health_check(arg_reader& args) {
  constexpr std::string_view name = "health_check";
  constexpr std::string_view form = "write tcp or \"http GET /path 200\" (METHOD GET or HEAD, STATUS optional, default 200)";
  health_check_settings check;
  const std::string* value = args.text(name);
  if (value == nullptr) {
    return check;
  }
  const std::vector<std::string_view> words = words_of(*value);
  if (words.size() == 1 && words[0] == "tcp") {
    return check;
  }
  if (words.empty() || words[0] != "http") {
    args.fail(name, "\"" + *value + "\" is not a health check; " + std::string(form));
  }
  if (words.size() < 3 || words.size() > 4) {
    args.fail(name, "\"" + *value + "\" needs a method and a path; " + std::string(form));
  }
  if (words[1] != "GET" && words[1] != "HEAD") {
    args.fail(name, "method \"" + std::string(words[1]) + "\" is not GET or HEAD; " + std::string(form));
  }
  if (!is_origin_path(words[2])) {
    args.fail(name, "path \"" + std::string(words[2]) +
                        "\" must start with / and hold no control characters, e.g. /healthz");
  }
  check.type = health_check_settings::kind::http;
  check.method = words[1];
  check.path = words[2];
  if (words.size() == 4) {
    const std::string_view status = words[3];
    const bool digits = status.size() == 3 && std::all_of(status.begin(), status.end(),
                                                          [](char c) { return c >= '0' && c <= '9'; });
    const int code = digits ? std::stoi(std::string(status)) : 0;
    if (code < 100 || code > 599) {
      args.fail(name, "status \"" + std::string(status) + "\" is not an HTTP status; write one in 100..599");
    }
    check.expected_status = static_cast<std::uint16_t>(code);
  }
  return check;
}

std::uint32_t number32(arg_reader& args, std::string_view name, std::uint32_t fallback, std::uint32_t min,
                       std::uint32_t max) {
  return static_cast<std::uint32_t>(args.number(name, fallback, min, max));
}

}  // namespace

proxy_settings read_proxy_args(arg_reader& args) {
  proxy_settings s;
  const std::string* backends = args.text("backends");
  if (backends == nullptr) {
    args.fail("backends", "is required; write the servers to relay to, e.g. backends: \"10.0.0.5:80*3, 10.0.0.6:80\"");
  }
  try {
    s.backends = parse_backend_list(*backends);
  } catch (const app_error& e) {
    args.fail("backends", e.what());
  }
  static constexpr std::array<std::pair<std::string_view, balance_method>, 3> balances = {{
      {"round_robin", balance_method::round_robin},
      {"least_connections", balance_method::least_connections},
      {"source_hash", balance_method::source_hash},
  }};
  s.balance = choice(args, "balance", balances, s.balance);
  s.connect_timeout_ms = number32(args, "connect_timeout_ms", s.connect_timeout_ms, 10, 600000);
  s.retries = number32(args, "retries", s.retries, 0, 16);
  s.idle_timeout_seconds = number32(args, "idle_timeout_seconds", s.idle_timeout_seconds, 0, 604800);
  s.max_connections = number32(args, "max_connections", s.max_connections, 0, 1000000);
  static constexpr std::array<std::pair<std::string_view, proxy_protocol_version>, 3> versions = {{
      {"off", proxy_protocol_version::off},
      {"v1", proxy_protocol_version::v1},
      {"v2", proxy_protocol_version::v2},
  }};
  s.proxy_protocol = choice(args, "proxy_protocol", versions, s.proxy_protocol);
  s.health_check = read_health_check(args);
  s.health_interval_ms = number32(args, "health_interval_ms", s.health_interval_ms, 100, 3600000);
  s.health_rise = number32(args, "health_rise", s.health_rise, 1, 100);
  s.health_fall = number32(args, "health_fall", s.health_fall, 1, 100);
  return s;
}

}  // namespace rampart::app::proxy
