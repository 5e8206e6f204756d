#pragma once
// How lib/tcp calls an app: the stream handle a callback gets (tcp_stream, over the narrow
// stream calls of stream_calls.hh) and call_app, which runs a callback and then carries out an
// abort the app asked for. Apps see only stream.hh.
#include "tcp/stream.hh"
#include "connection.hh"
#include "connection_lifetime.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "stream_calls.hh"

namespace rampart::tcp {

// A connection of this lcore as an app sees it. Valid for the callback it is passed to.
class tcp_stream final : public stream {
 public:
  tcp_stream(lcore_state& lcore, connection& c, event_context& ctx) noexcept : _lcore(lcore), _c(c), _ctx(ctx) {}

  std::size_t send(std::span<const std::byte> data) noexcept override { return queue_send(_lcore, _c, data, _ctx); }
  std::size_t send_space() const noexcept override { return tcp::send_space(_lcore, _c, _ctx); }
  bool send_buffer(const packet::buffer& buffer) noexcept override { return queue_buffer(_lcore, _c, buffer, _ctx); }
  std::optional<packet::buffer> allocate_buffer() noexcept override { return allocate_send_buffer(_lcore, _c); }
  void retain_buffer(const data_view& view) noexcept override { hold_received(_lcore, _c, view); }
  void release_buffer(const data_view& view) noexcept override { release_received(_lcore, _c, view, _ctx); }
  void close() noexcept override { request_close(_c, _ctx); }
  void abort() noexcept override { request_abort(_ctx); }
  void* context() const noexcept override { return _c.app_context; }
  void set_context(void* context) noexcept override { _c.app_context = context; }
  flow::flow_key key() const noexcept override { return _c.key; }
  stream_id id() const noexcept override { return _lcore.id_of(_c); }
  bool outbound() const noexcept override { return _c.outbound; }

 private:
  lcore_state& _lcore;
  connection& _c;
  event_context& _ctx;
};

// Runs `callback(app, stream)` for connection c, then carries out an abort the app asked for.
// Returns false when the connection no longer exists (aborted). The caller sends what the app
// queued (output) afterwards.
template <class Callback>
bool call_app(lcore_state& lcore, connection& c, event_context& ctx, Callback&& callback) noexcept {
  application* app = lcore.app_of(c);
  if (app == nullptr || !c.app_open) {
    return true;
  }
  ctx.abort_requested = false;
  tcp_stream s{lcore, c, ctx};
  callback(*app, s);
  if (ctx.abort_requested) {
    ctx.abort_requested = false;
    reset_and_erase(lcore, c, close_reason::aborted, ctx);
    return false;
  }
  return true;
}

}  // namespace rampart::tcp
