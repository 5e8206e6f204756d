#include "tcp/lcore_tcp.hh"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cookie/key_schedule.hh"
#include "net/tcp_header.hh"
#include "tcp/reply.hh"
#include "tcp/segment.hh"
#include "tcp_stream.hh"

namespace rampart::tcp {

namespace {

void count_close(stats::lcore_stats& stats, close_reason reason) noexcept {
  switch (reason) {
    case close_reason::closed:
      stats.tcp_closed_normal.add();
      return;
    case close_reason::reset:
      stats.tcp_closed_reset.add();
      return;
    case close_reason::timeout:
      stats.tcp_closed_timeout.add();
      return;
    case close_reason::idle_timeout:
      stats.tcp_closed_idle.add();
      return;
    case close_reason::aborted:
      stats.tcp_closed_aborted.add();
      return;
    case close_reason::shutdown:
      stats.tcp_closed_shutdown.add();
      return;
  }
}

}  // namespace

tcp_settings tcp_settings::from_config(const config::tcp_config& tcp, std::uint16_t mtu,
                                       packet::tx_offload_caps offload) noexcept {
  tcp_settings s;
  // RFC 9293 §3.7.1 / RFC 879: MSS = MTU - 20 (IPv4) - 20 (TCP), both without options.
  const std::uint16_t mtu_mss = mtu > 40 ? static_cast<std::uint16_t>(mtu - 40) : 536;
  s.mss = std::min(tcp.mss, mtu_mss);
  s.window_scale = std::min(tcp.window_scale, net::tcp_max_window_scale);
  s.receive_window = tcp.receive_window;
  s.connections = tcp.connections_per_lcore;
  s.cookie_mode = tcp.syn_cookies.mode;
  s.backlog_capacity = tcp.syn_cookies.backlog_per_lcore;
  s.auto_threshold = tcp.syn_cookies.auto_threshold;
  s.send_buffer = tcp.send_buffer;
  s.send_budget = tcp.send_budget;
  s.initial_window = tcp.initial_window;
  s.tail_loss_probe = tcp.tail_loss_probe;
  s.rto.min_us = tcp.rto_min_ms * 1000;
  s.rto.max_us = tcp.rto_max_ms * 1000;
  s.rto.initial_us = tcp.rto_initial_ms * 1000;
  s.max_retransmissions = tcp.max_retransmissions;
  s.delayed_ack_ns = std::uint64_t{tcp.delayed_ack_ms} * 1'000'000;
  s.time_wait_ns = std::uint64_t{tcp.time_wait_seconds} * 1'000'000'000;
  s.challenge_acks_per_second = tcp.challenge_acks_per_second;
  s.reassembly_budget = tcp.reassembly_budget;
  s.rst_per_second = tcp.rst_per_second;
  s.challenge_acks_per_second_lcore = tcp.challenge_acks_per_second_lcore;
  s.offload = offload;
  return s;
}

lcore_tcp::lcore_tcp(const tcp_settings& settings, std::span<const config::listener_config> listeners,
                     stats::lcore_stats& stats, std::optional<flow::hash_seed> seed,
                     std::optional<cookie::siphash_key> isn_key, std::uint64_t now_ns)
    : _settings(settings),
      _stats(stats),
      _recent_cookies(settings.recent_cookie_entries),
      _isn_key(isn_key ? *isn_key : cookie::random_key()),
      _table(flow::flow_table_options{.capacity = settings.connections, .seed = seed}),
      _pool(settings.connections),
      _timers(now_ns),
      _reassembly(settings.reassembly_budget),
      // Two nodes per full-sized segment of the window: a peer cutting its data finer than
      // MSS / 2 fills its share with less data (it recovers by retransmission).
      _reassembly_cap(static_cast<std::uint16_t>(std::min<std::uint32_t>(
          65535, 2 * ((settings.receive_window + settings.mss - 1) / std::max<std::uint16_t>(settings.mss, 1))))),
      _scoreboards(static_cast<std::uint16_t>(std::min<std::uint32_t>({settings.scoreboards, settings.connections, no_scoreboard - 1}))),
      _budget_waiters(settings.connections),
      _rst_budget(settings.rst_per_second, now_ns),
      _challenge_budget(settings.challenge_acks_per_second_lcore, now_ns) {
  if (listeners.size() > listener_table::max_listeners) {
    throw std::invalid_argument("tcp: more than 255 listeners");
  }
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    if (!_listeners.add(listeners[i].port, static_cast<std::uint8_t>(i))) {
      throw std::invalid_argument("tcp: port " + std::to_string(listeners[i].port) + " listened on twice");
    }
    _listener_info[i].nagle = listeners[i].nagle;
    _listener_info[i].idle_timeout_ns = std::uint64_t{listeners[i].idle_timeout_seconds} * 1'000'000'000;
    _listener_info[i].congestion = listeners[i].congestion == config::congestion_control::reno ? cc_algorithm::reno
                                                                                               : cc_algorithm::cubic;
  }
}

lcore_tcp::~lcore_tcp() {
  // Buffers held by connections go back to the pool; the pool destroys the control blocks.
  for (flow::connection_handle h = 0; h < _settings.connections; ++h) {
    if (_pool.is_live(h)) {
      connection& c = _pool[h];
      _timers.cancel(c.timer);
      if (_buffers != nullptr) {
        c.sendq.clear(_send_pool);
      }
      release_queue(c);
    }
  }
}

const connection* lcore_tcp::find(const flow::flow_key& key, std::uint32_t hash) const noexcept {
  const auto handle = _table.lookup(key, hash);
  return handle ? &_pool[*handle] : nullptr;
}

