#pragma once
// One worker lcore's TCP, as the engine sees it: built at start-up (it allocates), then driven by
// its lcore only: tcp_input_burst (tcp_input.hh) and poll() are the hot path, update_keys the one
// way new cookie keys arrive. Nothing here needs a running EAL.
//
// This class owns the lcore's state (lcore_state.hh, private to lib/tcp) and is its public face;
// the protocol itself is written as functions of that state, one file per step (docs/tcp.md).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "cookie/key_set.hh"
#include "cookie/siphash.hh"
#include "flow/flow_key.hh"
#include "flow/flow_table.hh"
#include "flow/rss_steering.hh"
#include "net/icmp.hh"
#include "packet/buffer.hh"
#include "packet/frame.hh"
#include "stats/counters.hh"
#include "tcp/next_hop.hh"
#include "tcp/settings.hh"
#include "tcp/stream.hh"

namespace rampart::tcp {

// Private to lib/tcp; tests and benchmarks may include them (rampart_tcp_internal_dep).
struct lcore_state;
struct connection;
class send_budget;
class sack_scoreboard;
class recent_cookies;
class lcore_app_host;

class lcore_tcp {
 public:
  // Allocates the table, the pool, the timer wheel and the recent cookie memory (start-up only).
  // Listener i of `listeners` gets listener index i. Throws std::invalid_argument for more than
  // 255 listeners, a duplicate port or a recent_cookie_entries that is not a power of two in
  // [2, 2^24], std::bad_alloc, and cookie::key_error when isn_key is nullopt and getrandom fails.
  // `seed` keys the table's software hash, `isn_key` the backlog's ISNs (nullopt: random; tests
  // pass both to reproduce). now_ns starts the timer wheel.
  lcore_tcp(const tcp_settings& settings, std::span<const listener_settings> listeners, stats::lcore_stats& stats,
            std::optional<flow::hash_seed> seed = std::nullopt,
            std::optional<cookie::siphash_key> isn_key = std::nullopt, std::uint64_t now_ns = 0);
  lcore_tcp(const lcore_tcp&) = delete;
  lcore_tcp& operator=(const lcore_tcp&) = delete;
  ~lcore_tcp();

  // Start-up wiring. Without buffers and a sink the connections cannot send anything beyond
  // in-place replies (segments they would build are counted as tx_no_buffer); without an app a
  // listener's connections discard their data.
  void attach_io(packet::buffer_pool& buffers, packet::frame_sink& sink) noexcept;
  // The listener's app on this lcore; it is attached (application::attach) to its app_host here.
  void set_application(std::uint8_t listener, application* app) noexcept;
  // How connections apps open reach their peers (next_hop.hh); without one, connect() finds no
  // route.
  void set_next_hop_resolver(next_hop_resolver* resolver) noexcept;
  // How replies to connections apps open reach this lcore: with RSS, only local ports whose
  // replies the NIC hashes to this lcore's queue are used (and connections are inserted under
  // that hash); without, this lcore's slice (lcore_index of lcore_count) of settings' local port
  // range. Until called: no RSS, the whole range. Start-up only (allocates); throws as
  // flow::local_port_pool does. `seed` keys the order ports are tried in (RFC 6056; random
  // when nullopt).
  void steer_replies(const flow::rss_steering& steering, std::uint32_t lcore_index, std::uint32_t lcore_count,
                     std::optional<flow::hash_seed> seed = std::nullopt);

  // Replaces the cookie keys by value (the control thread ships a key_set through the worker's
  // queue; the worker calls this between bursts). No lock, no allocation.
  void update_keys(const cookie::key_set& keys) noexcept;

  // SIGTERM drain: while set, a SYN to a listener is dropped (tcp_draining) instead of answered,
  // so a balancer or a peer node takes new clients; open connections continue.
  void set_draining(bool draining) noexcept;

