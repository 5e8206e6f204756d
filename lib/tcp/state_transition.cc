#include "state_transition.hh"

#include "app_calls.hh"

namespace rampart::tcp {

namespace {

void count_close(stats::lcore_stats& stats, close_reason reason) noexcept {
  stats.tcp_connections_closed.add();
  switch (reason) {
    case close_reason::closed:
      stats.tcp_closed_normal.add();
      return;
    case close_reason::reset:
      stats.tcp_closed_reset.add();
      return;
    case close_reason::timeout:
      stats.tcp_closed_timeout.add();
      return;
    case close_reason::idle_timeout:
      stats.tcp_closed_idle.add();
      return;
    case close_reason::aborted:
      stats.tcp_closed_aborted.add();
      return;
    case close_reason::shutdown:
      stats.tcp_closed_shutdown.add();
      return;
    case close_reason::refused:
    case close_reason::unreachable:
      return;  // only an active open that never connected ends so (count_failed_connect)
  }
}

// An active open that ended before ESTABLISHED.
void count_failed_connect(stats::lcore_stats& stats, close_reason reason) noexcept {
  switch (reason) {
    case close_reason::refused:
      stats.tcp_connects_refused.add();
      return;
    case close_reason::timeout:
      stats.tcp_connects_timed_out.add();
      return;
    case close_reason::unreachable:
      stats.tcp_connects_unreachable.add();
      return;
    default:
      stats.tcp_connects_abandoned.add();  // the app aborted, or the engine stops
      return;
  }
}

// The backlog's gauges, and in auto mode whether SYNs get cookies now (listen_input.cc's
// answer_syn decides by the same comparison): a switch to cookies is counted.
void backlog_changed(lcore_state& lcore) noexcept {
  lcore.stats.tcp_syn_backlog_active.set(lcore.backlog_size);
  const bool cookies = syncookies_in_force(lcore);
  if (cookies && lcore.stats.tcp_syncookies_in_force.read() == 0) {
    lcore.stats.tcp_syncookies_switched_on.add();
  }
  lcore.stats.tcp_syncookies_in_force.set(cookies ? 1 : 0);
}

bool handshaking(tcp_state state) noexcept { return state == tcp_state::syn_sent || state == tcp_state::syn_received; }

// A gauge whose only writer is this lcore.
void adjust(stats::counter& gauge, std::int64_t delta) noexcept {
  gauge.set(static_cast<std::uint64_t>(static_cast<std::int64_t>(gauge.read()) + delta));
}

// The app's stream ends (on_close), whether or not the control block stays (TIME-WAIT).
void notify_closed(lcore_state& lcore, connection& c, close_reason reason, event_context& ctx) noexcept {
  if (!c.app_open) {
    return;
  }
  c.app_open = false;
  application* app = lcore.app_of(c);
  if (app == nullptr) {
    return;
  }
  // The app's last call for this stream: it may read its context, not send (stream_calls.cc).
  const connection* outer = ctx.in_callback;
  ctx.in_callback = &c;
  ctx.in_on_close = true;
  tcp_stream s{lcore, c, ctx};
  app->on_close(s, reason);
  ctx.in_on_close = false;
  ctx.in_callback = outer;
}

}  // namespace

bool set_state(lcore_state& lcore, connection& c, tcp_state next, event_context& ctx, close_reason reason) noexcept {
  const tcp_state prior = c.state;
  c.state = next;
  stats::lcore_stats& stats = lcore.stats;
  // A connection an app opened is not one of its listener's clients: it has gauges of its own,
  // and a simultaneous open's SYN-RECEIVED is no entry of the listener's SYN backlog.
  stats::counter& active = c.outbound ? stats.tcp_outbound_active : stats.listeners[c.listener].active;
  switch (prior) {
    case tcp_state::closed:
      adjust(active, +1);  // a fresh control block joins its listener (or the outbound ones)
      break;
    case tcp_state::syn_received:
      if (!c.outbound) {
        --lcore.backlog_size;
        backlog_changed(lcore);
      }
      break;
    case tcp_state::time_wait:
      adjust(stats.tcp_time_wait_active, -1);
      break;
    default:
      break;
  }
  switch (next) {
    case tcp_state::syn_sent:
      return true;
    case tcp_state::syn_received:
      if (!c.outbound) {
        ++lcore.backlog_size;
        backlog_changed(lcore);
      }
      return true;
    case tcp_state::established:
      stats.tcp_connections_opened.add();
      if (c.outbound) {
        stats.tcp_connects_established.add();
        return call_app(lcore, c, ctx, [](application& app, stream& s) noexcept { app.on_connected(s); });
      }
      stats.listeners[c.listener].accepted.add();
      c.app_open = lcore.app_of(c) != nullptr;
      return call_app(lcore, c, ctx, [](application& app, stream& s) noexcept { app.on_open(s); });
    case tcp_state::close_wait:
      if (lcore.app_of(c) == nullptr || !c.app_open) {
        c.fin_queued = true;  // nobody to decide when our side closes: now
        return true;
      }
      return call_app(lcore, c, ctx, [](application& app, stream& s) noexcept { app.on_peer_closed(s); });
    case tcp_state::time_wait:
      adjust(stats.tcp_time_wait_active, +1);
      notify_closed(lcore, c, close_reason::closed, ctx);
      return true;
    case tcp_state::closed:
      notify_closed(lcore, c, reason, ctx);
      adjust(active, -1);
      if (c.outbound && handshaking(prior)) {
        count_failed_connect(stats, reason);
      } else if (prior != tcp_state::syn_received) {
        count_close(stats, reason);  // a half-open entry was never a connection
      }
      return true;
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::closing:
    case tcp_state::last_ack:
      return true;
  }
  return true;
}

}  // namespace rampart::tcp
