#pragma once
// One connection as an operator sees it (the `ss` view: /rampart/connections, docs/operations.md),
// and the worker-side step that copies the connections matching a filter into a caller's buffer.
// Both are pure: plain values in, plain values out, no allocation, so the worker can run them
// between bursts and tests can run them on a scripted lcore_tcp.
#include <cstdint>
#include <optional>
#include <span>

#include "flow/connection_pool.hh"
#include "flow/flow_key.hh"
#include "tcp/tcp_state.hh"

namespace rampart::tcp {

class lcore_tcp;
struct connection;  // private to lib/tcp

struct connection_summary {
  flow::flow_key key;             // 4-tuple, host order
  tcp_state state = tcp_state::established;
  std::uint8_t listener = 0;      // listener index (config order)
  std::uint64_t age_ns = 0;       // since the entry was created (SYN backlog or cookie ACK)
  std::uint64_t bytes_in = 0;     // payload delivered in order to the app
  std::uint64_t bytes_out = 0;    // payload sent, retransmissions included
  std::uint32_t srtt_us = 0;      // RFC 6298 SRTT; 0 before the first sample
  std::uint32_t rto_us = 0;       // current RTO, back-off included
  std::uint32_t send_queue = 0;   // bytes from SND.UNA on: unacknowledged plus not yet sent
  std::uint32_t receive_queue = 0;  // received bytes the app still holds (it shrinks the window)
  std::uint32_t peer_window = 0;  // SND.WND, scaled
  // Congestion window in bytes (congestion_control.hh); nullopt for a SYN-RECEIVED entry, whose
  // congestion control starts when it opens.
  std::optional<std::uint32_t> cwnd;
  // The connection the app relays this one to (application::relay_of): the proxy's backend
  // connection of a client, and the client of a backend connection.
  std::optional<flow::flow_key> relay;
};

// Everything the listing shows about `c` at now_ns. The one place that maps the control block to
// the operator's view: a new field is one line here.
connection_summary summarize(const connection& c, std::uint64_t now_ns) noexcept;

// Which connections a listing wants; an unset field matches everything.
struct connection_filter {
  std::optional<std::uint32_t> remote_ip;    // host order
  std::optional<std::uint16_t> remote_port;
  std::optional<std::uint16_t> local_port;
  std::optional<tcp_state> state;

  bool matches(const connection& c) const noexcept;
};

// Where a listing scan of one lcore_tcp stands. The scan walks the connection pool by handle, so
// it can stop after any number of slots and resume on the next loop turn: a large table is
// listed over several turns instead of stalling one.
struct snapshot_scan {
  flow::connection_handle next = 0;  // first handle not looked at yet
  std::uint32_t written = 0;         // summaries copied into the output
  std::uint32_t matched = 0;         // connections that matched the filter, copied or not
};

// Looks at up to `budget` pool slots from scan.next: each live connection that matches `filter`
// counts in scan.matched and, while scan.written < out.size(), is summarized into
// out[scan.written++]. Returns true once every slot was looked at (the scan is complete; matched
// is then the lcore's total, which may exceed written). Owner lcore only: it reads the control
// blocks unsynchronised. No allocation.
bool snapshot_step(const lcore_tcp& tcp, const connection_filter& filter, snapshot_scan& scan,
                   std::span<connection_summary> out, std::uint32_t budget, std::uint64_t now_ns) noexcept;

}  // namespace rampart::tcp
