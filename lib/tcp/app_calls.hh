#pragma once
// How lib/tcp calls an app: the stream handle a callback gets (tcp_stream, over the narrow
// stream calls of stream_calls.hh) and call_app, which runs a callback and then carries out an
// abort the app asked for. Apps see only stream.hh and app_host.hh.
//
// A tcp_stream may stand for the connection whose callback runs (the usual case) or for another
// one the app found by id (app_host::find): then what the call changes waits for the end of the
// event (defer_work), so no callback ever runs inside another.
#include "tcp/stream.hh"
#include "connection.hh"
#include "connection_lifetime.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "deferred_work.hh"
#include "stream_calls.hh"

namespace rampart::tcp {

// A connection of this lcore as an app sees it. Valid for the callback it is passed to.
class tcp_stream final : public stream {
 public:
  tcp_stream(lcore_state& lcore, connection& c, event_context& ctx) noexcept : _lcore(lcore), _c(c), _ctx(ctx) {}

  std::size_t send(std::span<const std::byte> data) noexcept override {
    const std::size_t taken = queue_send(_lcore, _c, data, _ctx);
    output_later(taken > 0);
    return taken;
  }
  std::size_t send_space() const noexcept override { return tcp::send_space(_lcore, _c, _ctx); }
  bool send_buffer(const packet::buffer& buffer) noexcept override {
    const bool taken = queue_buffer(_lcore, _c, buffer, _ctx);
    output_later(taken);
    return taken;
  }
  std::optional<packet::buffer> allocate_buffer() noexcept override { return allocate_send_buffer(_lcore, _c); }
  void retain_buffer(const data_view& view) noexcept override { hold_received(_lcore, _c, view); }
  void release_buffer(const data_view& view) noexcept override {
    release_received(_lcore, _c, view, _ctx);
    output_later(_c.window_update_due);
  }
  void close() noexcept override {
    request_close(_c, _ctx);
    output_later(_c.fin_queued);
  }
  void abort() noexcept override {
    if (own()) {
      request_abort(_ctx);
    } else if (!_ctx.closing(_c)) {
      _c.abort_due = true;
      defer_work(_lcore, _c);
    }
  }
  void* context() const noexcept override { return _c.app_context; }
  void set_context(void* context) noexcept override { _c.app_context = context; }
  flow::flow_key key() const noexcept override { return _c.key; }
  stream_id id() const noexcept override { return _lcore.id_of(_c); }
  bool outbound() const noexcept override { return _c.outbound; }

 private:
  // The connection whose callback runs: whoever called the callback sends what it queued.
  bool own() const noexcept { return &_c == _ctx.in_callback; }
  void output_later(bool changed) noexcept {
    if (changed && !own()) {
      defer_work(_lcore, _c);
    }
  }

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
  const connection* outer = ctx.in_callback;
  ctx.in_callback = &c;
  tcp_stream s{lcore, c, ctx};
  callback(*app, s);
  ctx.in_callback = outer;
  if (ctx.abort_requested) {
    ctx.abort_requested = false;
    reset_and_erase(lcore, c, close_reason::aborted, ctx);
    return false;
  }
  return true;
}

}  // namespace rampart::tcp
