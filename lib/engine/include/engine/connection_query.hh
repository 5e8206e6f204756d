#pragma once
// /rampart/connections (docs/operations.md, "Listing connections"): the request's parameters and
// the reply's rows, as pure functions the telemetry handler calls and unit tests check.
//
// Reply size. DPDK 22.11's telemetry writes a reply into one 16 KiB buffer (MAX_OUTPUT_LEN in
// lib/telemetry/telemetry.c) and silently leaves out whatever does not fit; a dict holds at most
// 256 entries (RTE_TEL_MAX_DICT_ENTRIES), a string value 127 characters, a dict key only
// [A-Za-z0-9_/] characters, and an array cannot hold dicts. So a row is a dict nested in the
// "connections" dict under its index ("0", "1", ...), a reply has at most max_limit rows, and the
// handler measures each row's JSON text (row_json) against reply_budget: a row that would not fit
// is counted in "omitted" instead of vanishing. A typical row is about 230 bytes; the largest
// with counters below 10^12 (a terabyte, 31 years of age) is 302, so max_limit = 50 rows always
// fit (a unit test checks it) and "omitted" stays 0 short of that.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tcp/connection_summary.hh"

namespace rampart::engine {

struct connection_query {
  static constexpr std::uint32_t default_limit = 50;
  static constexpr std::uint32_t max_limit = 50;
  tcp::connection_filter filter;
  std::uint32_t limit = default_limit;
};

// The telemetry reply buffer of DPDK 22.11 (bytes, the command's name and braces included).
inline constexpr std::size_t telemetry_reply_bytes = 16 * 1024;

// Parses "remote=a.b.c.d,rport=n,lport=n,state=name,limit=n" (any subset, any order; empty: no
// filter, the default limit). State names are RFC 9293's, any case, '-' or '_'
// ("established", "TIME-WAIT", "syn_received"). nullopt and `error` set (naming the parameter and
// what it takes) on an unknown key, a bad value or a limit outside 1..max_limit.
std::optional<connection_query> parse_connection_query(std::string_view params, std::string& error);

// "ESTABLISHED", "time-wait", "Syn_Received" → the state; nullopt for anything else.
std::optional<tcp::tcp_state> parse_tcp_state(std::string_view name) noexcept;

// The fields of one row, in order, for `lcore`: out.number(name, value) and out.text(name, text).
// Fields that are not known (srtt_us before the first RTT sample, cwnd until the data path keeps
// one) are left out of the row.
template <class Out>
void describe_row(const tcp::connection_summary& s, unsigned lcore, Out& out);

// Bytes of a reply left for rows: the reply buffer less its fixed part (the command's name,
// complete/matched/shown/omitted/limit, one status per worker, the braces of "connections").
constexpr std::size_t row_budget(std::size_t workers) noexcept {
  return telemetry_reply_bytes - 162 - 24 * workers;
}

// `,"<index>":{...}` as DPDK writes the row into the "connections" dict (the comma included, the
// worst case): what the handler measures against the reply's budget.
std::string row_json(const tcp::connection_summary& s, unsigned lcore, std::uint32_t index);

// "a.b.c.d:port".
std::string endpoint_text(std::uint32_t ip, std::uint16_t port);

template <class Out>
void describe_row(const tcp::connection_summary& s, unsigned lcore, Out& out) {
  out.number("lcore", lcore);
  out.text("local", endpoint_text(s.key.local_ip, s.key.local_port));
  out.text("remote", endpoint_text(s.key.remote_ip, s.key.remote_port));
  out.text("state", tcp::to_string(s.state));
  out.number("age_ms", s.age_ns / 1'000'000);
  out.number("bytes_in", s.bytes_in);
  out.number("bytes_out", s.bytes_out);
  if (s.srtt_us != 0) {
    out.number("srtt_us", s.srtt_us);
  }
  out.number("rto_us", s.rto_us);
  out.number("send_q", s.send_queue);
  out.number("recv_q", s.receive_queue);
  out.number("peer_wnd", s.peer_window);
  if (s.cwnd) {
    out.number("cwnd", *s.cwnd);
  }
  if (s.relay) {
    out.text("relay_local", endpoint_text(s.relay->local_ip, s.relay->local_port));
    out.text("relay_remote", endpoint_text(s.relay->remote_ip, s.relay->remote_port));
  }
}

}  // namespace rampart::engine
