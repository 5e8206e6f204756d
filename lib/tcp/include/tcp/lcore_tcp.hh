#pragma once
// Everything one worker lcore owns for TCP: the listened ports and their apps, the connection
// table and pool, the timer wheel, the SYN cookie keys, and the lcore's buffer pool and frame
// sink. Built at start-up (it allocates), then used by its lcore only: tcp_input_burst
// (tcp_input.hh) and poll() are the hot path, update_keys the one way new cookie keys arrive.
// Nothing here needs a running EAL.
//
// The work is split by step, one file each:
//   listen_input.cc       segments with no connection: RFC 9293 §3.10.7.1-2, SYN cookies
//   connection_input.cc   the state machine of a known connection, §3.10.7.4
//   connection_output.cc  what a connection sends: data, ACKs, FIN, RST, probes (§3.8, §3.10.4)
//   connection_timers.cc  retransmission, delayed ACK, persist, idle, TIME-WAIT, backlog expiry
//   loss_recovery.cc      congestion window, fast retransmit, NewReno and SACK recovery, the send
//                         budget's waiters (congestion_control.cc, sack_scoreboard.cc: the maths)
//   tcp_stream.cc         the stream handle apps call (stream.hh)
//
// Cookie modes (config: tcp.syn_cookies.mode):
//   always  every SYN to a listener is answered with a cookie; nothing is stored until the ACK.
//   auto    SYNs are kept in the SYN backlog (a connection in SYN-RECEIVED, every option kept)
//           while fewer than auto_threshold entries are in use; beyond it, cookies.
//   off     backlog only; a SYN that finds the backlog full is dropped (tcp_syn_backlog_full).
// Backlog entries retransmit their SYN-ACK (RFC 6298 back-off from the initial RTO) and expire
// backlog_timeout after their SYN. Every cookie SYN-ACK is also noted in a small fixed memory
// (recent_cookies.hh) so that a data segment overtaking the handshake's ACK can be checked.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "config/config.hh"
#include "cookie/key_set.hh"
#include "cookie/siphash.hh"
#include "flow/connection_pool.hh"
#include "flow/flow_table.hh"
#include "net/addresses.hh"
#include "net/icmp.hh"
#include "net/tcp_header.hh"
#include "packet/buffer.hh"
#include "packet/frame.hh"
#include "packet/tcp_batch.hh"
#include "stats/counters.hh"
#include "tcp/connection.hh"
#include "tcp/listener_table.hh"
#include "tcp/reassembly.hh"
#include "tcp/recent_cookies.hh"
#include "tcp/sack_scoreboard.hh"
#include "tcp/send_budget.hh"
#include "tcp/stream.hh"
#include "tcp/token_bucket.hh"
#include "timer/timer_wheel.hh"

namespace rampart::cookie {
struct accepted_cookie;  // syn_cookie.hh
}  // namespace rampart::cookie

namespace rampart::tcp {

struct segment;  // segment.hh: one validated segment of the burst being processed

// The TCP part of the config, resolved once at start-up.
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
  // Cookie SYN-ACKs remembered for segments that overtake the handshake's ACK (a power of two;
  // 12 bytes each: 48 KiB per lcore at the default; docs/syncookies.md "Reordering").
  std::uint32_t recent_cookie_entries = recent_cookies::default_entries;
  std::uint32_t send_buffer = 256 * 1024;   // bytes queued per connection (stream::send bound)
  std::uint32_t send_budget = 4096;         // buffers all send queues of the lcore hold together
  std::uint16_t initial_window = 10;        // segments (RFC 6928)
  bool tail_loss_probe = true;              // RFC 8985 §7 (loss_recovery.cc)
  std::uint16_t scoreboards = 4096;         // SACK scoreboards per lcore (at most the connections)
  rto_limits rto;
  std::uint8_t max_retransmissions = 10;    // RTO expiries in a row before the connection is aborted
  std::uint64_t delayed_ack_ns = 40'000'000ULL;  // RFC 9293 §3.8.6.3: < 0.5 s; Linux uses 40 ms
  std::uint64_t time_wait_ns = 60'000'000'000ULL;
  std::uint16_t challenge_acks_per_second = 10;  // per connection (RFC 5961 §7)
  // Out-of-order data (reassembly.hh): mbufs all this lcore's queues may hold together
  // (tcp.reassembly_budget); one connection holds at most two per full-sized segment of the
  // receive window (reassembly_cap()).
  std::uint32_t reassembly_budget = 2048;
  // Per lcore, token buckets (token_bucket.hh; docs/tcp.md "Replies to unauthenticated
  // segments"): RSTs answering segments of no connection, and challenge ACKs. 0: none sent.
  std::uint32_t rst_per_second = 1000;
  std::uint32_t challenge_acks_per_second_lcore = 1000;
  net::mac_address local_mac;               // source MAC of segments built from scratch
  packet::tx_offload_caps offload;          // the port's TX checksum offloads

