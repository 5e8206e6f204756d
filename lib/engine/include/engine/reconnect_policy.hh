#pragma once
// When the control loop restarts a port whose link stays down (docs/operations.md, "A memif peer
// restarts"). DPDK 22.11's net_memif client connects to its server's socket only in dev_start
// (memif_connect_client); when the server goes away it disconnects, the link goes down and stays
// down even once a server listens again. A port stop and start connects again, so the loop
// retries that on a back-off until the link comes up. Pure: the control loop gives the clock.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rampart::engine {

// Whether `port_name`, driven by `driver`, only reconnects when it is restarted: a net_memif vdev
// given role=client in eal.vdevs (a server listens again by itself; memif's default role is server).
bool reconnects_only_on_restart(std::string_view driver, std::string_view port_name,
                                std::span<const std::string> vdevs);

// The attempts' schedule while the link is down: the first `first` after it went down, then each
// delay twice the one before, at most `longest`; the link coming up ends the outage.
class reconnect_backoff {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds default_first{100};
  static constexpr std::chrono::milliseconds default_longest{5000};
  // How long a port that started (and so connected to its server's socket) gets for the memif
  // handshake before it is restarted: a restart in the middle would abort it. 22.11's handshake is
  // a few messages over the socket, handled on EAL's interrupt thread.
  static constexpr std::chrono::milliseconds handshake_time{1000};

  explicit reconnect_backoff(std::chrono::milliseconds first = default_first,
                             std::chrono::milliseconds longest = default_longest) noexcept
      : _first(first), _longest(longest), _delay(first) {}

  // The link is down at `now`: the first attempt is due `first` later (the outage's start is
  // kept when it was already down).
  void link_down(clock::time_point now) noexcept;
  // The port started at `now` (at start-up, or an attempt that connected to the socket): no
  // attempt is due before handshake_time has passed.
  void started(clock::time_point now) noexcept { _not_before = now + handshake_time; }
  // The link is up: nothing is due, and the next outage starts over at `first`.
  void link_up() noexcept;
  bool due(clock::time_point now) const noexcept { return _next && now >= *_next && now >= _not_before; }
  // An attempt was made at `now` and ended as `outcome` (a short text: the error, or that the
  // port started). Schedules the next one. Returns true when `outcome` differs from the previous
  // attempt's of this outage, so that a server that stays away gets one log line, not one per
  // attempt.
  bool attempted(clock::time_point now, std::string_view outcome);

  // Attempts since the link went down.
  std::uint32_t attempts() const noexcept { return _attempts; }
  // The delay before the next attempt.
  std::chrono::milliseconds delay() const noexcept { return _delay; }

 private:
  std::chrono::milliseconds _first;
  std::chrono::milliseconds _longest;
  std::chrono::milliseconds _delay;
  std::optional<clock::time_point> _next;  // set while the link is down
  clock::time_point _not_before{};         // started()
  std::uint32_t _attempts = 0;
  std::string _last_outcome;
};

}  // namespace rampart::engine
