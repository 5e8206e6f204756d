#pragma once
// The application interface of rampart's TCP: what an app sees of a connection (stream) and the
// callbacks it implements (application). One application instance serves one listener on one
// worker lcore; it is never shared between lcores, so it needs no locking. Beyond its streams, an
// app reaches its lcore through the app_host it is attached to (app_host.hh): connect(), streams
// by id outside their own callbacks, timers.
//
// Lifetime: a `stream&` passed to a callback is valid during that callback only; the connection
// it stands for lives from on_open (or, for a connection the app opened, connect()) until
// on_close returns. stream::id() names it beyond that: app_host::find() turns an id back into a
// stream while the connection lives, and refuses it afterwards. An app that needs per-connection
// state hangs it on set_context() and frees it in on_close.
//
//   on_open(s)             a client's handshake completed (ESTABLISHED)
//   on_connected(s)        a connection this app opened (app_host::connect) is ESTABLISHED
//   on_data(s, view)       in-order bytes; view.data stays valid during the call, or as long as
//                          the app holds the view's buffer (stream::retain_buffer)
//   on_writable(s)         send space was freed after send() accepted less than asked
//   on_peer_closed(s)      the peer's FIN: it sends no more. The stream still sends until the
//                          app calls close() (CLOSE-WAIT, RFC 9293 §3.6); default: close(). Not
//                          called when the app closed first: then the peer's FIN ends the
//                          stream, and on_close(closed) says so
//   on_close(s, reason)    the last call for this stream
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "flow/flow_key.hh"
#include "packet/buffer.hh"

namespace rampart::tcp {

// Why a stream ended (on_close).
enum class close_reason : std::uint8_t {
  closed,        // orderly: both FINs sent and acknowledged (whoever closed first)
  reset,         // the peer sent an acceptable RST (RFC 9293 §3.10.7.4, RFC 5961 §3.2)
  timeout,       // retransmissions unanswered past the retry limit (RFC 9293 §3.8.3, R2)
  idle_timeout,  // nothing received for the listener's idle timeout
  aborted,       // the app called abort(): we sent a RST
  shutdown,      // the engine is stopping
  // A connection the app opened (app_host::connect) that never reached ESTABLISHED:
  refused,       // the peer answered our SYN with a RST (RFC 9293 §3.10.7.3)
  unreachable,   // no route to the peer, or its next hop never answered ARP
  // (no answer to the SYN within the connect timeout or the SYN retry limit: timeout)
};

// A connection's name that outlives the callbacks: its pool slot and that slot's generation, so
// an id kept after the connection closed (and its slot was reused) is refused, never followed.
struct stream_id {
  std::uint32_t index = UINT32_MAX;
  std::uint32_t generation = 0;

  bool valid() const noexcept { return index != UINT32_MAX; }
  bool operator==(const stream_id&) const noexcept = default;
};

// In-order received bytes, zero-copy over the receive buffer they arrived in.
struct data_view {
  const std::byte* data = nullptr;
  std::uint32_t length = 0;
  void* buffer = nullptr;  // the receive buffer (packet::buffer::handle): see stream::retain_buffer

  std::span<const std::byte> bytes() const noexcept { return {data, length}; }
};

class stream {
 public:
  // Copies up to data.size() bytes into the connection's send buffer (bounded by
  // tcp.send_buffer in the config) and returns how many it took: fewer means the buffer is
  // full, and on_writable follows once the peer acknowledges data. 0 after close() or abort().
  virtual std::size_t send(std::span<const std::byte> data) noexcept = 0;
  // Bytes send() would accept now.
  virtual std::size_t send_space() const noexcept = 0;
  // Zero-copy send: a buffer from allocate_buffer(), filled by the app (length set), joins the
  // send queue as it is. False (the buffer stays the app's) when it does not fit in send_space()
  // or the stream is closing.
  virtual bool send_buffer(const packet::buffer& buffer) noexcept = 0;
  // A buffer to fill for send_buffer(); nullopt when the lcore's pool is empty.
  virtual std::optional<packet::buffer> allocate_buffer() noexcept = 0;
  // Keeps a received view's buffer past the callback; release_buffer(view) gives it back, in
  // this stream's callbacks (after its on_close: app_host::release_buffer). Held bytes count
  // against the receive window the connection advertises, so an app that holds data slows its
  // peer down (RFC 9293 §3.8.6.2.2) and a release that reopens the window sends a window update.
  virtual void retain_buffer(const data_view& view) noexcept = 0;
  virtual void release_buffer(const data_view& view) noexcept = 0;

  // FIN after everything queued has been sent (RFC 9293 §3.10.4); sending ends here. Before a
  // connection the app opened is ESTABLISHED, send() queues (RFC 9293 §3.10.2: "queue the data
  // for transmission after entering ESTABLISHED state") and close() closes once it is.
  virtual void close() noexcept = 0;
  // RST now, queued data discarded (RFC 9293 §3.10.5); on_close(aborted) follows at once.
  virtual void abort() noexcept = 0;

  virtual void* context() const noexcept = 0;
  virtual void set_context(void* context) noexcept = 0;
  // The connection's 4-tuple (remote = the peer), host byte order.
  virtual flow::flow_key key() const noexcept = 0;
  // Its name outside callbacks (app_host::find).
  virtual stream_id id() const noexcept = 0;
  // True for a connection this app opened (app_host::connect), false for a client's.
  virtual bool outbound() const noexcept = 0;

 protected:
  ~stream() = default;
};

class app_host;

class application {
 public:
  virtual ~application() = default;
  // Once, before any other call: the lcore's services for this app (app_host.hh). The host
  // outlives the app's last callback.
  virtual void attach(app_host& host) noexcept { static_cast<void>(host); }
  virtual void on_open(stream& s) noexcept = 0;
  // A connection this app opened is ESTABLISHED; what it queued before goes out now. When it
  // never gets there, on_close(refused | timeout | unreachable) comes instead.
  virtual void on_connected(stream& s) noexcept { static_cast<void>(s); }
  virtual void on_data(stream& s, data_view data) noexcept = 0;
  virtual void on_writable(stream& s) noexcept { static_cast<void>(s); }
  virtual void on_peer_closed(stream& s) noexcept { s.close(); }
  virtual void on_close(stream& s, close_reason reason) noexcept = 0;
  // For the connection listing (connection_summary::relay): the other connection this app
  // relays a stream's bytes to and from (the proxy's backend side of a client, and the reverse),
  // told by the stream's context (set_context) and direction; nullopt when there is none.
  // Called on the owner lcore between events: it reads the app's state and touches no stream.
  virtual std::optional<flow::flow_key> relay_of(const void* context, bool outbound) const noexcept {
    static_cast<void>(context);
    static_cast<void>(outbound);
    return std::nullopt;
  }
};

}  // namespace rampart::tcp
