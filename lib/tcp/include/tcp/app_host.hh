#pragma once
// What a worker lcore offers an app beyond the streams its callbacks receive: opening
// connections (RFC 9293 §3.10.1, active OPEN), reaching a stream by id from another stream's
// callback, and timers. Each app instance gets its own host (application::attach); like the app,
// it belongs to one lcore and is called from that lcore's callbacks only.
//
// Where calls are allowed: inside any callback of the app (stream callbacks and app timers). A
// stream found by id is valid until the callback returns. What an app does to a stream other than
// the one whose callback runs (send, close, abort) takes effect when that callback returns, in
// the order it was asked: the bytes are queued at once, the segments leave and the abort happens
// after, so no callback of one stream ever runs inside another's.
#include <cstdint>
#include <optional>

#include "net/addresses.hh"
#include "tcp/stream.hh"
#include "timer/timer_wheel.hh"

namespace rampart::tcp {

// A timer an app owns (connect timeouts, health checks, idle checks), armed on its lcore's
// timers through app_host::arm. It calls `fire(arg)` once per arming, from the lcore's poll, as a
// callback (the host's calls are allowed in it). It must be cancelled (or have fired) before it
// is destroyed or moved.
class app_timer {
 public:
  using callback = void (*)(void* arg) noexcept;

  app_timer(callback fire, void* arg) noexcept : _fire(fire), _arg(arg) {}
  app_timer(const app_timer&) = delete;
  app_timer& operator=(const app_timer&) = delete;

  bool armed() const noexcept { return _node.armed(); }

  // The host's side (lcore_app_host), not the app's: the node the lcore's timer wheel links,
  // the timer a fired node belongs to, and the call the app asked for.
  timer::timer_node& wheel_node() noexcept { return _node; }
  static app_timer& of_wheel_node(timer::timer_node& node) noexcept {
    return timer::owner_of<app_timer, &app_timer::_node>(node);
  }
  void fire() noexcept { _fire(_arg); }

 private:
  timer::timer_node _node;
  callback _fire;
  void* _arg;
};

// Why connect() started nothing.
enum class connect_error : std::uint8_t {
  no_local_port,   // every local port toward that peer is in use on this lcore (tcp_connect_no_port)
  table_full,      // the connection table is full (tcp_table_full_refusals)
  no_route,        // the peer is not on the port's subnet and no route covers it (tcp_connect_no_route)
  not_in_callback, // called outside the app's callbacks
};
const char* to_string(connect_error error) noexcept;

// What connect() opens.
struct connect_request {
  net::ipv4_address remote;
  std::uint16_t port = 0;
  void* context = nullptr;      // the stream's context from the start (stream::context)
  std::uint64_t timeout_ns = 0; // no SYN-ACK by then: on_close(timeout); 0: the lcore's default
  // Nagle's algorithm (RFC 1122 §4.2.3.4) on this connection; nullopt: as the listener's. A proxy
  // turns it off, as it relays what it gets when it gets it.
  std::optional<bool> nagle;
};

// connect()'s result: the new stream's id, or why nothing was started.
struct connect_result {
  stream_id id;
  std::optional<connect_error> error;

  explicit operator bool() const noexcept { return !error; }
};

class app_host {
 public:
  // Opens a connection to remote:port from the port's address and a local port of this lcore:
  // the SYN leaves now (or once the next hop answers ARP). Then exactly one of: on_connected(s)
  // when the handshake completes, or on_close(s, reason) with refused (RST), timeout (no
  // SYN-ACK within the timeout) or unreachable (the next hop never answered). Nothing is called
  // back before connect returns.
  virtual connect_result connect(const connect_request& request) noexcept = 0;
  // The stream named by id while its connection lives; nullptr once it is gone (or never was).
  // Valid until the callback returns; at most 16 found streams are valid at once (a 17th find in
  // one callback reuses the first one's slot).
  virtual stream* find(stream_id id) noexcept = 0;
  // Gives back a received view the app retained (stream::retain_buffer) from a stream that has
  // ended since: what it held may outlive its stream (a proxy still relaying a closed client's
  // last bytes to the backend), then returns here.
  virtual void release_buffer(const data_view& view) noexcept = 0;

  // Arms t to fire at at_ns (the lcore's clock: now_ns()), or moves it there.
  virtual void arm(app_timer& t, std::uint64_t at_ns) noexcept = 0;
  virtual void cancel(app_timer& t) noexcept = 0;
  // The lcore's clock (ns, Unix epoch), as the current callback's event saw it (in attach: as
  // the lcore last saw it). Timers may be armed from attach on.
  virtual std::uint64_t now_ns() const noexcept = 0;

 protected:
  ~app_host() = default;
};

}  // namespace rampart::tcp
