// The per-lcore container: builds the lcore's state, wires it, and answers the engine's and the
// tests' questions about it. The protocol is elsewhere (docs/tcp.md lists the step files).
#include "tcp/lcore_tcp.hh"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cookie/key_schedule.hh"
#include "connection_lifetime.hh"
#include "connection_reassembly.hh"
#include "connection_timers.hh"
#include "deferred_work.hh"
#include "event_context.hh"
#include "lcore_app_host.hh"
#include "lcore_state.hh"
#include "loss_recovery.hh"

namespace rampart::tcp {

namespace {

flow::local_port_pool_options local_port_options(const tcp_settings& settings, std::uint32_t lcore_index,
                                                 std::uint32_t lcore_count, std::optional<flow::hash_seed> seed) {
  flow::local_port_pool_options o;
  o.first_port = settings.local_port_first;
  o.last_port = settings.local_port_last;
  o.lcore_index = lcore_index;
  o.lcore_count = lcore_count;
  o.seed = seed;
  return o;
}

}  // namespace

lcore_state::lcore_state(const tcp_settings& settings_, stats::lcore_stats& stats_, std::optional<flow::hash_seed> seed,
                         const cookie::siphash_key& isn_key_, std::uint64_t now_ns)
    : settings(settings_),
      stats(stats_),
      cookie_memory(settings_.recent_cookie_entries),
      isn_key(isn_key_),
      table(flow::flow_table_options{.capacity = settings_.connections, .seed = seed}),
      pool(settings_.connections),
      timers(now_ns),
      reassembly(settings_.reassembly_budget),
      // Two nodes per full-sized segment of the window: a peer cutting its data finer than
      // MSS / 2 fills its share with less data (it recovers by retransmission).
      reassembly_cap(static_cast<std::uint16_t>(std::min<std::uint32_t>(
          65535, 2 * ((settings_.receive_window + settings_.mss - 1) / std::max<std::uint16_t>(settings_.mss, 1))))),
      scoreboards(static_cast<std::uint16_t>(
          std::min<std::uint32_t>({settings_.scoreboards, settings_.connections, no_scoreboard - 1}))),
      waiters(settings_.connections),
      // One place per live connection (its `deferred` flag), plus the stale ids of connections
      // erased before their turn: the queue drains at the end of every event, and within one
      // event only its own connection or a recycled TIME-WAIT entry can go, so a few suffice.
      deferred(settings_.connections + 64),
      app_timers(now_ns),
      local_ports(std::in_place, steering, local_port_options(settings_, 0, 1, seed)),
      rst_budget(settings_.rst_per_second, now_ns),
      challenge_budget(settings_.challenge_acks_per_second_lcore, now_ns) {
  stats.tcp_syncookies_in_force.set(syncookies_in_force(*this) ? 1 : 0);  // mode always, or auto_threshold 0
}

lcore_tcp::lcore_tcp(const tcp_settings& settings, std::span<const listener_settings> listeners,
                     stats::lcore_stats& stats, std::optional<flow::hash_seed> seed,
                     std::optional<cookie::siphash_key> isn_key, std::uint64_t now_ns)
    : _state(std::make_unique<lcore_state>(settings, stats, seed, isn_key ? *isn_key : cookie::random_key(), now_ns)) {
  if (listeners.size() > listener_table::max_listeners) {
    throw std::invalid_argument("tcp: more than 255 listeners");
  }
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    if (!_state->listeners.add(listeners[i].port, static_cast<std::uint8_t>(i))) {
      throw std::invalid_argument("tcp: port " + std::to_string(listeners[i].port) + " listened on twice");
    }
    _state->listener_infos[i].settings = listeners[i];
    _hosts.push_back(std::make_unique<lcore_app_host>(*_state, static_cast<std::uint8_t>(i)));
  }
}

lcore_tcp::~lcore_tcp() {
  // Buffers held by connections go back to the pool; the pool destroys the control blocks.
  lcore_state& lcore = *_state;
  for (flow::connection_handle h = 0; h < lcore.settings.connections; ++h) {
    if (lcore.pool.is_live(h)) {
      connection& c = lcore.pool[h];
      lcore.timers.cancel(c.timer);
      if (lcore.buffers != nullptr) {
        c.sendq.clear(lcore.send_pool);
      }
      release_queue(lcore, c);
    }
  }
}

void lcore_tcp::attach_io(packet::buffer_pool& buffers, packet::frame_sink& sink) noexcept {
  _state->buffers = &buffers;
  _state->sink = &sink;
  _state->send_pool.attach(buffers, _state->settings.send_budget);
}

void lcore_tcp::set_application(std::uint8_t listener, application* app) noexcept {
  _state->listener_infos[listener].app = app;
  if (app != nullptr) {
    app->attach(*_hosts[listener]);
  }
}

void lcore_tcp::set_next_hop_resolver(next_hop_resolver* resolver) noexcept { _state->resolver = resolver; }

void lcore_tcp::steer_replies(const flow::rss_steering& steering, std::uint32_t lcore_index, std::uint32_t lcore_count,
                              std::optional<flow::hash_seed> seed) {
  lcore_state& lcore = *_state;
  lcore.local_ports.reset();  // it refers to the steering it was built with
  lcore.steering = steering;
  lcore.local_ports.emplace(lcore.steering, local_port_options(lcore.settings, lcore_index, lcore_count, seed));
}