  // Once per worker loop turn, with or without received frames: fires due timers
  // (retransmission, delayed ACK, persist, idle, TIME-WAIT, backlog expiry, connect timeout, the
  // apps' timers) and wakes connections waiting for the send budget.
  void poll(std::uint64_t now_ns) noexcept;

  // The port's link is up again after being down (the engine learns it from the port): every
  // connection whose retransmission or persist timer backed off while the link refused its
  // frames sends at the next poll(now_ns or later), then follows its normal timers
  // (connection_timers.hh, retry_after_link_outage). Touches every connection slot: call it on a
  // link change, not per turn.
  void link_restored(std::uint64_t now_ns) noexcept;

  // Engine stop: connections are reset (RST to the peer, so it does not wait for a timeout),
  // their apps told close_reason::shutdown, their buffers released (TIME-WAIT entries, closed on
  // both sides already, and backlog entries whose ISS is a SYN cookie, which their client's ACK
  // may still open on the next engine, are erased without a RST and counted as closed); at most
  // `limit` resets per call, so the caller can send each batch of RSTs before the frame sink
  // fills. Returns how many connections remain; the table is empty once it returns 0.
  std::uint32_t shutdown(std::uint64_t now_ns, std::uint32_t limit = UINT32_MAX) noexcept;

  // An ICMP error quoting one of our TCP segments (the pipeline parsed and checked the quote:
  // net::parse_icmp_quoted_tcp, source our address). Fragmentation needed (RFC 1191) for a
  // sequence number in flight (RFC 5927 §4.1) lowers the connection's MSS and sends what is in
  // flight again at the new size; another destination unreachable about the SYN of an active
  // open in SYN-SENT fails it (icmp_error_input.cc). Returns consume (counted
  // icmp_frag_needed_applied, icmp_unreachable_applied) or a drop: icmp_error_ignored (every
  // other error: RFC 5927 §4.2 soft errors, source quench), icmp_frag_needed_no_connection,
  // icmp_frag_needed_not_in_flight, icmp_unreachable_not_in_flight, icmp_frag_needed_bad_mtu,
  // icmp_frag_needed_not_smaller. The caller counts the verdict.
  packet::verdict icmp_error_input(const net::icmp_quoted_tcp& quote, std::uint64_t now_ns) noexcept;

  // The state the datapath functions run on (tcp_input_burst, the pipeline's handlers).
  lcore_state& state() noexcept { return *_state; }
  const lcore_state& state() const noexcept { return *_state; }

  // ---- Inspection (owner lcore; the connection listing, tests) ----
  // `hash` as the segments carried it (the NIC's RSS hash); the overload without uses the
  // table's software hash, right when the port gives no RSS hash (and in tests).
  const connection* find(const flow::flow_key& key, std::uint32_t hash) const noexcept;
  const connection* find(const flow::flow_key& key) const noexcept;
  // The control block of pool slot h, or null when the slot is free (connection listing).
  const connection* connection_at(flow::connection_handle h) const noexcept;
  std::uint32_t connection_count() const noexcept;
  std::uint32_t half_open_count() const noexcept;
  const tcp_settings& settings() const noexcept;
  const flow::flow_table& table() const noexcept;
  std::uint64_t armed_timers() const noexcept;
  // Buffers held by out-of-order queues, and the most one connection may hold.
  std::uint32_t reassembly_in_use() const noexcept;
  std::uint16_t reassembly_cap() const noexcept;
  const send_budget& send_buffers() const noexcept;
  // The SACK scoreboard a connection holds, or nullptr.
  const sack_scoreboard* scoreboard_of(const connection& c) const noexcept;
  std::uint32_t scoreboards_in_use() const noexcept;
  const recent_cookies& recent_cookie_memory() const noexcept;

 private:
  std::unique_ptr<lcore_state> _state;
  std::vector<std::unique_ptr<lcore_app_host>> _hosts;  // one per listener
};

}  // namespace rampart::tcp
