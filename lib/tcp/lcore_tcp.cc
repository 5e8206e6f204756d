#include "tcp/lcore_tcp.hh"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cookie/key_schedule.hh"
#include "net/tcp_header.hh"

namespace rampart::tcp {

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
  if (_table.insert(c.key, *handle, hash) != flow::insert_status::inserted) {
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
    list_remove(_backlog, handle);
  } else {
    if (c.state == tcp_state::last_ack) {
      list_remove(_last_ack, handle);
    }
    _stats.tcp_connections_closed.add();
  }
  _table.erase(c.key, c.hash);
  _pool.release(handle);
  ++_table_changes;
}

void lcore_tcp::list_push(expiry_list& list, flow::connection_handle handle, std::uint64_t expires_ns) noexcept {
  connection& c = _pool[handle];
  c.expires_ns = expires_ns;
  c.expiry_prev = list.tail;
  c.expiry_next = no_handle;
  if (list.tail != no_handle) {
    _pool[list.tail].expiry_next = handle;
  } else {
    list.head = handle;
  }
  list.tail = handle;
  ++list.size;
}

void lcore_tcp::list_remove(expiry_list& list, flow::connection_handle handle) noexcept {
  connection& c = _pool[handle];
  if (c.expiry_prev != no_handle) {
    _pool[c.expiry_prev].expiry_next = c.expiry_next;
  } else {
    list.head = c.expiry_next;
  }
  if (c.expiry_next != no_handle) {
    _pool[c.expiry_next].expiry_prev = c.expiry_prev;
  } else {
    list.tail = c.expiry_prev;
  }
  c.expiry_prev = no_handle;
  c.expiry_next = no_handle;
  --list.size;
}

void lcore_tcp::expire(expiry_list& list, std::uint64_t now_ns) noexcept {
  while (list.head != no_handle && _pool[list.head].expires_ns <= now_ns) {
    erase(list.head);  // erase() unlinks it, by its state
  }
}

void lcore_tcp::expire_timed_out(std::uint64_t now_ns) noexcept {
  expire(_backlog, now_ns);
  expire(_last_ack, now_ns);
}

std::uint32_t lcore_tcp::initial_sequence(const flow::flow_key& key, std::uint64_t now_ns) const noexcept {
  // RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock, F a keyed PRF.
  const std::uint64_t m = now_ns / 4000;
  const std::uint64_t f = cookie::siphash24_words(
      _isn_key, (std::uint64_t{key.remote_ip} << 32) | key.local_ip, std::uint64_t{key.ports_word()});
  return static_cast<std::uint32_t>(m + f);
}

}  // namespace rampart::tcp