  // From the config (mss clamped to port.mtu - 40, RFC 9293 §3.7.1). Listeners come separately.
  static tcp_settings from_config(const config::tcp_config& tcp, std::uint16_t mtu,
                                  packet::tx_offload_caps offload) noexcept;
};

class lcore_tcp {
 public:
  // Allocates the table, the pool, the timer wheel and the recent cookie memory (start-up only). Listener i of
  // `listeners` gets listener index i. Throws std::invalid_argument for more than
  // listener_table::max_listeners listeners, a duplicate port or a recent_cookie_entries that is
  // not a power of two in [2, 2^24], std::bad_alloc, and
  // cookie::key_error when isn_key is nullopt and getrandom fails. `seed` keys the table's
  // software hash, `isn_key` the backlog's ISNs (nullopt: random; tests pass both to reproduce).
  // now_ns starts the timer wheel.
  lcore_tcp(const tcp_settings& settings, std::span<const config::listener_config> listeners,
            stats::lcore_stats& stats, std::optional<flow::hash_seed> seed = std::nullopt,
            std::optional<cookie::siphash_key> isn_key = std::nullopt, std::uint64_t now_ns = 0);
  lcore_tcp(const lcore_tcp&) = delete;
  lcore_tcp& operator=(const lcore_tcp&) = delete;
  ~lcore_tcp();

  // Start-up wiring. Without buffers and a sink the connections cannot send anything beyond
  // in-place replies (segments they would build are counted as tx_no_buffer); without an app a
  // listener's connections discard their data.
  void attach_io(packet::buffer_pool& buffers, packet::frame_sink& sink) noexcept {
    _buffers = &buffers;
    _sink = &sink;
    _send_pool.attach(buffers, _settings.send_budget);
  }
  void set_application(std::uint8_t listener, application* app) noexcept { _listener_info[listener].app = app; }

  // Replaces the cookie keys by value (the control thread ships a key_set through the worker's
  // queue; the worker calls this between bursts). No lock, no allocation.
  void update_keys(const cookie::key_set& keys) noexcept { _keys = keys; }

  // SIGTERM drain: while set, a SYN to a listener is dropped (tcp_draining) instead of answered,
  // so a balancer or a peer node takes new clients; open connections continue.
  void set_draining(bool draining) noexcept { _draining = draining; }

  // Once per worker loop turn, with or without received frames: fires due timers
  // (retransmission, delayed ACK, persist, idle, TIME-WAIT, backlog expiry).
  void poll(std::uint64_t now_ns) noexcept;

  // Engine stop: connections are reset (RST to the peer, so it does not wait for a timeout),
  // their apps told close_reason::shutdown, their buffers released (TIME-WAIT entries, closed on
  // both sides already, are erased without a RST and counted as closed); at most `limit` resets per
  // call, so the caller can send each batch of RSTs before the frame sink fills. Returns how
  // many connections remain; the table is empty once it returns 0.
  std::uint32_t shutdown(std::uint64_t now_ns, std::uint32_t limit = UINT32_MAX) noexcept;

  // An ICMP error quoting one of our TCP segments (the pipeline parsed and checked the quote:
  // net::parse_icmp_quoted_tcp, source our address). Fragmentation needed (RFC 1191) for a
  // sequence number in flight (RFC 5927 §4.1) lowers the connection's MSS and sends what is in
  // flight again at the new size (icmp_error_input.cc). Returns consume (counted
  // icmp_frag_needed_applied) or a drop: icmp_error_ignored (every other error: RFC 5927 §4.2
  // soft errors, source quench), icmp_frag_needed_no_connection, icmp_frag_needed_not_in_flight,
  // icmp_frag_needed_bad_mtu, icmp_frag_needed_not_smaller. The caller counts the verdict.
  packet::verdict icmp_error_input(const net::icmp_quoted_tcp& quote, std::uint64_t now_ns) noexcept;

