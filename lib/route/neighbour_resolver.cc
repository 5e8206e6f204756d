#include "route/neighbour_resolver.hh"

#include <algorithm>
#include <cstring>

#include "net/arp.hh"
#include "net/ethernet.hh"

namespace rampart::route {

const char* to_string(neighbour_state state) noexcept {
  switch (state) {
    case neighbour_state::reachable:
      return "reachable";
    case neighbour_state::resolving:
      return "resolving";
    case neighbour_state::failed:
      return "failed";
  }
  return "?";
}

std::uint16_t build_arp_request(net::mac_address our_mac, net::ipv4_address our_ip, net::ipv4_address target,
                                std::span<std::byte> buffer) noexcept {
  if (buffer.size() < net::ethernet_min_frame_length) {
    return 0;
  }
  net::write_ethernet_header(buffer, {net::mac_address::broadcast(), our_mac, net::ether_type::arp});
  const net::arp_packet request{net::arp_op::request, our_mac, our_ip, net::mac_address{}, target};
  net::write_arp(buffer.subspan(net::ethernet_header_length), request);
  constexpr std::size_t used = net::ethernet_header_length + net::arp_ipv4_length;
  std::memset(buffer.data() + used, 0, net::ethernet_min_frame_length - used);
  return static_cast<std::uint16_t>(net::ethernet_min_frame_length);
}

neighbour_resolver::neighbour_resolver(neighbour_table& table, net::mac_address our_mac,
                                       net::ipv4_address our_ip, packet::buffer_pool& pool, packet::frame_sink& sink,
                                       stats::lcore_stats& stats) noexcept
    : _table(table), _our_mac(our_mac), _our_ip(our_ip), _pool(pool), _sink(sink), _stats(stats) {}

neighbour_resolver::~neighbour_resolver() {
  for (pending& p : _pending) {
    for (std::uint8_t i = 0; i < p.queued; ++i) {
      _pool.release(p.queue[i].frame.handle);
    }
  }
}

void neighbour_resolver::set_peers(std::span<const neighbour_table* const> peers) {
  _peers.assign(peers.begin(), peers.end());
}

std::optional<net::mac_address> neighbour_resolver::from_peers(net::ipv4_address ip, std::uint64_t now_ns) noexcept {
  for (const neighbour_table* peer : _peers) {
    if (const std::optional<net::mac_address> mac = peer->peek(ip)) {
      _table.learn(ip, *mac, now_ns);  // later lookups stay on this lcore's table
      return mac;
    }
  }
  return std::nullopt;
}

neighbour_resolver::pending* neighbour_resolver::find(net::ipv4_address ip) noexcept {
  for (pending& p : _pending) {
    if (p.used && p.ip == ip) {
      return &p;
    }
  }
  return nullptr;
}

neighbour_resolver::pending* neighbour_resolver::start(net::ipv4_address ip, std::uint64_t now_ns) noexcept {
  const auto free_slot = std::find_if(_pending.begin(), _pending.end(), [](const pending& p) { return !p.used; });
  if (free_slot == _pending.end()) {
    return nullptr;
  }
  pending& p = *free_slot;
  p.ip = ip;
  p.used = true;
  p.state = neighbour_state::resolving;
  p.requests_sent = 0;
  p.since_ns = now_ns;
  p.queued = 0;
  ++_in_use;
  ask(p, now_ns);
  return &p;
}

void neighbour_resolver::ask(pending& p, std::uint64_t now_ns) noexcept {
  // A request the pool or the sink refuses is not one of the max_requests: the next poll tries
  // again, so a shortage of buffers cannot make a live next hop look dead.
  p.next_ns = now_ns;
  const std::optional<packet::buffer> b = _pool.allocate();
  if (!b) {
    return;
  }
  packet::buffer frame = *b;
  frame.length = build_arp_request(_our_mac, _our_ip, p.ip, {frame.data, frame.capacity});
  if (frame.length == 0 || !_sink.push(frame, {})) {
    _pool.release(frame.handle);
    return;
  }
  ++p.requests_sent;
  p.next_ns = now_ns + retry_interval_ns;
  _stats.arp_requests_sent.add();
}

resolution neighbour_resolver::resolve(net::ipv4_address next_hop, std::uint64_t now_ns) noexcept {
  if (const std::optional<net::mac_address> mac = _table.lookup(next_hop)) {
    return {resolution::status::reachable, *mac};
  }
  pending* p = find(next_hop);
  if (p == nullptr || p->state == neighbour_state::failed) {
    // A resolving next hop is left to poll: the frames waiting for it leave before any new one.
    if (const std::optional<net::mac_address> mac = from_peers(next_hop, now_ns)) {
      if (p != nullptr) {
        resolved(next_hop, *mac);
      }
      return {resolution::status::reachable, *mac};
    }
  }
  if (p != nullptr && p->state == neighbour_state::failed && now_ns >= p->next_ns) {
    p->used = false;  // hold-down over: ask again, as for a new next hop
    --_in_use;
    p = nullptr;
  }
  if (p == nullptr) {
    p = start(next_hop, now_ns);
  }
  if (p == nullptr) {
    return {resolution::status::no_room, {}};
  }
  return {p->state == neighbour_state::failed ? resolution::status::unreachable : resolution::status::pending, {}};
}

send_result neighbour_resolver::send(net::ipv4_address next_hop, const packet::buffer& frame,
                                     const packet::tx_offload_request& offload, std::uint64_t now_ns) noexcept {
  const resolution r = resolve(next_hop, now_ns);
  switch (r.what) {
    case resolution::status::reachable:
      net::store_mac(frame.data, r.mac);  // bytes 0-5: the destination
      return _sink.push(frame, offload) ? send_result::sent : send_result::sink_full;
    case resolution::status::pending: {
      pending& p = *find(next_hop);
      if (p.queued == queue_per_next_hop || _queued_total == queue_total) {
        release(frame, stats::drop_reason::neighbour_queue_full);
        return send_result::dropped;
      }
      p.queue[p.queued++] = {frame, offload};
      ++_queued_total;
      _stats.neighbour_frames_queued.add();
      return send_result::queued;
    }
    case resolution::status::unreachable:
      release(frame, stats::drop_reason::neighbour_unreachable);
      return send_result::dropped;
    case resolution::status::no_room:
      break;
  }
  release(frame, stats::drop_reason::neighbour_queue_full);
  return send_result::dropped;
}

void neighbour_resolver::resolved(net::ipv4_address ip, net::mac_address mac) noexcept {
  pending* p = find(ip);
  if (p == nullptr) {
    return;
  }
  if (p->state == neighbour_state::resolving) {
    _stats.neighbour_resolutions.add();
  }
  for (std::uint8_t i = 0; i < p->queued; ++i) {
    const waiting_frame& w = p->queue[i];
    net::store_mac(w.frame.data, mac);
    if (!_sink.push(w.frame, w.offload)) {
      release(w.frame, stats::drop_reason::neighbour_tx_staging_full);
    }
  }
  _queued_total -= p->queued;
  p->queued = 0;
  p->used = false;
  --_in_use;
}

void neighbour_resolver::poll(std::uint64_t now_ns) noexcept {
  if (_in_use == 0) {
    return;
  }
  for (pending& p : _pending) {
    if (!p.used) {
      continue;
    }
    if (p.state == neighbour_state::resolving) {
      if (const std::optional<net::mac_address> mac = from_peers(p.ip, now_ns)) {
        resolved(p.ip, *mac);
        continue;
      }
    }
    if (now_ns < p.next_ns) {
      continue;
    }
    if (p.state == neighbour_state::failed) {
      p.used = false;  // hold-down over
      --_in_use;
    } else if (p.requests_sent < max_requests) {
      ask(p, now_ns);
    } else {
      p.state = neighbour_state::failed;
      p.since_ns = now_ns;
      p.next_ns = now_ns + hold_down_ns;
      drop_queue(p, stats::drop_reason::neighbour_unreachable);
      _stats.neighbour_resolution_failures.add();
    }
  }
}

void neighbour_resolver::link_restored(std::uint64_t now_ns) noexcept {
  _table.forget_all();
  for (pending& p : _pending) {
    if (!p.used) {
      continue;
    }
    if (p.state == neighbour_state::failed) {
      p.used = false;
      --_in_use;
    } else {
      p.requests_sent = 0;
      p.next_ns = now_ns;  // the next poll asks
    }
  }
}

std::size_t neighbour_resolver::list_pending(std::span<neighbour_row> out, std::uint64_t now_ns) const noexcept {
  std::size_t n = 0;
  for (const pending& p : _pending) {
    if (p.used && n < out.size()) {
      out[n++] = {p.ip, {}, now_ns - std::min(now_ns, p.since_ns), p.state};
    }
  }
  return n;
}

void neighbour_resolver::drop_queue(pending& p, stats::drop_reason reason) noexcept {
  for (std::uint8_t i = 0; i < p.queued; ++i) {
    release(p.queue[i].frame, reason);
  }
  _queued_total -= p.queued;
  p.queued = 0;
}

void neighbour_resolver::release(const packet::buffer& frame, stats::drop_reason reason) noexcept {
  _pool.release(frame.handle);
  _stats.count_drop(reason);
}

}  // namespace rampart::route
