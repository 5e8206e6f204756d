#include "route/neighbour_table.hh"

namespace rampart::route {

namespace {

// RFC 1122 3.3.6 / RFC 826: only unicast hosts are neighbours. A zero sender IP is an ARP
// probe (RFC 5227 §2.1.1) and says nothing about who owns an address.
bool learnable(net::ipv4_address ip, net::mac_address mac) noexcept {
  return !ip.is_zero() && !ip.is_limited_broadcast() && !ip.is_multicast() && !mac.is_zero() &&
         !mac.is_multicast();
}

}  // namespace

bool neighbour_table::learn(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept {
  if (!learnable(ip, mac)) {
    return false;
  }
  // One pass finds the entry, else a free slot, else the stalest entry. 64 entries: a linear
  // scan is a few cache lines and ARP is nowhere near the hot path.
  entry* free_slot = nullptr;
  entry* stalest = &_entries[0];
  for (entry& e : _entries) {
    if (!e.used) {
      if (free_slot == nullptr) {
        free_slot = &e;
      }
      continue;
    }
    if (e.ip == ip) {
      e.mac = mac;
      e.refreshed_ns = now_ns;
      return true;
    }
    if (!stalest->used || e.refreshed_ns < stalest->refreshed_ns) {
      stalest = &e;
    }
  }
  entry* slot = free_slot != nullptr ? free_slot : stalest;
  *slot = entry{ip, mac, now_ns, true};
  return true;
}

bool neighbour_table::refresh(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept {
  if (!learnable(ip, mac)) {
    return false;
  }
  for (entry& e : _entries) {
    if (e.used && e.ip == ip) {
      e.mac = mac;
      e.refreshed_ns = now_ns;
      return true;
    }
  }
  return false;
}

std::optional<net::mac_address> neighbour_table::lookup(net::ipv4_address ip) const noexcept {
  for (const entry& e : _entries) {
    if (e.used && e.ip == ip) {
      return e.mac;
    }
  }
  return std::nullopt;
}

std::size_t neighbour_table::size() const noexcept {
  std::size_t n = 0;
  for (const entry& e : _entries) {
    n += e.used ? 1 : 0;
  }
  return n;
}

}  // namespace rampart::route
