#include "tcp/lcore_tcp.hh"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cookie/key_schedule.hh"
#include "net/tcp_header.hh"

namespace rampart::tcp {

tcp_settings tcp_settings::from_config(const config::tcp_config& tcp, std::uint16_t mtu,
                                       pipeline::tx_offload_caps offload) noexcept {
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
  s.offload = offload;
  return s;
}

lcore_tcp::lcore_tcp(const tcp_settings& settings, std::span<const config::listener_config> listeners,
                     stats::lcore_stats& stats, std::optional<flow::hash_seed> seed,
                     std::optional<cookie::siphash_key> isn_key)
    : _settings(settings),
      _stats(stats),
      _isn_key(isn_key ? *isn_key : cookie::random_key()),
      _table(flow::flow_table_options{.capacity = settings.connections, .seed = seed}),
      _pool(settings.connections) {
  if (listeners.size() > listener_table::max_listeners) {
    throw std::invalid_argument("tcp: more than 255 listeners");
  }
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    if (!_listeners.add(listeners[i].port, static_cast<std::uint8_t>(i))) {
      throw std::invalid_argument("tcp: port " + std::to_string(listeners[i].port) + " listened on twice");
    }
  }
}

const connection* lcore_tcp::find(const flow::flow_key& key, std::uint32_t hash) const noexcept {
  const auto handle = _table.lookup(key, hash);
  return handle ? &_pool[*handle] : nullptr;
}

std::optional<flow::connection_handle> lcore_tcp::insert(const connection& c, std::uint32_t hash) noexcept {
  const auto handle = _pool.acquire(c);
  if (!handle) {
    return std::nullopt;
  }
  const flow::flow_key key{c.remote_ip, c.local_ip, c.remote_port, c.local_port};
  if (_table.insert(key, *handle, hash) != flow::insert_status::inserted) {
    // table_full / probe_limit (duplicate cannot happen: callers insert only after a miss).
    _pool.release(*handle);
    return std::nullopt;
  }
  _pool[*handle].hash = hash;
  ++_table_changes;
  return handle;
}

void lcore_tcp::erase(flow::connection_handle handle) noexcept {
  const connection& c = _pool[handle];
  if (c.state == tcp_state::syn_received) {
    backlog_remove(handle);
  } else {
    _stats.tcp_connections_closed.add();
  }
  _table.erase({c.remote_ip, c.local_ip, c.remote_port, c.local_port}, c.hash);
  _pool.release(handle);
  ++_table_changes;
}

void lcore_tcp::backlog_push(flow::connection_handle handle) noexcept {
  connection& c = _pool[handle];
  c.backlog_prev = _backlog_tail;
  c.backlog_next = no_handle;
  if (_backlog_tail != no_handle) {
    _pool[_backlog_tail].backlog_next = handle;
  } else {
    _backlog_head = handle;
  }
  _backlog_tail = handle;
  ++_half_open;
}

void lcore_tcp::backlog_remove(flow::connection_handle handle) noexcept {
  connection& c = _pool[handle];
  if (c.backlog_prev != no_handle) {
    _pool[c.backlog_prev].backlog_next = c.backlog_next;
  } else {
    _backlog_head = c.backlog_next;
  }
  if (c.backlog_next != no_handle) {
    _pool[c.backlog_next].backlog_prev = c.backlog_prev;
  } else {
    _backlog_tail = c.backlog_prev;
  }
  c.backlog_prev = no_handle;
  c.backlog_next = no_handle;
  --_half_open;
}

void lcore_tcp::expire_backlog(std::uint64_t now_ns) noexcept {
  // Entries join in SYN order with one timeout, so the head is always the first to expire.
  while (_backlog_head != no_handle && _pool[_backlog_head].expires_ns <= now_ns) {
    erase(_backlog_head);
  }
}

std::uint32_t lcore_tcp::initial_sequence(const flow::flow_key& key, std::uint64_t now_ns) const noexcept {
  // RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock, F a keyed PRF.
  const std::uint64_t m = now_ns / 4000;
  const std::uint64_t f = cookie::siphash24_words(
      _isn_key, (std::uint64_t{key.remote_ip} << 32) | key.local_ip, std::uint64_t{key.ports_word()});
  return static_cast<std::uint32_t>(m + f);
}

}  // namespace rampart::tcp
