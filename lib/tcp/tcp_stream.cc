// The stream calls of stream.hh on a connection of this lcore. Sends only queue: the code that
// ran the callback sends what was queued when it returns (lcore_tcp::output), so one callback's
// several send() calls leave as full segments. An abort from inside a callback is carried out
// when the callback returns (call_app), since the code that called it still uses the block.
#include "tcp_stream.hh"

#include <algorithm>

namespace rampart::tcp {

bool tcp_stream::accepts_sends() const noexcept {
  const connection& c = connection_ref();
  return c.app_open && !c.fin_queued && !_tcp._in_on_close &&
         (c.state == tcp_state::established || c.state == tcp_state::close_wait);
}

std::size_t tcp_stream::send_space() const noexcept {
  if (!accepts_sends()) {
    return 0;
  }
  const connection& c = connection_ref();
  if (_tcp._send_pool.exhausted()) {
    return 0;  // the lcore's send budget (send_budget.hh)
  }
  return _tcp._settings.send_buffer > c.sendq.size() ? _tcp._settings.send_buffer - c.sendq.size() : 0;
}

std::size_t tcp_stream::send(std::span<const std::byte> data) noexcept {
  if (data.empty() || _tcp._buffers == nullptr) {
    return 0;
  }
  const std::size_t space = send_space();
  connection& c = connection_ref();
  const std::size_t taken = space == 0 ? 0 : c.sendq.append(_tcp._send_pool, data, space);
  if (taken < data.size()) {
    // The buffer limit, the lcore's send budget or the pool: the app is told through
    // on_writable either way (the budget's waiters from lcore_tcp::poll).
    if (_tcp._send_pool.exhausted()) {
      _tcp._stats.tcp_send_budget_refusals.add();
      _tcp.wait_for_send_budget(c, _handle);
    } else {
      if (taken < space) {
        _tcp._stats.tcp_tx_no_buffer.add();
      }
      _tcp._stats.tcp_send_buffer_full.add();
    }
    c.writable_wanted = true;
  }
  return taken;
}

bool tcp_stream::send_buffer(const packet::buffer& buffer) noexcept {
  if (buffer.length > send_space()) {
    connection_ref().writable_wanted = true;
    return false;
  }
  connection_ref().sendq.append_payload(buffer);
  _tcp._send_pool.adopt();
  return true;
}

std::optional<packet::buffer> tcp_stream::allocate_buffer() noexcept {
  if (_tcp._buffers == nullptr) {
    return std::nullopt;
  }
  if (_tcp._send_pool.exhausted()) {
    _tcp._stats.tcp_send_budget_refusals.add();
    connection_ref().writable_wanted = true;
    _tcp.wait_for_send_budget(connection_ref(), _handle);
    return std::nullopt;
  }
  return send_queue::allocate_payload(*_tcp._buffers);
}

void tcp_stream::retain_buffer(const data_view& view) noexcept {
  if (view.buffer == nullptr || _tcp._buffers == nullptr) {
    return;
  }
  _tcp._buffers->retain(view.buffer);
  connection_ref().rcv_held += view.length;
}

void tcp_stream::release_buffer(const data_view& view) noexcept {
  if (view.buffer == nullptr || _tcp._buffers == nullptr) {
    return;
  }
  _tcp._buffers->release(view.buffer);
  connection& c = connection_ref();
  c.rcv_held -= std::min(c.rcv_held, view.length);
  // Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): tell the peer once the window can grow by
  // min(RCV.BUFF / 2, Eff.snd.MSS).
  const std::uint32_t open = _tcp._settings.receive_window - c.rcv_held;
  const auto advertised = static_cast<std::uint32_t>(c.rcv_adv - c.rcv_nxt);
  const std::uint32_t threshold = std::min<std::uint32_t>(_tcp._settings.receive_window / 2, _tcp._settings.mss);
  if (open >= advertised + threshold && !_tcp._in_on_close) {
    c.window_update_due = true;
  }
}

void tcp_stream::close() noexcept {
  if (_tcp._in_on_close) {
    return;
  }
  connection& c = connection_ref();
  c.fin_queued = true;  // output() sends the FIN once the queue is drained
}

void tcp_stream::abort() noexcept {
  if (_tcp._in_on_close) {
    return;
  }
  _tcp._abort_requested = true;  // carried out when the callback returns (call_app)
}

}  // namespace rampart::tcp
