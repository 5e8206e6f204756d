#pragma once
// Per-lcore counters. Each lcore owns one lcore_stats and is its only writer; telemetry and the
// periodic printer read it from the control thread. Counters are relaxed atomics written with a
// plain load+store (no locked RMW: there is one writer), so on x86 an increment costs what a
// plain `++` does while a reader never sees a torn value.
#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include "stats/drop_reason.hh"

// X(name, description). Events that are not drops. docs/stats.md documents every one.
#define RAMPART_EVENT_COUNTERS(X)                                                                  \
  X(rx_packets, "frames received")                                                                 \
  X(rx_bytes, "bytes received (Ethernet header included, FCS excluded)")                          \
  X(tx_packets, "frames transmitted")                                                              \
  X(tx_bytes, "bytes transmitted")                                                                 \
  X(dropped, "frames dropped, all reasons together (see drop.*)")                                  \
  X(consumed, "frames handled with nothing to send back (ARP replies to us, pure ACKs, RSTs)")     \
  X(arp_requests_answered, "ARP requests for our address that got a reply")                       \
  X(arp_neighbours_learned, "neighbour entries created or refreshed from ARP")                    \
  X(arp_gratuitous_sent, "gratuitous ARP announcements sent")                                      \
  /* Next hops of the traffic rampart originates (lib/route) */                                    \
  X(arp_requests_sent, "ARP requests sent to resolve a next hop (RFC 826)")                        \
  X(neighbour_resolutions, "next hops resolving whose ARP reply was learned (here or by another worker)") \
  X(neighbour_resolution_failures, "next hops that answered none of the ARP requests (hold-down follows)") \
  X(neighbour_frames_queued, "frames that waited for their next hop's ARP reply")                  \
  X(icmp_echo_replied, "ICMP echo requests answered")                                              \
  X(icmp_frag_needed_applied, "ICMP fragmentation needed that lowered a connection's MSS (RFC 1191, RFC 5927)") \
  X(icmp_unreachable_applied, "ICMP destination unreachable that failed an active open in SYN-SENT (RFC 1122 4.2.3.9, RFC 5461)") \
  /* ICMPv6 and Neighbor Discovery (RFC 4443, RFC 4861) */                                      \
  X(icmpv6_echo_replied, "ICMPv6 echo requests answered")                                          \
  X(ndp_solicitations_answered, "Neighbor Solicitations for our addresses answered with an advertisement (RFC 4861 7.2.4)") \
  X(ndp_address_conflicts, "Neighbor Advertisements from another node claiming one of our IPv6 addresses (RFC 4862 5.4.4)") \
  X(ndp_dad_probes_sent, "Duplicate Address Detection probes sent for our IPv6 addresses (RFC 4862 5.4.2)") \
  X(ndp_unsolicited_advertisements_sent, "unsolicited Neighbor Advertisements sent for our IPv6 addresses (RFC 4861 7.2.6)") \
  /* Apps (lib/app, docs/apps.md) */                                                               \
  X(app_state_alloc_failures, "connections aborted: the app could not allocate their state")      \
  X(echo_bytes, "bytes the echo app sent back")                                                    \
  X(echo_aborts, "echo connections aborted: the peer kept sending without reading, past the hold limit") \
  X(discard_bytes, "bytes the discard app received and dropped")                                   \
  X(http_requests, "HTTP requests answered with the configured response")                          \
  X(http_responses_400, "HTTP 400 sent (malformed request), then close")                           \
  X(http_responses_414, "HTTP 414 sent (request line longer than max_header_bytes), then close")   \
  X(http_responses_431, "HTTP 431 sent (request headers longer than max_header_bytes), then close") \
  X(http_responses_501, "HTTP 501 sent (Transfer-Encoding in a request), then close")              \
  X(http_responses_505, "HTTP 505 sent (HTTP major version other than 1), then close")             \
  X(http_aborts, "HTTP connections aborted: max_pipelined responses waiting while the client does not read") \
  X(proxy_clients_no_backend, "proxy clients refused (RST): no backend up with room (all down or at max_connections)") \
  X(proxy_clients_connect_failed, "proxy clients reset: every connect to a backend (retries included) failed") \
  X(proxy_idle_timeouts, "proxy client/backend pairs reset: no byte either way for idle_timeout_seconds") \
  X(proxy_held_aborts, "proxy pairs reset: one side sent more segments than a direction holds while the other does not read") \
  X(proxy_relay_cut, "proxy pairs reset: one side closed with bytes still held for the other, which could not take them") \
  /* TCP listener path (lib/tcp) */                                                                \
  X(tcp_syn_received, "SYNs received on a listening port")                                         \
  X(tcp_syncookies_sent, "SYN-ACKs whose ISN is a SYN cookie")                                     \
  X(tcp_syncookies_validated, "ACKs whose cookie verified (a connection was then opened or refused)") \
  X(tcp_syncookies_reordered, "of those, segments that overtook the handshake's ACK, checked with the ISN remembered from their SYN") \
  X(tcp_syncookies_entry_lost, "of those, cookies verified while auto mode answered SYNs from the backlog: a backlog entry's ISS, its entry lost (restart, expiry)") \
  X(tcp_syn_backlog_used, "SYN-ACKs answered from the stateful SYN backlog (cookie modes auto/off)") \
  X(tcp_connections_opened, "connections that reached ESTABLISHED")                                \
  X(tcp_connections_closed, "connections removed from the table (FIN close or RST)")              \
  X(tcp_rst_sent, "RST segments sent")                                                             \
  X(tcp_challenge_acks_sent, "challenge ACKs sent for in-window-but-not-exact RSTs and for SYNs on connections (RFC 5961)") \
  X(tcp_table_full_refusals, "valid handshakes refused because the connection table was full")    \
  X(tcp_cookie_bad_hash, "ACKs to a listener refused with RST: cookie hash does not verify")        \
  X(tcp_cookie_expired, "ACKs to a listener refused with RST: cookie older than the validity window") \
  X(tcp_cookie_future, "ACKs to a listener refused with RST: cookie tick ahead of the tolerated skew") \
  X(tcp_cookie_no_key, "ACKs to a listener refused with RST: the cookie epoch's key is not held")  \
  X(tcp_out_of_window_acks, "segments outside the receive window answered with an ACK (RFC 9293 3.10.7.4)") \
  X(tcp_connections_active, "gauge: connections in this lcore's table")                           \
  X(tcp_time_wait_active, "gauge: connections of this lcore's table in TIME-WAIT")                 \
  X(tcp_syn_backlog_active, "gauge: half-open entries of this lcore's SYN backlog (cookie modes auto/off)") \
  X(tcp_syncookies_in_force, "gauge: 1 while this lcore answers SYNs with cookies (always; auto past auto_threshold)") \
  X(tcp_syncookies_switched_on, "auto mode: times this lcore's backlog reached auto_threshold, so SYNs got cookies") \
  /* TCP data path */                                                                             \
  X(tcp_segments_in, "segments of known connections processed")                                   \
  X(tcp_segments_out, "segments built from scratch and handed to the port (data, ACK, FIN, RST)") \
  X(tcp_bytes_in, "payload bytes delivered in order to apps")                                       \
  X(tcp_bytes_out, "payload bytes sent, retransmissions included")                                  \
  X(tcp_retransmitted_segments, "data or FIN segments sent again (timeout, fast retransmit, probe)")              \
  X(tcp_rto_expiries, "retransmission timeouts (RFC 6298 5.4-5.6)")                                \
  X(tcp_syn_ack_retransmits, "SYN-ACKs of the stateful backlog sent again")                        \
  X(tcp_dup_acks_sent, "duplicate ACKs sent for data beyond RCV.NXT")                              \
  X(tcp_out_of_order, "segments with data or FIN beyond RCV.NXT (a hole before them), answered by a duplicate ACK") \
  X(tcp_ooo_queued, "out-of-order segments queued (all or part of their data new) until the hole fills") \
  X(tcp_ooo_lcore_budget_refused, "out-of-order segments refused: the lcore's tcp.reassembly_budget was in use") \
  X(tcp_ooo_connection_budget_refused, "out-of-order segments refused: the connection held its share of the reassembly budget") \
  X(tcp_ooo_buffers_held, "gauge: mbufs held by this lcore's out-of-order queues")                \
  X(tcp_duplicate_segments, "segments whose data (all or part) had been received already (D-SACK material)") \
  X(tcp_sack_blocks_sent, "SACK blocks sent in our ACKs, D-SACK blocks included (RFC 2018, RFC 2883)") \
  X(tcp_dsack_sent, "ACKs whose first SACK block reports a duplicate segment (D-SACK, RFC 2883)") \
  X(tcp_paws_rejected, "segments older than TS.Recent, answered by an ACK (PAWS, RFC 7323 5.3)")   \
  X(tcp_delayed_acks, "ACKs sent by the delayed-ACK timer")                                         \
  X(tcp_window_updates_sent, "ACKs sent because the app released held data and the window reopened") \
  X(tcp_zero_window_received, "ACKs that closed the peer's window to zero")                        \
  X(tcp_zero_window_probes, "zero-window probes sent (persist timer, RFC 9293 3.8.6.1)")           \
  X(tcp_send_buffer_full, "stream sends cut short because the send buffer was full")               \
  X(tcp_tx_no_buffer, "segments not built: the mbuf pool was empty (sent on a later turn)")        \
  X(tcp_tx_staging_full, "segments not built: this turn's TX staging was full (sent on a later turn)") \
  X(tcp_time_wait_reused, "SYNs that reopened a TIME-WAIT connection (RFC 6191)")                  \
  X(tcp_closed_normal, "connections closed by FIN in both directions")                               \
  X(tcp_closed_reset, "connections closed by the peer's RST")                                        \
  X(tcp_closed_timeout, "connections aborted after the retransmission limit")                        \
  X(tcp_closed_idle, "connections aborted by the listener's idle timeout")                           \
  X(tcp_closed_aborted, "connections aborted by their app (RST sent)")                               \
  X(tcp_closed_shutdown, "connections reset at engine shutdown")                                     \
  /* TCP loss recovery, congestion control, send budget (lib/tcp/loss_recovery.cc) */             \
  X(tcp_fast_retransmits, "segments sent again by fast retransmit or recovery (NewReno, SACK), not by a timeout") \
  X(tcp_recovery_episodes, "fast recoveries entered (third duplicate ACK or SACK loss, RFC 6582 / RFC 6675)") \
  X(tcp_limited_transmits, "new segments sent on the first two duplicate ACKs (RFC 3042)")          \
  X(tcp_loss_probes, "tail loss probes sent: no ACK for a probe timeout (RFC 8985 7.3)")           \
  X(tcp_loss_probe_recoveries, "losses a tail loss probe repaired, each with a cwnd reduction (RFC 8985 7.4)") \
  X(tcp_sack_blocks_received, "SACK blocks in ACKs of SACK connections (RFC 2018)")                 \
  X(tcp_dsacks_received, "D-SACK blocks received: the peer got data twice (RFC 2883)")              \
  X(tcp_spurious_retransmits, "retransmissions a D-SACK showed were not needed (RFC 2883 4)")      \
  X(tcp_sack_scoreboard_full, "SACK blocks ignored: no free scoreboard on the lcore (NewReno then)") \
  X(tcp_send_budget_refusals, "stream sends refused or cut short by the lcore's send budget (tcp.send_budget)") \
  X(tcp_persist_aborts, "connections reset: the peer held a zero window through the persist limit") \
  X(tcp_cwnd_at_close_segments, "sum of cwnd (segments) of closed connections; / samples = average") \
  X(tcp_cwnd_at_close_samples, "connections whose cwnd at close is in tcp_cwnd_at_close_segments")   \
  /* Active opens (app_host::connect, lib/tcp/active_open.cc) */                                   \
  X(tcp_connects_started, "connections apps opened: SYN sent or waiting for its next hop")         \
  X(tcp_connects_established, "of those, connections that reached ESTABLISHED (on_connected)")      \
  X(tcp_connects_refused, "of those, answered by a RST (RFC 9293 3.10.7.3): nobody listens there") \
  X(tcp_connects_timed_out, "of those, no SYN-ACK within the connect timeout or the SYN retry limit") \
  X(tcp_connects_unreachable, "of those, the next hop never answered ARP")                          \
  X(tcp_connects_abandoned, "of those, aborted by their app or the engine's stop before ESTABLISHED") \
  X(tcp_connect_no_route, "connects refused at once: the peer is off the port's subnet and no route covers it") \
  X(tcp_connect_no_port, "connects refused at once: every local port toward that peer is in use on the lcore") \
  X(tcp_connect_hold_full, "SYNs not sent: the queue of frames waiting for ARP was full (sent again by the retransmission timer)") \
  X(tcp_syn_retransmits, "SYNs of active opens sent again (RFC 6298 back-off)")                    \
  X(tcp_time_wait_recycled, "TIME-WAIT connections of ours whose 4-tuple a new active open took over (RFC 6191 timestamps)") \
  X(tcp_outbound_active, "gauge: connections apps opened, in this lcore's table")                 \
  /* Cost accounting (lib/engine/worker/worker.cc) */                                              \
  X(busy_cycles, "TSC cycles of the engine's work in loop turns that received packets (driver calls excluded)") \
  X(busy_packets, "packets received in the turns busy_cycles covers")                             \
  X(busy_turns, "loop turns that received packets and are in busy_cycles")                         \
  X(busy_turns_interrupted, "busy turns over 1 ms (preempted), left out of busy_cycles")           \
  X(worker_cycles, "TSC cycles of whole loop turns that received or sent packets: driver RX and TX, engine, timers, TX flush") \
  X(worker_turns, "loop turns that received or sent packets and are in worker_cycles")             \
  X(worker_turns_interrupted, "such turns over 1 ms (preempted), left out of worker_cycles")

