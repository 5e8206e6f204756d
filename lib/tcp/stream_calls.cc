// The stream calls of stream.hh on a connection of this lcore (stream_calls.hh).
#include "stream_calls.hh"

#include <algorithm>

#include "loss_recovery.hh"

namespace rampart::tcp {

namespace {

// send/close are refused once the app closed, and while on_close runs. A connection the app
// opened takes data before it is ESTABLISHED (RFC 9293 §3.10.2 SEND in SYN-SENT and
// SYN-RECEIVED: "queue the data for transmission after entering ESTABLISHED state").
bool accepts_sends(const connection& c, const event_context& ctx) noexcept {
  if (!c.app_open || c.fin_queued || ctx.closing(c)) {
    return false;
  }
  switch (c.state) {
    case tcp_state::established:
    case tcp_state::close_wait:
      return true;
    case tcp_state::syn_sent:
    case tcp_state::syn_received:
      return c.outbound;
    default:
      return false;
  }
}

}  // namespace

std::size_t send_space(const lcore_state& lcore, const connection& c, const event_context& ctx) noexcept {
  if (!accepts_sends(c, ctx)) {
    return 0;
  }
  if (lcore.send_pool.refuses(c.sendq.size())) {
    return 0;  // the lcore's send budget, or only its reserve for small queues (send_budget.hh)
  }
  const std::uint32_t limit = lcore.settings.send_buffer;
  return limit > c.sendq.size() ? limit - c.sendq.size() : 0;
}

std::size_t queue_send(lcore_state& lcore, connection& c, std::span<const std::byte> data, event_context& ctx) noexcept {
  if (data.empty() || lcore.buffers == nullptr) {
    return 0;
  }
  const std::size_t space = send_space(lcore, c, ctx);
  lcore.send_pool.serve_queue(c.sendq.size());
  const std::size_t taken = space == 0 ? 0 : c.sendq.append(lcore.send_pool, data, space);
  if (taken < data.size()) {
    // The buffer limit, the lcore's send budget or the pool: the app is told through
    // on_writable either way (the budget's waiters from poll, loss_recovery.cc).
    if (space == 0 ? lcore.send_pool.refuses(c.sendq.size()) : lcore.send_pool.refused()) {
      lcore.stats.tcp_send_budget_refusals.add();
      wait_for_send_budget(lcore, c);
    } else {
      if (taken < space) {
        lcore.stats.tcp_tx_no_buffer.add();
      }
      lcore.stats.tcp_send_buffer_full.add();
    }
    c.writable_wanted = true;
  }
  return taken;
}

bool queue_buffer(lcore_state& lcore, connection& c, const packet::buffer& buffer, event_context& ctx) noexcept {
  if (buffer.length > send_space(lcore, c, ctx)) {
    c.writable_wanted = true;
    return false;
  }
  c.sendq.append_payload(buffer);
  lcore.send_pool.adopt();
  return true;
}

std::optional<packet::buffer> allocate_send_buffer(lcore_state& lcore, connection& c) noexcept {
  if (lcore.buffers == nullptr) {
    return std::nullopt;
  }
  if (lcore.send_pool.refuses(c.sendq.size())) {
    lcore.stats.tcp_send_budget_refusals.add();
    c.writable_wanted = true;
    wait_for_send_budget(lcore, c);
    return std::nullopt;
  }
  return send_queue::allocate_payload(*lcore.buffers);
}

void hold_received(lcore_state& lcore, connection& c, const data_view& view) noexcept {
  if (view.buffer == nullptr || lcore.buffers == nullptr) {
    return;
  }
  lcore.buffers->retain(view.buffer);
  c.rcv_held += view.length;
}

void release_received(lcore_state& lcore, connection& c, const data_view& view, const event_context& ctx) noexcept {
  if (view.buffer == nullptr || lcore.buffers == nullptr) {
    return;
  }
  lcore.buffers->release(view.buffer);
  c.rcv_held -= std::min(c.rcv_held, view.length);
  // Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): tell the peer once the window can grow by
  // min(RCV.BUFF / 2, Eff.snd.MSS).
  const tcp_settings& settings = lcore.settings;
  const std::uint32_t open = settings.receive_window - c.rcv_held;
  const auto advertised = static_cast<std::uint32_t>(c.rcv_adv - c.rcv_nxt);
  const std::uint32_t threshold = std::min<std::uint32_t>(settings.receive_window / 2, settings.mss);
  if (open >= advertised + threshold && !ctx.closing(c)) {
    c.window_update_due = true;
  }
}

void request_close(connection& c, const event_context& ctx) noexcept {
  if (ctx.closing(c)) {
    return;
  }
  c.fin_queued = true;  // output() sends the FIN once the queue is drained
}

void request_abort(event_context& ctx) noexcept {
  if (ctx.in_on_close) {  // on_close of the connection whose callback runs
    return;
  }
  ctx.abort_requested = true;  // carried out when the callback returns (call_app)
}

}  // namespace rampart::tcp
