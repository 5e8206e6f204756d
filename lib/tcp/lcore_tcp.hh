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
  // How long a connection waits in LAST-ACK for the ACK of our FIN. There is no FIN
  // retransmission timer yet (TODO(timers)): a peer whose FIN+ACK was lost repeats its FIN and is
  // answered again; a peer whose final ACK was lost is in TIME-WAIT and sends nothing more, so
  // the entry is erased after this time instead of occupying the table for ever. 2 × MSL of
  // RFC 9293 §3.4.2's 2 minutes would outlive any retransmitted FIN; 60 s covers Linux's
  // default of 5 FIN retransmissions from a 200 ms RTO with room to spare.
  std::uint64_t last_ack_timeout_ns = 60'000'000'000ULL;
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

  // SIGTERM drain: while set, a SYN to a listener is dropped (tcp_draining) instead of answered,
  // so a balancer or a peer node takes new clients; open connections continue.
  void set_draining(bool draining) noexcept { _draining = draining; }

  // ---- Inspection (owner lcore; tests, connection dumps) ----
  // `hash` as the segments carried it (the NIC's RSS hash); the overload without uses the
  // table's software hash, right when the port gives no RSS hash (and in tests).
  const connection* find(const flow::flow_key& key, std::uint32_t hash) const noexcept;
  const connection* find(const flow::flow_key& key) const noexcept { return find(key, _table.hash(key)); }
  std::uint32_t connection_count() const noexcept { return _table.size(); }
  std::uint32_t half_open_count() const noexcept { return _backlog.size; }
  std::uint32_t last_ack_count() const noexcept { return _last_ack.size; }
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
  // What a SYN-ACK says beyond the settings: a half-open entry's fields, or a cookie's, which
  // has no entry (building a whole connection for it cost ~20 instructions a SYN,
  // docs/performance.md pass 2).
  struct syn_ack_offer {
    net::seq32 iss;
    net::seq32 rcv_nxt;
    bool window_scaling = false;  // offer our window scale (the SYN offered one)
    bool sack_permitted = false;
    bool timestamps = false;
    std::uint32_t tsval = 0;      // our TSval when timestamps
  };
  // Writes the SYN-ACK a half-open entry stands for (first answer and retransmissions alike).
  pipeline::verdict write_syn_ack(segment& seg, const connection& c) noexcept;
  pipeline::verdict write_syn_ack(segment& seg, const syn_ack_offer& offer) noexcept;
  // Inserts a control block; false (nothing changed) when the pool or table is full.
  std::optional<flow::connection_handle> insert(const connection& c, std::uint32_t hash) noexcept;
  void erase(flow::connection_handle handle) noexcept;
  // A FIFO of connections that wait out one fixed timeout, linked through their control blocks
  // (connection::expiry_prev/next; a connection is in at most one list, given by its state):
  // SYN-RECEIVED entries (the backlog) and LAST-ACK ones. One timeout per list keeps the head the
  // first to expire, so joining, leaving and expiring are O(1) per entry.
  struct expiry_list {
    flow::connection_handle head = no_handle;  // oldest
    flow::connection_handle tail = no_handle;  // newest
    std::uint32_t size = 0;
  };
  void list_push(expiry_list& list, flow::connection_handle handle, std::uint64_t expires_ns) noexcept;
  void list_remove(expiry_list& list, flow::connection_handle handle) noexcept;
  // Erases the entries of `list` whose time has come, oldest first.
  void expire(expiry_list& list, std::uint64_t now_ns) noexcept;
  // Called once per burst: the timeouts of both lists.
  void expire_timed_out(std::uint64_t now_ns) noexcept;
  std::uint32_t initial_sequence(const flow::flow_key& key, std::uint64_t now_ns) const noexcept;
  std::uint16_t ip_id() noexcept { return _next_ip_id++; }

  tcp_settings _settings;
  stats::lcore_stats& _stats;
  listener_table _listeners;
  cookie::key_set _keys;
  cookie::siphash_key _isn_key;  // RFC 6528 F() for backlog ISNs; random per lcore
  flow::flow_table _table;
  flow::connection_pool<connection> _pool;
  expiry_list _backlog;   // SYN-RECEIVED, in SYN order (cookie modes auto/off)
  expiry_list _last_ack;  // LAST-ACK, in the order our FINs went out
  std::uint32_t _table_changes = 0;  // bumped by insert/erase: lookup results of a burst go stale
  std::uint16_t _next_ip_id = 0;
  bool _draining = false;
};

}  // namespace rampart::tcp