// X(name, description). Per listener (listening port), per lcore: /rampart/listeners and the
// metrics' rampart_listener_* families. docs/stats.md documents every one.
#define RAMPART_LISTENER_COUNTERS(X)                                                               \
  X(accepted, "connections that reached ESTABLISHED")                                               \
  X(active, "gauge: connections in the table (half-open and TIME-WAIT included)")                 \
  X(refused, "SYNs dropped while draining or with the SYN backlog full, and valid handshakes refused because the table was full") \
  X(bytes_in, "payload bytes delivered in order to the listener's app")                             \
  X(bytes_out, "payload bytes sent, retransmissions included")

// X(name, description). Per backend of a proxy listener, per lcore: /rampart/backends and the
// metrics' rampart_backend_* families. docs/stats.md documents every one.
#define RAMPART_BACKEND_COUNTERS(X)                                                                \
  X(connects, "connections opened to the backend for clients (SYN sent), retries included")       \
  X(connected, "of those, handshakes completed")                                                   \
  X(connect_failures, "connects refused (RST), unreachable, or not started (no local port, table full)") \
  X(connect_timeouts, "connects with no SYN-ACK within connect_timeout_ms")                        \
  X(open, "gauge: client connections relayed to the backend now (connecting included)")          \
  X(bytes_to_backend, "client bytes the backend's send buffer took")                              \
  X(bytes_from_backend, "backend bytes the client's send buffer took")                            \
  X(health_up, "gauge: 1 while the health checks count the backend up (on the lcore that checks)") \
  X(went_down, "health transitions up -> down")                                                    \
  X(went_up, "health transitions down -> up")                                                      \
  X(checks_failed, "health checks that failed (refused, timed out, wrong status)")                 \
  X(draining, "gauge: 1 while /rampart/backend_drain keeps new clients off the backend (on every worker)") \
  X(removed, "gauge: 1 once a SIGHUP took the backend out of `backends`: its connections finish, it takes no new one")

