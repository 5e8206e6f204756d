#pragma once
// The proxy app's args (docs/proxy.md), read and checked at start-up like the other apps' (an
// arg_reader over the listener's args; each error an app_error naming the arg and the fix).
#include <cstdint>
#include <string>
#include <vector>

#include "backend_list.hh"
#include "backend_pool.hh"

namespace rampart::app {
class arg_reader;
}

namespace rampart::app::proxy {

enum class proxy_protocol_version { off, v1, v2 };

// health_check: "tcp" (a connect that completes passes) or "http METHOD PATH [STATUS]" (a
// request, then a response whose status line carries STATUS passes; http_status_reader.hh).
struct health_check_settings {
  enum class kind { tcp, http };
  kind type = kind::tcp;
  std::string method;  // GET or HEAD
  std::string path;    // origin-form: starts with '/', visible ASCII
  std::uint16_t expected_status = 200;

  bool operator==(const health_check_settings&) const = default;
};

struct proxy_settings {
  std::vector<backend_entry> backends;
  balance_method balance = balance_method::round_robin;
  // A connect to a backend not complete after this long fails (the next attempt, if any, goes to
  // the backend the balancer picks next). Covers the SYN's first retransmission (RFC 6298 §2.1's
  // one-second initial RTO) and the next.
  std::uint32_t connect_timeout_ms = 3000;
  std::uint32_t retries = 3;                // connects after a failed first one (HAProxy's default)
  std::uint32_t idle_timeout_seconds = 300;  // both sides silent this long: both closed; 0: never
  std::uint32_t max_connections = 0;         // per backend, per worker lcore; 0: no limit
  proxy_protocol_version proxy_protocol = proxy_protocol_version::off;
  health_check_settings health_check;
  std::uint32_t health_interval_ms = 2000;  // HAProxy's defaults: inter 2s, rise 2, fall 3
  std::uint32_t health_rise = 2;
  std::uint32_t health_fall = 3;

  bool operator==(const proxy_settings&) const = default;
};

// Reads every proxy arg from `args`; the caller then calls args.reject_unknown(). Throws
// app_error ("listener on port P (app proxy): args.NAME: what is wrong; the fix").
proxy_settings read_proxy_args(arg_reader& args);

}  // namespace rampart::app::proxy
