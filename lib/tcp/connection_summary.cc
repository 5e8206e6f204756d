#include "tcp/connection_summary.hh"

#include "tcp/lcore_tcp.hh"
#include "connection.hh"
#include "lcore_state.hh"

namespace rampart::tcp {

connection_summary summarize(const connection& c, std::uint64_t now_ns) noexcept {
  connection_summary s;
  s.key = c.key;
  s.state = c.state;
  s.listener = c.listener;
  s.age_ns = now_ns > c.opened_ns ? now_ns - c.opened_ns : 0;
  s.bytes_in = c.bytes_in;
  s.bytes_out = c.bytes_out;
  s.srtt_us = c.rtt.srtt_us();
  s.rto_us = c.rtt.rto_us();
  s.send_queue = c.sendq.size();
  s.receive_queue = c.rcv_held;
  s.peer_window = c.snd_wnd;
  if (c.cc.cwnd != 0) {  // 0 until the connection opens: a SYN-RECEIVED entry has none yet
    s.cwnd = c.cc.cwnd;
  }
  return s;
}

bool connection_filter::matches(const connection& c) const noexcept {
  return (!remote_ip || c.key.remote_ip == *remote_ip) && (!remote_port || c.key.remote_port == *remote_port) &&
         (!local_port || c.key.local_port == *local_port) && (!state || c.state == *state);
}

bool snapshot_step(const lcore_tcp& tcp, const connection_filter& filter, snapshot_scan& scan,
                   std::span<connection_summary> out, std::uint32_t budget, std::uint64_t now_ns) noexcept {
  const std::uint32_t slots = tcp.settings().connections;
  const std::uint32_t end = slots - scan.next > budget ? scan.next + budget : slots;
  for (flow::connection_handle h = scan.next; h < end; ++h) {
    const connection* c = tcp.connection_at(h);
    if (c == nullptr || !filter.matches(*c)) {
      continue;
    }
    ++scan.matched;
    if (scan.written < out.size()) {
      connection_summary& s = out[scan.written++];
      s = summarize(*c, now_ns);
      if (const application* app = tcp.state().app_of(*c); app != nullptr && c->app_context != nullptr) {
        s.relay = app->relay_of(c->app_context, c->outbound);
      }
    }
  }
  scan.next = end;
  return end == slots;
}

}  // namespace rampart::tcp