  // ---- Inspection (owner lcore; tests, connection dumps) ----
  // `hash` as the segments carried it (the NIC's RSS hash); the overload without uses the
  // table's software hash, right when the port gives no RSS hash (and in tests).
  const connection* find(const flow::flow_key& key, std::uint32_t hash) const noexcept;
  const connection* find(const flow::flow_key& key) const noexcept { return find(key, _table.hash(key)); }
  // The control block of pool slot h, or null when the slot is free (connection listing).
  const connection* connection_at(flow::connection_handle h) const noexcept {
    return _pool.is_live(h) ? &_pool[h] : nullptr;
  }
  std::uint32_t connection_count() const noexcept { return _table.size(); }
  std::uint32_t half_open_count() const noexcept { return _backlog_size; }
  const tcp_settings& settings() const noexcept { return _settings; }
  const flow::flow_table& table() const noexcept { return _table; }
  std::uint64_t armed_timers() const noexcept { return _timers.armed_count(); }
  // Buffers held by out-of-order queues, and the most one connection may hold.
  std::uint32_t reassembly_in_use() const noexcept { return _reassembly.in_use(); }
  std::uint16_t reassembly_cap() const noexcept { return _reassembly_cap; }
  const send_budget& send_buffers() const noexcept { return _send_pool; }
  // The SACK scoreboard a connection holds, or nullptr.
  const sack_scoreboard* scoreboard_of(const connection& c) const noexcept {
    return c.scoreboard == no_scoreboard ? nullptr : &_scoreboards[c.scoreboard];
  }
  std::uint32_t scoreboards_in_use() const noexcept { return _scoreboards.in_use(); }
  const recent_cookies& recent_cookie_memory() const noexcept { return _recent_cookies; }

 private:
  friend void tcp_input_burst(lcore_tcp&, std::span<packet::frame>, std::span<packet::verdict>,
                              std::span<const packet::tcp_segment>, std::uint64_t) noexcept;
  friend class tcp_stream;

  struct listener_info {
    application* app = nullptr;
    bool nagle = true;
    std::uint64_t idle_timeout_ns = 0;  // 0: none
    cc_algorithm congestion = cc_algorithm::cubic;
  };

