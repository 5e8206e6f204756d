#include "lcore_app_host.hh"

#include "active_open.hh"
#include "deferred_work.hh"

namespace rampart::tcp {

// app_timer's node and callback, for the lcore's app timer wheel.
struct app_timer_access {
  static timer::timer_node& node(app_timer& t) noexcept { return t._node; }
  static app_timer& owner(timer::timer_node& node) noexcept {
    return timer::owner_of<app_timer, &app_timer::_node>(node);
  }
  static void fire(app_timer& t) noexcept { t._fire(t._arg); }
};

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
  _lcore.app_timers.arm(app_timer_access::node(t), at_ns);
}

void lcore_app_host::cancel(app_timer& t) noexcept { _lcore.app_timers.cancel(app_timer_access::node(t)); }

std::uint64_t lcore_app_host::now_ns() const noexcept {
  // Between turns (attach, at start-up): the clock as the lcore's last poll saw it.
  return _lcore.turn != nullptr ? _lcore.turn->now_ns : _lcore.app_timers.now_ns();
}

void fire_app_timers(lcore_state& lcore, event_context& ctx) noexcept {
  lcore.app_timers.advance(ctx.now_ns, [&](timer::timer_node& node) noexcept {
    ctx.next_event();
    app_timer_access::fire(app_timer_access::owner(node));
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
