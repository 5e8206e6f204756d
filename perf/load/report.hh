#pragma once
// The numbers rampart-load reports and their JSON: per-second samples, the final report, the
// progress line, latency summaries, the rate check, and the engine's telemetry replies read
// into flat name → value maps.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client.hh"
#include "histogram.hh"

namespace rampart::load {

// The generator's own counters, monotonic over the run.
struct traffic_counters {
  std::uint64_t syn_offered = 0;    // flood SYNs accepted by the TX queue
  std::uint64_t syn_refused = 0;    // flood SYNs the TX queue refused (freed; with retries, sent again)
  std::uint64_t ack_offered = 0;    // flood ACKs accepted by the TX queue
  std::uint64_t ack_refused = 0;
  std::uint64_t syn_acks = 0;       // SYN-ACKs to a flood source (answers to the SYN flood)
  std::uint64_t rsts = 0;           // RSTs to a flood source (answers to the ACK flood, mostly)
  std::uint64_t flood_other = 0;    // other TCP segments to a flood source
  std::uint64_t ping_offered = 0;   // flood echo requests accepted by the TX queue
  std::uint64_t ping_refused = 0;
  std::uint64_t echo_replies = 0;   // echo replies to a flood source (answers to the ping flood)
  std::uint64_t client_tx_refused = 0;  // --drop-on-full: client segments and ARP replies refused, dropped
  std::uint64_t legit_syn_refused = 0;  // of which the clients' SYNs (first or retransmitted)
  std::uint64_t client_tx_dropped = 0;  // without it: client frames dropped after waiting for a full queue
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_malformed = 0;   // bad length or checksum
  std::uint64_t rx_unmatched = 0;   // TCP to our address but no active client on that port
  std::uint64_t arp_answered = 0;   // ARP requests for our or a flood address we replied to
  std::uint64_t mbuf_exhausted = 0; // loop turns that could not allocate frames
  std::uint64_t rx_missed = 0;      // frames our own port dropped on receive (ethdev imissed):
                                    // answers lost in the generator, not by the target
};

// What became of one kind of flood traffic. Every frame the generator built was attempted; the
// link (the TX queue) accepted or refused it; an accepted one was answered or not. Lost =
// attempted - answered = refused + unanswered. Over one second an answer may arrive in the next
// second, so unanswered (and lost) can dip below zero there; over the run they cannot, unless
// the target answers more than once.
struct flow_fate {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
  std::uint64_t answered = 0;
  std::uint64_t attempted() const noexcept { return accepted + refused; }
  std::int64_t unanswered() const noexcept { return static_cast<std::int64_t>(accepted - answered); }
  std::int64_t lost() const noexcept { return static_cast<std::int64_t>(attempted() - answered); }
};
inline flow_fate syn_flood_fate(const traffic_counters& t) noexcept { return {t.syn_offered, t.syn_refused, t.syn_acks}; }
inline flow_fate ack_flood_fate(const traffic_counters& t) noexcept { return {t.ack_offered, t.ack_refused, t.rsts}; }
inline flow_fate ping_flood_fate(const traffic_counters& t) noexcept {
  return {t.ping_offered, t.ping_refused, t.echo_replies};
}

// The engine's cost-accounting reading: telemetry /rampart/cost, and tx_packets from
// /rampart/stats (the answers the worker cost is divided by).
struct engine_cost_reading {
  std::uint64_t tsc_hz = 0;
  std::uint64_t uptime_cycles = 0;
  std::uint64_t workers = 0;
  std::uint64_t busy_cycles = 0;
  std::uint64_t busy_packets = 0;
  std::uint64_t worker_cycles = 0;
  std::uint64_t tx_packets = 0;
};

// Over an interval: the engine's own cost (busy_cycles ÷ packets received) and the whole
// worker's (worker_cycles ÷ frames sent: driver RX and TX, timers, TX flush included).
struct engine_cost_delta {
  double cycles_per_packet = 0;
  double busy_fraction = 0;
  std::uint64_t packets = 0;
  double worker_cycles_per_answer = 0;
  double worker_busy_fraction = 0;
  std::uint64_t answers = 0;  // the engine's tx_packets
};
engine_cost_delta cost_between(const engine_cost_reading& before, const engine_cost_reading& after) noexcept;

// Every number in a JSON text, by dotted path ("drops.ipv4_bad_checksum"); strings, booleans
// and arrays are skipped. nullopt when the text is not a JSON object.
std::optional<std::map<std::string, std::uint64_t>> flatten_json_numbers(std::string_view json);

// The /rampart/cost reply's fields and /rampart/stats' tx_packets, both flattened into `reply`;
// nullopt when one is missing.
std::optional<engine_cost_reading> cost_from_reply(const std::map<std::string, std::uint64_t>& reply);

// |offered - rate × seconds| / (rate × seconds); 0 for a rate of 0.
double rate_error(std::uint64_t offered, std::uint64_t rate, double seconds) noexcept;

// One second of the run (differences over the second).
struct second_sample {
  double t = 0;          // seconds since the traffic started, at the end of this sample
  double seconds = 0;    // its length
  bool full = false;     // a whole second of traffic (false: the last, partial one, with the drain)
  traffic_counters traffic;
  std::uint64_t attempted = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t open = 0;  // connections in flight at the end
  histogram connect;       // connects completed in this second
  std::optional<engine_cost_delta> engine;
};

// a - b, field by field.
traffic_counters traffic_minus(const traffic_counters& a, const traffic_counters& b);

std::string latency_json(const histogram& h);
std::string second_json(const second_sample& s);
std::string progress_line(const second_sample& s);

struct run_summary {
  std::string target;           // "a.b.c.d:port"
  double duration_s = 0;        // traffic time (the requested duration, honoured)
  double drain_s = 0;           // time spent after it waiting for open connections
  std::uint64_t syn_rate = 0;   // 0 none; rate_max as fast as possible
  std::uint64_t ack_rate = 0;
  std::uint64_t ping_rate = 0;
  std::uint64_t legit_rate = 0;
  unsigned requests = 0;
  bool drop_on_full = false;
  std::uint64_t tsc_hz = 0;     // the generator's TSC rate (the same clock as the target's on one host)
  traffic_counters traffic;
  const load_stats* legit = nullptr;
  std::vector<second_sample> seconds;
  std::optional<engine_cost_delta> engine;
  std::optional<std::map<std::string, std::uint64_t>> engine_counters;  // /rampart/stats deltas
  std::uint64_t open_at_end = 0;   // connections still open when the drain ended (counted failed)
};

// The final report (one line of JSON with "final": true). rate checks: every full second's
// offered rate within 1% of the target ("reachable"), else "unreachable" with the worst error.
std::string final_json(const run_summary& r);

}  // namespace rampart::load