void lcore_tcp::update_keys(const cookie::key_set& keys) noexcept { _state->keys = keys; }

void lcore_tcp::set_draining(bool draining) noexcept { _state->draining = draining; }

void lcore_tcp::poll(std::uint64_t now_ns) noexcept {
  lcore_state& lcore = *_state;
  turn_scope turn{lcore, now_ns};
  event_context& ctx = turn.ctx;
  lcore.timers.advance(now_ns, [&](timer::timer_node& node) noexcept {
    ctx.next_event();
    on_timer(lcore, timer::owner_of<connection, &connection::timer>(node), ctx);
    finish_event(lcore, ctx);
  });
  fire_app_timers(lcore, ctx);
  if (lcore.waiters.count != 0) {
    ctx.next_event();
    wake_send_budget_waiters(lcore, ctx);
    finish_event(lcore, ctx);
  }
}

void lcore_tcp::link_restored(std::uint64_t now_ns) noexcept {
  lcore_state& lcore = *_state;
  for (flow::connection_handle h = 0; h < lcore.settings.connections; ++h) {
    if (lcore.pool.is_live(h)) {
      retry_after_link_outage(lcore, lcore.pool[h], now_ns);
    }
  }
}

std::uint32_t lcore_tcp::shutdown(std::uint64_t now_ns, std::uint32_t limit) noexcept {
  lcore_state& lcore = *_state;
  turn_scope turn{lcore, now_ns};
  event_context& ctx = turn.ctx;
  for (flow::connection_handle h = 0; h < lcore.settings.connections && limit != 0; ++h) {
    if (!lcore.pool.is_live(h)) {
      continue;
    }
    connection& c = lcore.pool[h];
    if (c.state == tcp_state::time_wait) {
      // Both sides closed already and the app was told: the entry only guards against old
      // duplicates, so it goes silently (no RST, counted as the normal close it was).
      erase(lcore, c, close_reason::closed, ctx);
    } else if (c.state == tcp_state::syn_received && c.iss_is_cookie) {
      // A backlog entry whose ISS is a cookie: its client's ACK can still open the connection
      // with the next engine (or a node sharing the master secret), which a RST would prevent.
      // Gone as silently as when it expires.
      erase(lcore, c, close_reason::closed, ctx);
    } else {
      reset_and_erase(lcore, c, close_reason::shutdown, ctx);
      --limit;
    }
  }
  finish_event(lcore, ctx);  // what the apps' on_close asked of the connections still open
  return lcore.table.size();
}

const connection* lcore_tcp::find(const flow::flow_key& key, std::uint32_t hash) const noexcept {
  const auto handle = _state->table.lookup(key, hash);
  return handle ? &_state->pool[*handle] : nullptr;
}

const connection* lcore_tcp::find(const flow::flow_key& key) const noexcept {
  return find(key, _state->table.hash(key));
}

const connection* lcore_tcp::connection_at(flow::connection_handle h) const noexcept {
  return _state->pool.is_live(h) ? &_state->pool[h] : nullptr;
}

std::uint32_t lcore_tcp::connection_count() const noexcept { return _state->table.size(); }
std::uint32_t lcore_tcp::half_open_count() const noexcept { return _state->backlog_size; }
const tcp_settings& lcore_tcp::settings() const noexcept { return _state->settings; }
const flow::flow_table& lcore_tcp::table() const noexcept { return _state->table; }
std::uint64_t lcore_tcp::armed_timers() const noexcept { return _state->timers.armed_count(); }
std::uint32_t lcore_tcp::reassembly_in_use() const noexcept { return _state->reassembly.in_use(); }
std::uint16_t lcore_tcp::reassembly_cap() const noexcept { return _state->reassembly_cap; }
const send_budget& lcore_tcp::send_buffers() const noexcept { return _state->send_pool; }
std::uint32_t lcore_tcp::scoreboards_in_use() const noexcept { return _state->scoreboards.in_use(); }
const recent_cookies& lcore_tcp::recent_cookie_memory() const noexcept { return _state->cookie_memory; }

const sack_scoreboard* lcore_tcp::scoreboard_of(const connection& c) const noexcept {
  return c.scoreboard == no_scoreboard ? nullptr : &_state->scoreboards[c.scoreboard];
}

const char* to_string(tcp_state state) noexcept {
  switch (state) {
    case tcp_state::syn_sent:
      return "SYN-SENT";
    case tcp_state::syn_received:
      return "SYN-RECEIVED";
    case tcp_state::established:
      return "ESTABLISHED";
    case tcp_state::fin_wait_1:
      return "FIN-WAIT-1";
    case tcp_state::fin_wait_2:
      return "FIN-WAIT-2";
    case tcp_state::close_wait:
      return "CLOSE-WAIT";
    case tcp_state::closing:
      return "CLOSING";
    case tcp_state::last_ack:
      return "LAST-ACK";
    case tcp_state::time_wait:
      return "TIME-WAIT";
    case tcp_state::closed:
      return "CLOSED";
  }
  return "?";
}

}  // namespace rampart::tcp
