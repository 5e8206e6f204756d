#pragma once
// Everything one worker lcore holds for TCP, as plain data: the settings, the listened ports and
// their apps, the connection table and pool, the timer wheel, the cookie keys, the buffer pools
// and budgets, the counters. It holds; it does not decide: the protocol is written as functions of
// (lcore_state, connection, event_context) in the step files (docs/tcp.md lists them). Built at
// start-up by lcore_tcp (it allocates), then used by its lcore only.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "cookie/key_set.hh"
#include "cookie/siphash.hh"
#include "flow/connection_pool.hh"
#include "flow/flow_table.hh"
#include "flow/local_port_pool.hh"
#include "flow/rss_steering.hh"
#include "packet/buffer.hh"
#include "stats/counters.hh"
#include "tcp/next_hop.hh"
#include "tcp/settings.hh"
#include "tcp/stream.hh"
#include "timer/timer_wheel.hh"
#include "connection.hh"
#include "listener_table.hh"
#include "reassembly.hh"
#include "recent_cookies.hh"
#include "sack_scoreboard.hh"
#include "send_budget.hh"
#include "token_bucket.hh"

namespace rampart::tcp {

// What a listener's connections share: its settings and this lcore's instance of its app.
struct listener_info {
  listener_settings settings;
  application* app = nullptr;  // null: its connections discard their data
};

// A FIFO of connections waiting for something, sized to the table at start-up (no allocation
// after): a connection is in one at most once, which a flag of its own says.
template <class Name>
struct connection_queue {
  std::vector<Name> ring;
  std::uint32_t head = 0;
  std::uint32_t count = 0;

  explicit connection_queue(std::uint32_t capacity) : ring(capacity) {}
  bool full() const noexcept { return count == ring.size(); }
  void push(Name name) noexcept {
    ring[(head + count) % ring.size()] = name;
    ++count;
  }
  Name pop() noexcept {
    const Name name = ring[head];
    head = (head + 1) % static_cast<std::uint32_t>(ring.size());
    --count;
    return name;
  }
};

// Connections refused by the send budget, woken in order once buffers return (loss_recovery.cc;
// their budget_wait recovery flag).
struct budget_waiters : connection_queue<flow::connection_handle> {
  using connection_queue::connection_queue;
  std::uint64_t releases_seen = 0;  // send_budget::releases() at the last wake-up
};

struct event_context;

struct lcore_state {
  tcp_settings settings;
  stats::lcore_stats& stats;
  listener_table listeners;
  std::array<listener_info, listener_table::max_listeners> listener_infos{};
  cookie::key_set keys;
  recent_cookies cookie_memory;  // cookie SYN-ACKs sent, for segments overtaking their ACK
  cookie::siphash_key isn_key;   // RFC 6528 F() for backlog ISNs; random per lcore
  flow::flow_table table;
  flow::connection_pool<connection> pool;
  timer::timer_wheel timers;
  reassembly_pool reassembly;
  std::uint16_t reassembly_cap = 0;  // nodes one connection's out-of-order queue may hold
  packet::buffer_pool* buffers = nullptr;  // attach_io; null: nothing beyond in-place replies
  packet::frame_sink* sink = nullptr;
  send_budget send_pool;  // what send queues allocate from (tcp.send_budget)
  scoreboard_pool scoreboards;
  budget_waiters waiters;
  // Connections an app acted on from another stream's callback (app_host.hh): their output or
  // abort runs when the event ends (run_deferred_work, app_host.cc; their `deferred` flag). Ids,
  // not handles: a connection may close before its turn comes.
  connection_queue<stream_id> deferred;
  // App timers (app_host::arm), on a wheel of their own so that a connection's timer node leads
  // straight to its control block.
  timer::timer_wheel app_timers;
  // The event being handled, while a turn runs (input burst, poll, shutdown): what app_host
  // calls made from a callback work with. Null between turns.
  event_context* turn = nullptr;
  // Active opens: the first hop toward a peer (null: connect() finds no route); which local
  // ports' replies land on this lcore's queue and the hash they carry (lcore_tcp::steer_replies;
  // by default no RSS), and the ports this lcore hands out (active_open.cc).
  next_hop_resolver* resolver = nullptr;
  flow::rss_steering steering;
  std::optional<flow::local_port_pool> local_ports;
  std::uint32_t backlog_size = 0;   // connections in SYN-RECEIVED (set_state keeps it)
  std::uint32_t table_changes = 0;  // bumped by insert/erase: lookup results of a burst go stale
  std::uint16_t next_ip_id = 0;
  // Per-lcore budgets of replies to unauthenticated segments (never one budget across lcores).
  token_bucket rst_budget;
  token_bucket challenge_budget;
  bool draining = false;  // SIGTERM drain: SYNs are dropped (lcore_tcp::set_draining)

  // Allocates everything (start-up only): see lcore_tcp's constructor for the errors.
  lcore_state(const tcp_settings& settings, stats::lcore_stats& stats, std::optional<flow::hash_seed> seed,
              const cookie::siphash_key& isn_key, std::uint64_t now_ns);
  lcore_state(const lcore_state&) = delete;
  lcore_state& operator=(const lcore_state&) = delete;

  const listener_settings& listener_of(const connection& c) const noexcept {
    return listener_infos[c.listener].settings;
  }
  application* app_of(const connection& c) const noexcept { return listener_infos[c.listener].app; }
  flow::connection_handle handle_of(const connection& c) const noexcept { return pool.handle_of(c); }
  stream_id id_of(const connection& c) const noexcept {
    const flow::connection_handle h = pool.handle_of(c);
    return {h, pool.generation(h)};
  }
  // The live connection `id` names, or nullptr.
  connection* find(stream_id id) noexcept { return pool.is_live(id.index, id.generation) ? &pool[id.index] : nullptr; }
  std::uint16_t ip_id() noexcept { return next_ip_id++; }
};

// Whether a SYN to a listener gets a cookie rather than a backlog entry now: always in mode
// always, in auto once the backlog holds auto_threshold entries, never in off. (A full backlog
// also ends in a cookie in auto mode: listen_input.cc's answer_syn.)
inline bool syncookies_in_force(const lcore_state& lcore) noexcept {
  switch (lcore.settings.cookies) {
    case cookie_mode::always:
      return true;
    case cookie_mode::auto_mode:
      return lcore.backlog_size >= lcore.settings.auto_threshold;
    case cookie_mode::off:
      return false;
  }
  return false;
}

}  // namespace rampart::tcp
