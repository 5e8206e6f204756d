#pragma once
// The stream handle lcore_tcp passes to app callbacks: a connection of this lcore by handle.
// Private to lib/tcp (apps see only stream.hh). Valid for the callback it is passed to.
#include "tcp/lcore_tcp.hh"
#include "tcp/stream.hh"

namespace rampart::tcp {

class tcp_stream final : public stream {
 public:
  tcp_stream(lcore_tcp& tcp, flow::connection_handle handle, std::uint64_t now_ns) noexcept
      : _tcp(tcp), _handle(handle), _now_ns(now_ns) {}

  std::size_t send(std::span<const std::byte> data) noexcept override;
  std::size_t send_space() const noexcept override;
  bool send_buffer(const packet::buffer& buffer) noexcept override;
  std::optional<packet::buffer> allocate_buffer() noexcept override;
  void retain_buffer(const data_view& view) noexcept override;
  void release_buffer(const data_view& view) noexcept override;
  void close() noexcept override;
  void abort() noexcept override;
  void* context() const noexcept override { return connection_ref().app_context; }
  void set_context(void* context) noexcept override { connection_ref().app_context = context; }
  flow::flow_key key() const noexcept override { return connection_ref().key; }

 private:
  connection& connection_ref() const noexcept { return _tcp._pool[_handle]; }
  // send/close are refused once the app closed, and while on_close runs.
  bool accepts_sends() const noexcept;

  lcore_tcp& _tcp;
  flow::connection_handle _handle;
  std::uint64_t _now_ns;
};

// Runs `callback(app, stream)` for connection c, then carries out an abort the app asked for.
// Returns false when the connection no longer exists (aborted). The caller sends what the app
// queued (output) afterwards.
template <class Callback>
bool lcore_tcp::call_app(connection& c, flow::connection_handle handle, std::uint64_t now_ns, Callback&& callback) noexcept {
  application* app = app_of(c);
  if (app == nullptr || !c.app_open) {
    return true;
  }
  _in_callback = handle;
  _abort_requested = false;
  tcp_stream s{*this, handle, now_ns};
  callback(*app, s);
  _in_callback = no_handle;
  if (_abort_requested) {
    _abort_requested = false;
    reset_and_erase(c, handle, close_reason::aborted, now_ns);
    return false;
  }
  return true;
}

}  // namespace rampart::tcp
