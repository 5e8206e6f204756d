#pragma once
// Everything one worker lcore owns for TCP: the listened ports, the connection table and pool,
// the SYN cookie keys and the stateful SYN backlog of cookie modes auto/off. Built at start-up
// (it allocates), then used by its lcore only: tcp_input_burst (tcp_input.hh) is the hot path,
// update_keys the one way new cookie keys arrive. Nothing here needs a running EAL.
//
// Cookie modes (config: tcp.syn_cookies.mode):
//   always  every SYN to a listener is answered with a cookie; nothing is stored until the ACK.
//   auto    SYNs are kept in the SYN backlog (a connection in SYN-RECEIVED, every option kept)
//           while fewer than auto_threshold entries are in use; beyond it, cookies. The ACK path
//           looks in the table first (the backlog lives there), then checks the cookie.
//   off     backlog only; a SYN that finds the backlog full is dropped (tcp_syn_backlog_full).
// Backlog entries expire backlog_timeout after their SYN. No SYN-ACK retransmission timer exists
// on this path: a client that lost our SYN-ACK retransmits its SYN, and that SYN gets the same
// SYN-ACK again (connection_input.cc).
#include <cstdint>
#include <optional>
#include <span>

#include "config/config.hh"
#include "cookie/key_set.hh"
#include "cookie/siphash.hh"
#include "flow/connection_pool.hh"
#include "flow/flow_table.hh"
#include "pipeline/frame.hh"
#include "pipeline/tcp_batch.hh"
#include "stats/counters.hh"
#include "tcp/connection.hh"
#include "tcp/listener_table.hh"

namespace rampart::tcp {

struct segment;  // segment.hh: one validated segment of the burst being processed

// The handshake-relevant part of the config, resolved once at start-up.
struct tcp_settings {
  std::uint16_t mss = 1460;                 // what our SYN-ACK advertises
  std::uint8_t window_scale = 7;            // our shift, offered when the client offers one
  std::uint32_t receive_window = 65535 * 4; // bytes
  std::uint32_t connections = 65536;        // table and pool capacity
  config::cookie_mode cookie_mode = config::cookie_mode::always;
  std::uint32_t backlog_capacity = 1024;    // auto/off: most SYN-RECEIVED entries at once
  std::uint32_t auto_threshold = 768;       // auto: cookies once this many entries are in use
  // A backlog entry outlives three SYN retransmissions of a client with RFC 6298's 1 s initial
  // RTO (sent at 1, 3, 7 s): 12 s.
  std::uint64_t backlog_timeout_ns = 12'000'000'000ULL;
  pipeline::tx_offload_caps offload;        // the port's TX checksum offloads

  // From the config (mss clamped to port.mtu - 40, RFC 9293 §3.7.1). Listeners come separately.
  static tcp_settings from_config(const config::tcp_config& tcp, std::uint16_t mtu,
                                  pipeline::tx_offload_caps offload) noexcept;
};

class lcore_tcp {
 public:
  // Allocates the table and the pool (start-up only). Listener i of
  // `listeners` gets listener index i. Throws std::invalid_argument for more than
  // listener_table::max_listeners listeners or a duplicate port, std::bad_alloc, and
  // cookie::key_error when isn_key is nullopt and getrandom fails. `seed` keys the table's
  // software hash, `isn_key` the backlog's ISNs (nullopt: random; tests pass both to reproduce).
  lcore_tcp(const tcp_settings& settings, std::span<const config::listener_config> listeners,
            stats::lcore_stats& stats, std::optional<flow::hash_seed> seed = std::nullopt,
            std::optional<cookie::siphash_key> isn_key = std::nullopt);
  lcore_tcp(const lcore_tcp&) = delete;
  lcore_tcp& operator=(const lcore_tcp&) = delete;

  // Replaces the cookie keys by value (the control thread ships a key_set through the worker's
  // queue; the worker calls this between bursts). No lock, no allocation.
  void update_keys(const cookie::key_set& keys) noexcept { _keys = keys; }

  // ---- Inspection (owner lcore; tests, connection dumps) ----
  // `hash` as the segments carried it (the NIC's RSS hash); the overload without uses the
  // table's software hash, right when the port gives no RSS hash (and in tests).
  const connection* find(const flow::flow_key& key, std::uint32_t hash) const noexcept;
  const connection* find(const flow::flow_key& key) const noexcept { return find(key, _table.hash(key)); }
  std::uint32_t connection_count() const noexcept { return _table.size(); }
  std::uint32_t half_open_count() const noexcept { return _half_open; }
  const tcp_settings& settings() const noexcept { return _settings; }
  const flow::flow_table& table() const noexcept { return _table; }

 private:
  friend void tcp_input_burst(lcore_tcp&, std::span<pipeline::frame>, std::span<pipeline::verdict>,
                              std::span<const pipeline::tcp_segment>, std::uint64_t) noexcept;

  // Processing steps, one file each: listen_input.cc (no connection: RFC 9293 §3.10.7.1-2),
  // connection_input.cc (the state machine, §3.10.7.4).
  pipeline::verdict listen_input(segment& seg, std::uint64_t now_ns) noexcept;
  pipeline::verdict connection_input(segment& seg, flow::connection_handle handle,
                                     std::uint64_t now_ns) noexcept;

  // SYN-ACK for a SYN: from the backlog or a cookie, per the cookie mode.
  pipeline::verdict answer_syn(segment& seg, std::uint64_t now_ns) noexcept;
  pipeline::verdict open_from_cookie(segment& seg, std::uint64_t now_ns) noexcept;
  // Writes the SYN-ACK a half-open entry stands for (first answer and retransmissions alike).
  pipeline::verdict write_syn_ack(segment& seg, const connection& c) noexcept;
  // Inserts a control block; false (nothing changed) when the pool or table is full.
  std::optional<flow::connection_handle> insert(const connection& c, std::uint32_t hash) noexcept;
  void erase(flow::connection_handle handle) noexcept;
  // The half-open list: SYN-RECEIVED connections in SYN order, linked through their control
  // blocks, so the oldest (the first to expire) is at the head and leaving is O(1).
  void backlog_push(flow::connection_handle handle) noexcept;
  void backlog_remove(flow::connection_handle handle) noexcept;
  // Erases backlog entries whose timeout passed, oldest first.
  void expire_backlog(std::uint64_t now_ns) noexcept;
  std::uint32_t initial_sequence(const flow::flow_key& key, std::uint64_t now_ns) const noexcept;
  std::uint16_t ip_id() noexcept { return _next_ip_id++; }

  tcp_settings _settings;
  stats::lcore_stats& _stats;
  listener_table _listeners;
  cookie::key_set _keys;
  cookie::siphash_key _isn_key;  // RFC 6528 F() for backlog ISNs; random per lcore
  flow::flow_table _table;
  flow::connection_pool<connection> _pool;
  flow::connection_handle _backlog_head = no_handle;  // oldest SYN-RECEIVED entry
  flow::connection_handle _backlog_tail = no_handle;  // newest
  std::uint32_t _half_open = 0;                       // entries in the list
  std::uint32_t _table_changes = 0;  // bumped by insert/erase: lookup results of a burst go stale
  std::uint16_t _next_ip_id = 0;
};

}  // namespace rampart::tcp
