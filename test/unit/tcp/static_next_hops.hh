#pragma once
// A next_hop_resolver with a static neighbour table (as `ip neigh add ... permanent` would make):
// each address is resolved to a MAC, pending (frames wait in a queue the test flushes with
// answer(), as an ARP reply would), or unreachable; an address not listed has no route.
#include <cstring>
#include <map>
#include <vector>

#include "packet/buffer.hh"
#include "tcp/next_hop.hh"

namespace rampart::test {

class static_next_hops final : public tcp::next_hop_resolver {
 public:
  struct held_frame {
    net::ipv4_address destination;
    packet::buffer frame;
    packet::tx_offload_request offload;
  };

  void add(net::ipv4_address ip, const net::mac_address& mac) { _entries[ip.value] = {status::resolved, mac}; }
  void add_pending(net::ipv4_address ip) { _entries[ip.value] = {status::pending, {}}; }
  void set_unreachable(net::ipv4_address ip) { _entries[ip.value] = {status::unreachable, {}}; }
  std::size_t hold_limit = 8;
  packet::buffer_pool* pool = nullptr;  // where frames the queue cannot take go back

  result resolve(net::ipv4_address destination, std::uint64_t) noexcept override {
    ++resolutions;
    const auto it = _entries.find(destination.value);
    return it == _entries.end() ? result{} : it->second;
  }
  bool hold(net::ipv4_address destination, const packet::buffer& frame, const packet::tx_offload_request& offload,
            std::uint64_t) noexcept override {
    if (held.size() >= hold_limit) {
      pool->release(frame.handle);
      return false;
    }
    held.push_back({destination, frame, offload});
    return true;
  }

  // The ARP reply for ip: the frames waiting for it leave to `sink` with `mac` written in.
  void answer(net::ipv4_address ip, const net::mac_address& mac, packet::frame_sink& sink) {
    add(ip, mac);
    std::vector<held_frame> waiting;
    for (held_frame& h : held) {
      if (h.destination == ip) {
        std::memcpy(h.frame.data, mac.bytes.data(), 6);
        sink.push(h.frame, h.offload);
      } else {
        waiting.push_back(h);
      }
    }
    held = std::move(waiting);
  }
  // Gives the frames of an address that never answered back to the pool.
  void give_up(net::ipv4_address ip, packet::buffer_pool& pool) {
    set_unreachable(ip);
    std::erase_if(held, [&](const held_frame& h) {
      if (h.destination == ip) {
        pool.release(h.frame.handle);
        return true;
      }
      return false;
    });
  }

  std::vector<held_frame> held;
  int resolutions = 0;

 private:
  std::map<std::uint32_t, result> _entries;
};

}  // namespace rampart::test
