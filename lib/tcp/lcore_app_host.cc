#include "lcore_app_host.hh"

#include "active_open.hh"
#include "deferred_work.hh"

namespace rampart::tcp {

connect_result lcore_app_host::connect(const connect_request& request) noexcept {
  if (_lcore.turn == nullptr) {
    return {{}, connect_error::not_in_callback};
  }
  return open_connection(_lcore, _listener, request, *_lcore.turn);
}

stream* lcore_app_host::find(stream_id id) noexcept {
  connection* c = _lcore.find(id);
  // Only this app's streams: an id of another listener's names nothing here.
  if (c == nullptr || _lcore.turn == nullptr || !c->app_open || c->listener != _listener) {
    return nullptr;
  }
  std::optional<tcp_stream>& slot = _found[_next_found];
  _next_found = (_next_found + 1) % found_slots;
  return &slot.emplace(_lcore, *c, *_lcore.turn);
}

void lcore_app_host::release_buffer(const data_view& view) noexcept {
  if (view.buffer != nullptr && _lcore.buffers != nullptr) {
    _lcore.buffers->release(view.buffer);
  }
}

void lcore_app_host::arm(app_timer& t, std::uint64_t at_ns) noexcept {
  _lcore.app_timers.arm(t.wheel_node(), at_ns);
}

void lcore_app_host::cancel(app_timer& t) noexcept { _lcore.app_timers.cancel(t.wheel_node()); }

std::uint64_t lcore_app_host::now_ns() const noexcept {
  // Between turns (attach, at start-up): the clock as the lcore's last poll saw it.
  return _lcore.turn != nullptr ? _lcore.turn->now_ns : _lcore.app_timers.now_ns();
}

void fire_app_timers(lcore_state& lcore, event_context& ctx) noexcept {
  lcore.app_timers.advance(ctx.now_ns, [&](timer::timer_node& node) noexcept {
    ctx.next_event();
    app_timer::of_wheel_node(node).fire();
    finish_event(lcore, ctx);
  });
}

const char* to_string(connect_error error) noexcept {
  switch (error) {
    case connect_error::no_local_port:
      return "no local port free toward that peer";
    case connect_error::table_full:
      return "connection table full";
    case connect_error::no_route:
      return "no route to the peer";
    case connect_error::not_in_callback:
      return "connect() outside the app's callbacks";
  }
  return "?";
}

}  // namespace rampart::tcp
