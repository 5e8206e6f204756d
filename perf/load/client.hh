#pragma once
// One legitimate client connection, as a state machine driven by received segments and the
// clock (nanoseconds): SYN → SYN-ACK → ACK (completing the handshake: with a cookie listener
// this ACK carries the cookie back, so SEG.ACK and, with timestamps, TSecr must echo exactly what
// the SYN-ACK said), then `requests` HTTP GETs one after the other on the connection, each
// response read to its end (status line and Content-Length), then FIN, and the peer's FIN
// acknowledged. Every step is timed into load_stats. Pure: it emits segments through a
// segment_sink and never touches a port.
//
// Deliberately small TCP (RFC 9293): in-order data only (an out-of-order segment gets a
// duplicate ACK and is dropped, the peer retransmits), a fixed 1-second RTO doubled per
// retransmission for the SYN, the request and the FIN, and an overall deadline per connection.
#include <cstdint>
#include <span>
#include <string>

#include "histogram.hh"
#include "http_response.hh"
#include "net/seq32.hh"
#include "net/tcp_header.hh"

namespace rampart::load {

// The TCP options a client offers in its SYN (one entry of the option matrix).
struct option_profile {
  std::uint16_t mss = 1460;     // 0: no MSS option
  bool timestamps = true;
  std::int8_t window_scale = 7;  // -1: no window scale option
  bool sack_permitted = true;
  bool operator==(const option_profile&) const = default;
};

// Why a connection failed; each has a counter in the report (failure_names).
#define RAMPART_LOAD_FAILURES(X)                                                                 \
  X(handshake_timeout, "no SYN-ACK before the connection's deadline (SYN retransmitted)")      \
  X(response_timeout, "a response did not complete before the deadline")                       \
  X(close_timeout, "the close (FIN exchange) did not complete before the deadline")            \
  X(reset, "the server sent RST")                                                               \
  X(bad_response, "a response the reader refused (no Content-Length, not HTTP/1.x, ...)")      \
  X(bad_status, "a response whose status is not 2xx")                                           \
  X(closed_early, "the server closed before the last response was complete")

enum class failure : std::uint8_t {
#define RAMPART_X(name, description) name,
  RAMPART_LOAD_FAILURES(RAMPART_X)
#undef RAMPART_X
};
inline constexpr std::size_t failure_count = 0
#define RAMPART_X(name, description) +1
    RAMPART_LOAD_FAILURES(RAMPART_X)
#undef RAMPART_X
    ;
inline constexpr const char* failure_names[] = {
#define RAMPART_X(name, description) #name,
    RAMPART_LOAD_FAILURES(RAMPART_X)
#undef RAMPART_X
};

// What the clients measured. Latencies in nanoseconds.
struct load_stats {
  std::uint64_t attempted = 0;   // connections started (first SYN sent)
  std::uint64_t completed = 0;   // every step done, FIN exchange included
  std::uint64_t failed = 0;      // sum of failures
  std::uint64_t failures[failure_count] = {};
  std::uint64_t handshakes = 0;  // SYN-ACKs accepted (connect completed)
  std::uint64_t requests_sent = 0;
  std::uint64_t responses = 0;   // complete 2xx responses
  std::uint64_t retransmits = 0;
  std::uint64_t syn_sent_resets = 0;  // RSTs sent for an ACK that did not acknowledge our SYN
  histogram syn_to_syn_ack;  // first SYN sent → SYN-ACK received
  histogram connect;         // first SYN sent → handshake ACK sent
  histogram request;         // request sent (first time) → last byte of its response
  histogram connection;      // first SYN sent → FIN exchange done

  void count_failure(failure f) noexcept {
    ++failures[static_cast<std::size_t>(f)];
    ++failed;
  }
  void merge(const load_stats& other) noexcept;
};

class segment_sink {
 public:
  virtual void send(const net::tcp_header& header, const net::tcp_options& options,
                    std::span<const std::byte> payload) = 0;

 protected:
  ~segment_sink() = default;
};

struct client_settings {
  std::uint16_t server_port = 80;
  option_profile options;
  unsigned requests = 0;          // 0: handshake only, then close
  bool keep_alive = true;         // false: "Connection: close" on the (single) request
  std::string request;            // the request bytes, built by http_request()
  std::uint64_t rto_ns = 1'000'000'000;
  std::uint64_t deadline_ns = 10'000'000'000;  // per connection, from its first SYN
};

// "GET <path> HTTP/1.1" with Host and, when close, "Connection: close".
std::string http_request(const std::string& host, const std::string& path, bool close);

class client {
 public:
  enum class state : std::uint8_t { idle, syn_sent, established, fin_sent, done, failed };

  // Sends the SYN. isn: our initial sequence number; ts_base: our first TSval.
  void start(const client_settings& settings, std::uint16_t local_port, std::uint32_t isn, std::uint64_t now_ns,
             load_stats& stats, segment_sink& out);
  // A segment addressed to this client's port.
  void on_segment(const net::tcp_header& header, const net::tcp_options& options,
                  std::span<const std::byte> payload, std::uint64_t now_ns, load_stats& stats, segment_sink& out);
  // Retransmissions and the deadline; call at least every few milliseconds while active.
  void on_clock(std::uint64_t now_ns, load_stats& stats, segment_sink& out);

  state current() const noexcept { return _state; }
  bool active() const noexcept { return _state != state::idle && _state != state::done && _state != state::failed; }
  std::uint16_t local_port() const noexcept { return _local_port; }
  std::uint64_t next_timer_ns() const noexcept { return _retransmit_at < _deadline ? _retransmit_at : _deadline; }

 private:
  void send(std::uint8_t flags, std::span<const std::byte> payload, std::uint64_t now_ns, segment_sink& out,
            bool syn_options = false);
  void send_request(std::uint64_t now_ns, load_stats& stats, segment_sink& out);
  void send_fin(std::uint64_t now_ns, segment_sink& out);
  void fail(failure f, load_stats& stats);
  void maybe_done(std::uint64_t now_ns, load_stats& stats);
  void arm(std::uint64_t now_ns) noexcept;
  std::uint32_t tsval(std::uint64_t now_ns) const noexcept;

  const client_settings* _settings = nullptr;
  state _state = state::idle;
  std::uint16_t _local_port = 0;
  net::seq32 _iss;
  net::seq32 _snd_una;
  net::seq32 _snd_nxt;
  net::seq32 _rcv_nxt;
  bool _timestamps = false;        // negotiated (both SYN and SYN-ACK carried TS)
  std::uint32_t _ts_recent = 0;    // the peer's last TSval, echoed in TSecr
  std::uint32_t _ts_base = 0;
  std::uint64_t _started_ns = 0;
  std::uint64_t _deadline = 0;
  std::uint64_t _retransmit_at = 0;
  std::uint64_t _rto = 0;
  unsigned _requests_done = 0;
  bool _request_outstanding = false;  // sent, response not complete
  std::uint64_t _request_sent_ns = 0;
  net::seq32 _request_seq;            // the first byte of the outstanding request
  bool _peer_fin = false;
  bool _fin_sent = false;
  http_response_reader _reader;
};

}  // namespace rampart::load
