#pragma once
// The app_host (app_host.hh) an app instance of one listener gets on one lcore.
#include <array>
#include <cstdint>
#include <optional>

#include "tcp/app_host.hh"
#include "app_calls.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

class lcore_app_host final : public app_host {
 public:
  lcore_app_host(lcore_state& lcore, std::uint8_t listener) noexcept : _lcore(lcore), _listener(listener) {}

  connect_result connect(const connect_request& request) noexcept override;
  stream* find(stream_id id) noexcept override;
  void release_buffer(const data_view& view) noexcept override;
  void arm(app_timer& t, std::uint64_t at_ns) noexcept override;
  void cancel(app_timer& t) noexcept override;
  std::uint64_t now_ns() const noexcept override;

 private:
  // The streams find() returned in the current callback: each stays valid until it returns,
  // unless the callback finds more than this many (then the oldest slot serves again;
  // docs/apps.md says so).
  static constexpr unsigned found_slots = 16;

  lcore_state& _lcore;
  std::uint8_t _listener;
  std::array<std::optional<tcp_stream>, found_slots> _found;
  unsigned _next_found = 0;
};

// Fires the app timers that are due (lcore_tcp::poll), each as an event of ctx's turn.
void fire_app_timers(lcore_state& lcore, event_context& ctx) noexcept;

}  // namespace rampart::tcp