namespace rampart::stats {

// Listener indexes run 0 .. max_listeners - 1 (tcp::listener_table::max_listeners, checked there).
inline constexpr std::size_t max_listeners = 255;

class counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    _value.store(_value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // For gauges (table occupancy and the like), written by the owner only.
  void set(std::uint64_t v) noexcept { _value.store(v, std::memory_order_relaxed); }
  std::uint64_t read() const noexcept { return _value.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> _value{0};
};

struct listener_stats {
#define RAMPART_X(name, description) counter name;
  RAMPART_LISTENER_COUNTERS(RAMPART_X)
#undef RAMPART_X
};

// A plain copy of one listener's counters, summed over lcores or taken from one.
struct listener_snapshot {
#define RAMPART_X(name, description) std::uint64_t name = 0;
  RAMPART_LISTENER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  void accumulate(const listener_stats& s) noexcept {
#define RAMPART_X(name, description) name += s.name.read();
    RAMPART_LISTENER_COUNTERS(RAMPART_X)
#undef RAMPART_X
  }
};

// One backend's counters on one lcore. The proxy app owns an array of them (one per backend),
// written by its lcore only and read by telemetry like the rest.
struct backend_stats {
#define RAMPART_X(name, description) counter name;
  RAMPART_BACKEND_COUNTERS(RAMPART_X)
#undef RAMPART_X
};

// A plain copy of one backend's counters, summed over lcores or taken from one.
struct backend_snapshot {
#define RAMPART_X(name, description) std::uint64_t name = 0;
  RAMPART_BACKEND_COUNTERS(RAMPART_X)
#undef RAMPART_X
  void accumulate(const backend_stats& s) noexcept {
#define RAMPART_X(name, description) name += s.name.read();
    RAMPART_BACKEND_COUNTERS(RAMPART_X)
#undef RAMPART_X
  }
};

struct alignas(64) lcore_stats {
#define RAMPART_X(name, description) counter name;
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  std::array<counter, drop_reason_count> drops;
  // By listener index (config order); 10 KiB, touched only for the listeners in use. Kept out of
  // `snapshot`, which the stats line and the counters' readers copy often.
  std::array<listener_stats, max_listeners> listeners;

  void count_drop(drop_reason reason) noexcept {
    drops[static_cast<std::size_t>(reason)].add();
    dropped.add();
  }
  std::uint64_t drops_of(drop_reason reason) const noexcept {
    return drops[static_cast<std::size_t>(reason)].read();
  }
};

inline constexpr std::size_t event_counter_count = 0
#define RAMPART_X(name, description) +1
    RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
    ;

// A plain copy of counters, summed over lcores or taken from one; what readers work with.
struct snapshot {
#define RAMPART_X(name, description) std::uint64_t name = 0;
  RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
  std::array<std::uint64_t, drop_reason_count> drops{};

  void accumulate(const lcore_stats& s) noexcept {
#define RAMPART_X(name, description) name += s.name.read();
    RAMPART_EVENT_COUNTERS(RAMPART_X)
#undef RAMPART_X
    for (std::size_t i = 0; i < drop_reason_count; ++i) {
      drops[i] += s.drops[i].read();
    }
  }
};

inline snapshot sum(std::span<const lcore_stats* const> per_lcore) noexcept {
  snapshot total;
  for (const lcore_stats* s : per_lcore) {
    total.accumulate(*s);
  }
  return total;
}

}  // namespace rampart::stats
