#include "connection_lifetime.hh"

#include <algorithm>

#include "net/tcp_header.hh"
#include "connection_reassembly.hh"
#include "loss_recovery.hh"
#include "segment_composer.hh"
#include "state_transition.hh"

namespace rampart::tcp {

connection* insert(lcore_state& lcore, const segment& seg, std::uint64_t now_ns) noexcept {
  const auto handle = lcore.pool.acquire(lcore.settings.rto);
  if (!handle) {
    return nullptr;
  }
  if (lcore.table.insert(seg.key, *handle, seg.hash) != flow::insert_status::inserted) {
    // table_full / probe_limit (duplicate cannot happen: callers insert only after a miss).
    lcore.pool.release(*handle);
    return nullptr;
  }
  connection& c = lcore.pool[*handle];
  c.key = seg.key;
  c.hash = seg.hash;
  c.listener = *lcore.listeners.listener_of(seg.tcp.destination_port);
  c.nagle = lcore.listener_of(c).nagle;
  // Segments we build go back to the neighbour this one came from (bytes 6-11: source MAC).
  std::copy_n(reinterpret_cast<const std::uint8_t*>(seg.frame->data) + 6, 6, c.remote_mac.bytes.begin());
  c.opened_ns = now_ns;
  ++lcore.table_changes;
  lcore.stats.tcp_connections_active.set(lcore.table.size());
  return &c;
}

void erase(lcore_state& lcore, connection& c, close_reason reason, event_context& ctx) noexcept {
  set_state(lcore, c, tcp_state::closed, ctx, reason);
  lcore.timers.cancel(c.timer);
  loss_recovery_close(lcore, c);
  if (lcore.buffers != nullptr) {
    c.sendq.clear(lcore.send_pool);
  }
  release_queue(lcore, c);
  ctx.forget(c);
  lcore.table.erase(c.key, c.hash);
  lcore.pool.release(lcore.handle_of(c));
  ++lcore.table_changes;
  lcore.stats.tcp_connections_active.set(lcore.table.size());  // also when a timer erased it
}

void reset_and_erase(lcore_state& lcore, connection& c, close_reason reason, event_context& ctx) noexcept {
  if (send_segment(lcore, c, c.snd_nxt, net::tcp_flag::rst, 0, 0, ctx)) {
    lcore.stats.tcp_rst_sent.add();
  }
  erase(lcore, c, reason, ctx);
}

std::uint32_t initial_sequence(const lcore_state& lcore, const flow::flow_key& key, std::uint64_t now_ns) noexcept {
  const std::uint64_t m = now_ns / 4000;
  const std::uint64_t f = cookie::siphash24_words(
      lcore.isn_key, (std::uint64_t{key.remote_ip} << 32) | key.local_ip, std::uint64_t{key.ports_word()});
  return static_cast<std::uint32_t>(m + f);
}

}  // namespace rampart::tcp
