#include "route/neighbour_table.hh"

namespace rampart::route {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

// RFC 1122 3.3.6 / RFC 826: only unicast hosts are neighbours. A zero sender IP is an ARP
// probe (RFC 5227 §2.1.1) and says nothing about who owns an address.
bool learnable(net::ipv4_address ip, net::mac_address mac) noexcept {
  return !ip.is_zero() && !ip.is_limited_broadcast() && !ip.is_multicast() && !mac.is_zero() &&
         !mac.is_multicast();
}

std::uint64_t pack(net::mac_address mac) noexcept {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < mac.bytes.size(); ++i) {
    word |= std::uint64_t{mac.bytes[i]} << (8 * i);
  }
  return word;
}

net::mac_address unpack(std::uint64_t word) noexcept {
  net::mac_address mac;
  for (std::size_t i = 0; i < mac.bytes.size(); ++i) {
    mac.bytes[i] = static_cast<std::uint8_t>(word >> (8 * i));
  }
  return mac;
}

}  // namespace

void neighbour_table::write(slot& s, net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept {
  // Seqlock write: odd version, fields, even version; the fences order the field stores after
  // the first increment and before the second for a reader on another core.
  const std::uint32_t v = s.version.load(relaxed);
  s.version.store(v + 1, relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s.ip.store(ip.value, relaxed);
  s.mac.store(pack(mac), relaxed);
  s.refreshed_ns.store(now_ns, relaxed);
  s.version.store(v + 2, std::memory_order_release);
}

bool neighbour_table::learn(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept {
  if (!learnable(ip, mac)) {
    return false;
  }
  // One pass finds the entry, else a free slot, else the stalest entry. 64 entries: a linear
  // scan is a few cache lines and ARP is nowhere near the hot path.
  slot* free_slot = nullptr;
  slot* stalest = nullptr;
  for (slot& s : _slots) {
    const std::uint32_t slot_ip = s.ip.load(relaxed);
    if (slot_ip == 0) {
      if (free_slot == nullptr) {
        free_slot = &s;
      }
      continue;
    }
    if (slot_ip == ip.value) {
      write(s, ip, mac, now_ns);
      return true;
    }
    if (stalest == nullptr || s.refreshed_ns.load(relaxed) < stalest->refreshed_ns.load(relaxed)) {
      stalest = &s;
    }
  }
  write(free_slot != nullptr ? *free_slot : *stalest, ip, mac, now_ns);
  return true;
}

bool neighbour_table::refresh(net::ipv4_address ip, net::mac_address mac, std::uint64_t now_ns) noexcept {
  if (!learnable(ip, mac)) {
    return false;
  }
  for (slot& s : _slots) {
    if (s.ip.load(relaxed) == ip.value) {
      write(s, ip, mac, now_ns);
      return true;
    }
  }
  return false;
}

void neighbour_table::forget_all() noexcept {
  for (slot& s : _slots) {
    if (s.ip.load(relaxed) != 0) {
      write(s, net::ipv4_address{}, net::mac_address{}, 0);  // ip 0: a free slot
    }
  }
}

std::optional<net::mac_address> neighbour_table::lookup(net::ipv4_address ip) const noexcept {
  if (ip.is_zero()) {
    return std::nullopt;
  }
  for (const slot& s : _slots) {
    if (s.ip.load(relaxed) == ip.value) {
      return unpack(s.mac.load(relaxed));
    }
  }
  return std::nullopt;
}

std::size_t neighbour_table::size() const noexcept {
  std::size_t n = 0;
  for (const slot& s : _slots) {
    n += s.ip.load(relaxed) != 0 ? 1 : 0;
  }
  return n;
}

std::size_t neighbour_table::copy_entries(std::span<entry> out) const noexcept {
  std::size_t n = 0;
  for (const slot& s : _slots) {
    const std::uint32_t ip = s.ip.load(relaxed);
    if (ip != 0 && n < out.size()) {
      out[n++] = {{ip}, unpack(s.mac.load(relaxed)), s.refreshed_ns.load(relaxed)};
    }
  }
  return n;
}

std::optional<net::mac_address> neighbour_table::peek(net::ipv4_address ip) const noexcept {
  if (ip.is_zero()) {
    return std::nullopt;
  }
  for (const slot& s : _slots) {
    for (;;) {
      const std::uint32_t before = s.version.load(std::memory_order_acquire);
      const std::uint32_t slot_ip = s.ip.load(relaxed);
      const std::uint64_t mac = s.mac.load(relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if ((before & 1) == 0 && s.version.load(relaxed) == before) {
        if (slot_ip == ip.value) {
          return unpack(mac);
        }
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace rampart::route
