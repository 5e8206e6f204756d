#pragma once
// The proxy's health checks, run by one instance per listener (health_board.hh says which) on
// its lcore's timers: every health_interval_ms, one check per backend.
//
//   tcp   a connect that completes passes; the check then resets the connection (as HAProxy's
//         checks do) so neither side keeps TIME-WAIT state for it.
//   http  the request "METHOD PATH HTTP/1.1" (Host: the backend, Connection: close), behind a
//         PROXY header when proxy_protocol is on (v1: a TCP4 line with the check connection's
//         own addresses; v2: LOCAL, "the proxy's own connection"; spec §2.1 and §2.2); a response
//         whose status line carries the expected status passes, then the connection is reset.
//
// A check fails when its connect is refused, unreachable or times out (min(connect_timeout_ms,
// health_interval_ms)), when the connection ends before a verdict, or when it is still running
// at the next round. Results go through health_state (rise/fall); a transition is published on
// the board, where every lcore's instance reads it before its next pick.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "backend_slots.hh"
#include "health_board.hh"
#include "health_state.hh"
#include "http_status_reader.hh"
#include "proxy_args.hh"
#include "stats/counters.hh"
#include "stream_owner.hh"
#include "tcp/app_host.hh"

namespace rampart::app::proxy {

// Each slot's check request: "" for tcp checks, else the HTTP request (without the PROXY header).
std::vector<std::string> health_check_requests(const proxy_settings& settings, std::span<const backend_slot> slots);

class health_checker {
 public:
  // Start-up only (builds each backend's request). `settings`, `board` and `stats` (max_backends
  // entries, by slot) outlive the checker, or until apply() replaces `settings`.
  health_checker(const proxy_settings& settings, health_board& board, std::span<stats::backend_stats> stats);
  health_checker(const health_checker&) = delete;
  health_checker& operator=(const health_checker&) = delete;

  // A SIGHUP's settings and slots (proxy_reload.hh), from the next round on: a removed slot is
  // no longer checked (its health stays as it was, and is where it resumes if it comes back), an
  // added one starts up, as at start-up. `requests` (health_check_requests of them) is swapped
  // in, and holds the previous requests on return. Does not allocate: the checks were reserved
  // for max_backends slots.
  void apply(const proxy_settings& settings, std::span<const backend_slot> slots,
             std::vector<std::string>& requests) noexcept;

  // Arms the first round, at once.
  void start(tcp::app_host& host) noexcept;
  // One round: a check still running fails, and every backend's next check starts. The timer
  // calls it every health_interval_ms.
  void round() noexcept;

  // The callbacks of check streams (their context is a check).
  void on_connected(tcp::stream& s) noexcept;
  void on_data(tcp::stream& s, tcp::data_view data) noexcept;
  void on_close(tcp::stream& s, tcp::close_reason reason) noexcept;

 private:
  struct check : stream_owner {
    check(std::uint16_t b, backend_address a, std::uint32_t rise, std::uint32_t fall)
        : stream_owner{kind::check}, backend(b), address(a), health(rise, fall) {}
    std::uint16_t backend;   // its slot
    backend_address address;
    bool removed = false;   // not checked (backend_slots.hh)
    tcp::stream_id stream;  // the running check's connection; invalid when none runs
    http_status_reader reader;
    health_state health;
  };

  static void on_round(void* self) noexcept;
  void begin(check& c) noexcept;
  // Ends the running check with its verdict; `s` (its stream, when the caller has it) is reset.
  void finish(check& c, bool passed, tcp::stream* s) noexcept;

  const proxy_settings* _settings;
  health_board& _board;
  std::span<stats::backend_stats> _stats;
  std::vector<check> _checks;           // by slot; capacity max_backends
  std::vector<std::string> _requests;   // by slot, without the PROXY header; empty for tcp checks
  std::uint64_t _connect_timeout_ns;
  tcp::app_host* _host = nullptr;
  tcp::app_timer _timer;
};

}  // namespace rampart::app::proxy
