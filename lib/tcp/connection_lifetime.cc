#include "connection_lifetime.hh"

#include <algorithm>

#include "net/tcp_header.hh"
#include "connection_reassembly.hh"
#include "loss_recovery.hh"
#include "segment_composer.hh"
#include "state_transition.hh"

namespace rampart::tcp {

connection* insert(lcore_state& lcore, const flow::flow_key& key, std::uint32_t hash, std::uint8_t listener,
                   std::uint64_t now_ns) noexcept {
  const auto handle = lcore.pool.acquire(lcore.settings.rto);
  if (!handle) {
    return nullptr;
  }
  if (lcore.table.insert(key, *handle, hash) != flow::insert_status::inserted) {
    // table_full / probe_limit (duplicate cannot happen: callers insert only after a miss).
    lcore.pool.release(*handle);
    return nullptr;
  }
  connection& c = lcore.pool[*handle];
  c.key = key;
  c.hash = hash;
  c.listener = listener;
  c.nagle = lcore.listener_of(c).nagle;
  c.opened_ns = now_ns;
  ++lcore.table_changes;
  lcore.stats.tcp_connections_active.set(lcore.table.size());
  return &c;
}

connection* insert(lcore_state& lcore, const segment& seg, std::uint64_t now_ns) noexcept {
  connection* c = insert(lcore, seg.key, seg.hash, *lcore.listeners.listener_of(seg.tcp.destination_port), now_ns);
  if (c != nullptr) {
    answer_sender(*c, seg);
  }
  return c;
}

void answer_sender(connection& c, const segment& seg) noexcept {
  // Bytes 6-11 of the frame: its source MAC.
  std::copy_n(reinterpret_cast<const std::uint8_t*>(seg.frame->data) + 6, 6, c.remote_mac.bytes.begin());
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
  if (c.outbound) {
    lcore.local_ports->release(c.key.local_port);  // the 4-tuple leaves the table: its port is free
  }
  lcore.table.erase(c.key, c.hash);
  lcore.pool.release(lcore.handle_of(c));
  ++lcore.table_changes;
  lcore.stats.tcp_connections_active.set(lcore.table.size());  // also when a timer erased it
}

void reset_and_erase(lcore_state& lcore, connection& c, close_reason reason, event_context& ctx) noexcept {
  // RFC 9293 §3.10.5 ABORT in SYN-SENT: no RST (the peer has not synchronized with us).
  if (c.state != tcp_state::syn_sent &&
      send_segment(lcore, c, control_sequence(c), net::tcp_flag::rst, 0, 0, ctx)) {
    lcore.stats.tcp_rst_sent.add();
  }
  erase(lcore, c, reason, ctx);
}

// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs timer
// (RFC 9293 §3.4.1), F SipHash-2-4 under the lcore's random key: predictable to nobody off the
// path, and increasing for one 4-tuple, so a new incarnation starts beyond the old one's sequence
// numbers (what RFC 6191 relies on beside timestamps).
std::uint32_t initial_sequence(const lcore_state& lcore, const flow::flow_key& key, std::uint64_t now_ns) noexcept {
  const std::uint64_t m = now_ns / 4000;
  const std::uint64_t f = cookie::siphash24_words(
      lcore.isn_key, (std::uint64_t{key.remote_ip} << 32) | key.local_ip, std::uint64_t{key.ports_word()});
  return static_cast<std::uint32_t>(m + f);
}

}  // namespace rampart::tcp
