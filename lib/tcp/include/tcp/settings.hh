#pragma once
// What one lcore's TCP is told at start-up: the TCP settings and the listened ports. lib/tcp
// knows no configuration file: the engine fills these from the config (engine/tcp_settings.hh),
// whose schema is the one home of every configurable value and its default. Fields the config
// sets therefore have no default here; the few that are lib/tcp's own facts do.
#include <cstdint>

#include "net/addresses.hh"
#include "packet/frame.hh"

namespace rampart::tcp {

// How a listener answers SYNs (docs/syncookies.md, "Modes"):
//   always  every SYN is answered with a cookie; nothing is stored until the ACK.
//   auto    SYNs are kept in the SYN backlog (a connection in SYN-RECEIVED, every option kept)
//           while fewer than auto_threshold entries are in use; beyond it, cookies.
//   off     backlog only; a SYN that finds the backlog full is dropped (tcp_syn_backlog_full).
enum class cookie_mode : std::uint8_t { always, auto_mode, off };

// A listener's congestion control (congestion_control.hh): RFC 5681 Reno or RFC 9438 CUBIC.
enum class cc_algorithm : std::uint8_t { reno, cubic };
const char* to_string(cc_algorithm algorithm) noexcept;

// RFC 6298 retransmission timeout bounds, microseconds.
struct rto_limits {
  std::uint32_t min_us = 0;      // §2.4's floor (rampart's default is Linux's 200 ms, docs/config.md)
  std::uint32_t max_us = 0;      // §2.5: "at least 60 seconds"
  std::uint32_t initial_us = 0;  // §2.1: before any sample
};

struct tcp_settings {
  // From the config (docs/config.md, tcp.*).
  std::uint16_t mss = 0;                    // what our SYN-ACK advertises, at most port.mtu - 40
  std::uint8_t window_scale = 0;            // our shift, offered when the client offers one
  std::uint32_t receive_window = 0;         // bytes
  std::uint32_t connections = 0;            // table and pool capacity
  cookie_mode cookies = cookie_mode::always;
  std::uint32_t backlog_capacity = 0;       // auto/off: most SYN-RECEIVED entries at once
  std::uint32_t auto_threshold = 0;         // auto: cookies once this many entries are in use
  std::uint32_t send_buffer = 0;            // bytes queued per connection (stream::send bound)
  std::uint32_t send_budget = 0;            // buffers all send queues of the lcore hold together
  std::uint16_t initial_window = 0;         // segments (RFC 6928)
  bool tail_loss_probe = false;             // RFC 8985 §7 (loss_recovery.cc)
  rto_limits rto;
  std::uint8_t max_retransmissions = 0;     // RTO expiries in a row before the connection is aborted
  std::uint64_t delayed_ack_ns = 0;         // RFC 9293 §3.8.6.3: < 0.5 s
  std::uint64_t time_wait_ns = 0;
  std::uint16_t challenge_acks_per_second = 0;  // per connection (RFC 5961 §7)
  // Out-of-order data: mbufs all this lcore's queues may hold together; one connection holds at
  // most two per full-sized segment of the receive window (lcore_state::reassembly_cap).
  std::uint32_t reassembly_budget = 0;
  // Per lcore, token buckets (docs/tcp.md "Replies to unauthenticated segments"): RSTs answering
  // segments of no connection, and challenge ACKs. 0: none sent.
  std::uint32_t rst_per_second = 0;
  std::uint32_t challenge_acks_per_second_lcore = 0;

  // From the port.
  net::mac_address local_mac;               // source MAC of segments built from scratch
  net::ipv4_address local_ip;               // source address of the connections apps open
  packet::tx_offload_caps offload;          // the port's TX checksum offloads

  // lib/tcp's own.
  // A backlog entry outlives three SYN retransmissions of a client with RFC 6298's 1 s initial
  // RTO (sent at 1, 3, 7 s): 12 s.
  std::uint64_t backlog_timeout_ns = 12'000'000'000ULL;
  // Cookie SYN-ACKs remembered for segments that overtake the handshake's ACK (a power of two;
  // 12 bytes each: 48 KiB per lcore; docs/syncookies.md "Reordering").
  std::uint32_t recent_cookie_entries = 4096;
  std::uint16_t scoreboards = 4096;         // SACK scoreboards per lcore (at most the connections)
  // How long an active open's SYN waits for its SYN-ACK when the app names no timeout: SYNs at
  // 0, 1, 3, 7 s with RFC 6298's 1 s initial RTO, then give up (an app in front of a service
  // wants an answer sooner than Linux's two minutes).
  std::uint64_t connect_timeout_ns = 15'000'000'000ULL;
  // Active opens (app_host::connect): the local ports they may take (tcp.local_ports; the
  // lcore's share of them: lcore_tcp::steer_replies).
  std::uint16_t local_port_first = 0;
  std::uint16_t local_port_last = 0;
};

// One listened port (listener i of the span given to lcore_tcp has listener index i); from the
// config's listeners[] entry, as the settings above.
struct listener_settings {
  std::uint16_t port = 0;
  bool nagle = false;                       // RFC 1122 §4.2.3.4; false sends short segments at once
  std::uint64_t idle_timeout_ns = 0;        // reset a connection silent this long; 0: never
  cc_algorithm congestion = cc_algorithm::reno;
};

}  // namespace rampart::tcp