std::optional<flow::connection_handle> lcore_tcp::insert(const segment& seg, tcp_state state,
                                                         std::uint64_t now_ns) noexcept {
  const auto handle = _pool.acquire(_settings.rto);
  if (!handle) {
    return std::nullopt;
  }
  if (_table.insert(seg.key, *handle, seg.hash) != flow::insert_status::inserted) {
    // table_full / probe_limit (duplicate cannot happen: callers insert only after a miss).
    _pool.release(*handle);
    return std::nullopt;
  }
  connection& c = _pool[*handle];
  c.key = seg.key;
  c.hash = seg.hash;
  c.state = state;
  c.listener = *_listeners.listener_of(seg.tcp.destination_port);
  c.nagle = _listener_info[c.listener].nagle;
  // Segments we build go back to the neighbour this one came from (bytes 6-11: source MAC).
  std::copy_n(reinterpret_cast<const std::uint8_t*>(seg.frame->data) + 6, 6, c.remote_mac.bytes.begin());
  c.opened_ns = now_ns;
  stats::counter& listener_active = _stats.listeners[c.listener].active;
  listener_active.set(listener_active.read() + 1);  // the owner is its only writer
  if (state == tcp_state::syn_received) {
    ++_backlog_size;
  }
  ++_table_changes;
  _stats.tcp_connections_active.set(_table.size());
  return handle;
}

void lcore_tcp::erase(flow::connection_handle handle, close_reason reason) noexcept {
  connection& c = _pool[handle];
  notify_closed(c, handle, reason);
  stats::counter& listener_active = _stats.listeners[c.listener].active;
  listener_active.set(listener_active.read() - 1);
  if (c.state == tcp_state::syn_received) {
    --_backlog_size;
  } else {
    if (c.state == tcp_state::time_wait) {
      _stats.tcp_time_wait_active.set(_stats.tcp_time_wait_active.read() - 1);
    }
    _stats.tcp_connections_closed.add();
    count_close(_stats, reason);
  }
  _timers.cancel(c.timer);
  loss_recovery_close(c);
  if (_buffers != nullptr) {
    c.sendq.clear(_send_pool);
  }
  release_queue(c);
  if (_dsack_for == &c) {
    _dsack_for = nullptr;  // the slot may serve another connection before the next input
  }
  if (_sack_cut_for == &c) {
    _sack_cut_for = nullptr;
  }
  _table.erase(c.key, c.hash);
  _pool.release(handle);
  ++_table_changes;
  _stats.tcp_connections_active.set(_table.size());  // also when a timer erased it
}

void lcore_tcp::reset_and_erase(connection& c, flow::connection_handle handle, close_reason reason,
                                std::uint64_t now_ns) noexcept {
  // RFC 9293 §3.10.5 ABORT / §3.8.3 R2: "<SEQ=SND.NXT><CTL=RST>" and delete the TCB.
  if (send_segment(c, c.snd_nxt, net::tcp_flag::rst, 0, 0, now_ns)) {
    _stats.tcp_rst_sent.add();
  }
  erase(handle, reason);
}

void lcore_tcp::poll(std::uint64_t now_ns) noexcept {
  _dsack_for = nullptr;  // a D-SACK belongs to the ACK answering its segment, not to a timer's
  _timers.advance(now_ns, [&](timer::timer_node& node) noexcept {
    connection& c = timer::owner_of<connection, &connection::timer>(node);
    const flow::connection_handle handle = _pool.handle_of(c);
    on_timer(c, handle, now_ns);
  });
  if (_budget_waiters_count != 0) {
    wake_send_budget_waiters(now_ns);
  }
}

std::uint32_t lcore_tcp::shutdown(std::uint64_t now_ns, std::uint32_t limit) noexcept {
  for (flow::connection_handle h = 0; h < _settings.connections && limit != 0; ++h) {
    if (!_pool.is_live(h)) {
      continue;
    }
    if (_pool[h].state == tcp_state::time_wait) {
      // Both sides closed already and the app was told: the entry only guards against old
      // duplicates, so it goes silently (no RST, counted as the normal close it was).
      erase(h, close_reason::closed);
    } else {
      reset_and_erase(_pool[h], h, close_reason::shutdown, now_ns);
      --limit;
    }
  }
  return _table.size();
}

std::uint32_t lcore_tcp::initial_sequence(const flow::flow_key& key, std::uint64_t now_ns) const noexcept {
  // RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock, F a keyed PRF.
  const std::uint64_t m = now_ns / 4000;
  const std::uint64_t f = cookie::siphash24_words(
      _isn_key, (std::uint64_t{key.remote_ip} << 32) | key.local_ip, std::uint64_t{key.ports_word()});
  return static_cast<std::uint32_t>(m + f);
}

const char* to_string(tcp_state state) noexcept {
  switch (state) {
    case tcp_state::syn_received:
      return "SYN-RECEIVED";
    case tcp_state::established:
      return "ESTABLISHED";
    case tcp_state::fin_wait_1:
      return "FIN-WAIT-1";
    case tcp_state::fin_wait_2:
      return "FIN-WAIT-2";
    case tcp_state::close_wait:
      return "CLOSE-WAIT";
    case tcp_state::closing:
      return "CLOSING";
    case tcp_state::last_ack:
      return "LAST-ACK";
    case tcp_state::time_wait:
      return "TIME-WAIT";
  }
  return "?";
}

}  // namespace rampart::tcp