  // ---- listen_input.cc ----
  packet::verdict listen_input(segment& seg, std::uint64_t now_ns) noexcept;
  packet::verdict answer_syn(segment& seg, std::uint64_t now_ns) noexcept;
  packet::verdict open_from_cookie(segment& seg, std::uint64_t now_ns) noexcept;
  // The connection of a verified cookie: IRS = irs (RCV.NXT = irs + 1), the options the cookie
  // restores, TS.Recent = ts_recent, SND.* from SEG.ACK; then seg's data, FIN or hole goes to
  // connection_input. RST when the table is full (counted).
  packet::verdict open_accepted_cookie(segment& seg, const cookie::accepted_cookie& accepted, net::seq32 irs,
                                       std::uint32_t ts_recent, std::uint64_t now_ns) noexcept;
  // <SEQ=SEG.ACK><CTL=RST> (or RST,ACK) written over the segment's frame (reset_for), if the
  // lcore's RST budget has a token; else drop tcp_rst_rate_limited.
  packet::verdict answer_with_reset(segment& seg, std::uint64_t now_ns) noexcept;
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
    std::uint32_t tsecr = 0;      // the SYN's TSval
  };
  packet::verdict write_syn_ack(segment& seg, const syn_ack_offer& offer) noexcept;
  static syn_ack_offer offer_of(const connection& c, std::uint64_t now_ns) noexcept;

  // ---- connection_input.cc ----
  packet::verdict connection_input(segment& seg, flow::connection_handle handle, std::uint64_t now_ns) noexcept;
  // In-order data to the app; false when the app aborted the connection meanwhile.
  bool deliver(connection& c, flow::connection_handle handle, const data_view& view, std::uint64_t now_ns) noexcept;
  packet::verdict challenge_ack(segment& seg, connection& c, std::uint64_t now_ns) noexcept;
  // An ACK-carrying segment <SEQ=seq><ACK=RCV.NXT> written over the segment's own frame.
  packet::verdict reply_in_place(segment& seg, connection& c, std::uint8_t flags, net::seq32 seq,
                                 std::uint64_t now_ns) noexcept;
  // ESTABLISHED reached (from SYN-RECEIVED or a cookie): app on_open. False: the app aborted.
  bool open(connection& c, flow::connection_handle handle, std::uint64_t now_ns) noexcept;
  // §3.10.7.4 eighth check: the FIN at RCV.NXT. False: the app aborted the connection.
  bool take_fin(connection& c, flow::connection_handle handle, std::uint64_t now_ns) noexcept;
  // Both directions closed after we closed first: TIME-WAIT for time_wait_ns (RFC 9293 §3.6).
  void enter_time_wait(connection& c, flow::connection_handle handle, std::uint64_t now_ns) noexcept;
  // The app's stream ends (on_close), whether or not the control block stays (TIME-WAIT).
  void notify_closed(connection& c, flow::connection_handle handle, close_reason reason) noexcept;

  // ---- connection_reassembly.cc ----
  // Data (or a FIN) beyond RCV.NXT: queued when the budgets allow, answered by an immediate
  // duplicate ACK (RFC 5681 §4.2) with SACK blocks; refused (not acknowledged, counted) past a
  // budget, so the peer sends it again.
  packet::verdict queue_out_of_order(segment& seg, connection& c, std::uint64_t now_ns) noexcept;
  // Delivers the queued data RCV.NXT reached, and a queued FIN after it. False: the connection is gone.
  bool deliver_queued(connection& c, flow::connection_handle handle, std::uint64_t now_ns) noexcept;
  // [left, right) arrived again: reported as a D-SACK block by the connection's next ACK (RFC 2883).
  void note_duplicate(const connection& c, net::sack_block duplicate) noexcept;
  // SACK blocks of the next ACK of c (RFC 2018 §4, RFC 2883 §4) as fit in `room` option bytes.
  void add_sack_blocks(const connection& c, net::tcp_options& options, std::uint32_t room) noexcept;
  void release_queue(connection& c) noexcept;

  // ---- connection_output.cc ----
  // Sends what the connection may send now: data within the peer's window and the congestion
  // rules (Nagle), our FIN once the queue is drained, and an ACK when one is owed (ack_now).
  void output(connection& c, std::uint64_t now_ns, bool ack_now) noexcept;
  // One segment in a fresh buffer to the sink: `length` bytes of the send queue from `offset`
  // (bytes after SND.UNA). False when no buffer or no sink room (counted; nothing changed).
  bool send_segment(connection& c, net::seq32 seq, std::uint8_t flags, std::uint32_t offset,
                    std::uint32_t length, std::uint64_t now_ns, const net::tcp_options* options = nullptr) noexcept;
  void send_syn_ack(connection& c, std::uint64_t now_ns) noexcept;
  std::uint16_t advertised_window(connection& c) const noexcept;
  std::uint16_t effective_mss(const connection& c) const noexcept;

  // ---- loss_recovery.cc ----
  // ESTABLISHED: the initial window (RFC 6928).
  void start_congestion_control(connection& c) noexcept;
  // An acceptable ACK in a synchronized state, after SND.UNA and the window were updated:
  // SACK blocks, duplicate ACKs, fast retransmit, NewReno/SACK recovery, cwnd growth.
  void loss_recovery_ack(connection& c, const segment& seg, net::seq32 prior_una, std::uint32_t prior_wnd,
                         std::uint64_t now_ns) noexcept;
  // Bytes beyond SND.NXT that congestion control lets output() send now; in SACK recovery it
  // first retransmits what NextSeg picks (RFC 6675 §5 (C)).
  std::uint32_t congestion_room(connection& c, std::uint64_t now_ns) noexcept;
  // A new segment of `length` bytes left at SND.NXT (SACK recovery counts it in pipe).
  void sent_new_data(connection& c, std::uint32_t length) noexcept;
  // RFC 5681 §3.1 / RFC 6298 §5: the retransmission timer expired (before go-back-N).
  void loss_recovery_timeout(connection& c) noexcept;
  // The connection leaves the table: scoreboard back to the pool, cwnd counted.
  void loss_recovery_close(connection& c) noexcept;
  // A send refused by the budget: on_writable once buffers return (poll).
  void wait_for_send_budget(connection& c, flow::connection_handle handle) noexcept;
  void wake_send_budget_waiters(std::uint64_t now_ns) noexcept;
  void drop_scoreboard(connection& c) noexcept;
  void in_recovery_ack(connection& c, std::uint32_t acked, bool duplicate, std::uint32_t mss,
                       std::uint64_t now_ns) noexcept;
  void enter_recovery(connection& c, sack_scoreboard* board, std::uint32_t mss, std::uint64_t now_ns) noexcept;
  // Fast retransmission of the first unacknowledged segment (counted).
  void retransmit_head(connection& c, std::uint32_t mss, std::uint64_t now_ns) noexcept;
  // RFC 8985 §7.2: arms retransmit_at as a probe timeout when a tail loss probe may go, and
  // returns false (the caller arms the RTO) when not.
  bool arm_tail_loss_probe(connection& c, std::uint64_t now_ns) noexcept;
  bool may_probe_tail(const connection& c) const noexcept;
  static bool tail_loss_probe_armed(const connection& c) noexcept;
  // retransmit_at is no longer a probe's (arm_retransmission_timeout, a probe that fired).
  static void cancel_tail_loss_probe(connection& c) noexcept;
  // retransmit_at fired: true when it was a probe timeout, now handled (§7.3: the probe is
  // sent and the RTO armed).
  bool tail_loss_probe_fired(connection& c, std::uint64_t now_ns) noexcept;
  // An ACK during a probe episode (§7.4): closes it, with a cwnd reduction when the probe
  // repaired a loss.
  void tail_loss_probe_ack(connection& c, sack_scoreboard& board, net::seq32 ack, bool dsack) noexcept;

  // ---- connection_timers.cc ----
  void on_timer(connection& c, flow::connection_handle handle, std::uint64_t now_ns) noexcept;
  void rearm(connection& c) noexcept;
  void start_retransmit_timer(connection& c, std::uint64_t now_ns) noexcept;
  // retransmit_at = now + RTO, as the RTO or the persist timer, never a probe timeout.
  void arm_retransmission_timeout(connection& c, std::uint64_t now_ns) noexcept;
  void touch_idle(connection& c, std::uint64_t now_ns) noexcept;

  // ---- lifetime (lcore_tcp.cc) ----
  // A fresh control block in the table for seg's flow, or nullopt when the pool or table is full.
  std::optional<flow::connection_handle> insert(const segment& seg, tcp_state state, std::uint64_t now_ns) noexcept;
  // Removes the connection: app on_close(reason) when it was open, buffers released, timer
  // cancelled, table entry erased.
  void erase(flow::connection_handle handle, close_reason reason) noexcept;
  // Sends <SEQ=SND.NXT><CTL=RST> from scratch and erases (app abort, retry limit, idle).
  void reset_and_erase(connection& c, flow::connection_handle handle, close_reason reason, std::uint64_t now_ns) noexcept;
  // Runs an app callback, then an abort it asked for (tcp_stream.hh). False: the connection is gone.
  template <class Callback>
  bool call_app(connection& c, flow::connection_handle handle, std::uint64_t now_ns, Callback&& callback) noexcept;
  application* app_of(const connection& c) const noexcept { return _listener_info[c.listener].app; }
  std::uint32_t initial_sequence(const flow::flow_key& key, std::uint64_t now_ns) const noexcept;
  std::uint16_t ip_id() noexcept { return _next_ip_id++; }

  tcp_settings _settings;
  stats::lcore_stats& _stats;
  listener_table _listeners;
  std::array<listener_info, listener_table::max_listeners> _listener_info{};
  cookie::key_set _keys;
  recent_cookies _recent_cookies;  // cookie SYN-ACKs sent, for segments overtaking their ACK
  cookie::siphash_key _isn_key;  // RFC 6528 F() for backlog ISNs; random per lcore
  flow::flow_table _table;
  flow::connection_pool<connection> _pool;
  timer::timer_wheel _timers;
  reassembly_pool _reassembly;
  std::uint16_t _reassembly_cap = 0;           // nodes per connection
  const connection* _dsack_for = nullptr;      // the connection whose next ACK reports _dsack
  const connection* _sack_cut_for = nullptr;   // its last segment had no room for every SACK block
  net::sack_block _dsack;
  packet::buffer_pool* _buffers = nullptr;
  packet::frame_sink* _sink = nullptr;
  send_budget _send_pool;            // what send queues allocate from (tcp.send_budget)
  scoreboard_pool _scoreboards;
  // Connections refused by the send budget, woken in order once buffers return: a ring of
  // handles sized to the table (a connection is in it at most once, recovery_flag::budget_wait).
  std::vector<flow::connection_handle> _budget_waiters;
  std::uint32_t _budget_waiters_head = 0;
  std::uint32_t _budget_waiters_count = 0;
  std::uint64_t _budget_releases_seen = 0;  // _send_pool.releases() at the last wake-up
  std::uint32_t _backlog_size = 0;   // connections in SYN-RECEIVED
  std::uint32_t _table_changes = 0;  // bumped by insert/erase: lookup results of a burst go stale
  std::uint16_t _next_ip_id = 0;
  // Per-lcore budgets of replies to unauthenticated segments (never one budget across lcores).
  token_bucket _rst_budget;
  token_bucket _challenge_budget;
  // Set while an app callback runs for a connection: stream calls that would free it (abort,
  // or a close that completes it) are deferred until the callback returns.
  flow::connection_handle _in_callback = no_handle;
  bool _abort_requested = false;
  bool _in_on_close = false;
  bool _draining = false;
};

}  // namespace rampart::tcp
