#include "maglev_table.hh"

#include <bitset>

namespace rampart::app::proxy {

namespace {

// SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA '14): every input bit affects every
// output bit, so neighbouring client addresses (a /24 behind one NAT) land far apart. Unkeyed
// on purpose: every lcore and every restart must give a client the same slot.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

constexpr std::uint64_t backend_hash(const backend_address& b) noexcept {
  return mix(std::uint64_t{b.address.value} << 16 | b.port);
}

}  // namespace

maglev_table::maglev_table(std::span<const backend_entry> backends) {
  if (backends.empty()) {
    return;
  }
  // §3.4, Pseudocode 1: backend i prefers the slots offset_i, offset_i + skip_i, ... (mod the
  // prime size, so the sequence visits every slot); in turn, each backend takes its next
  // preferred slot still free until all are taken. A backend takes `weight` slots per round, so
  // its share follows its weight.
  struct preference {
    std::uint32_t offset;
    std::uint32_t skip;
    std::uint32_t next = 0;  // how far along its permutation it is
  };
  std::vector<preference> prefs;
  prefs.reserve(backends.size());
  for (const backend_entry& b : backends) {
    const std::uint64_t h = backend_hash(b.endpoint);
    prefs.push_back({static_cast<std::uint32_t>(h % slots),
                     static_cast<std::uint32_t>((h >> 32) % (slots - 1) + 1)});
  }
  constexpr std::uint16_t empty = 0xffff;
  _entries.assign(slots, empty);
  std::uint32_t filled = 0;
  while (filled < slots) {
    for (std::size_t i = 0; i < backends.size() && filled < slots; ++i) {
      for (std::uint32_t turn = 0; turn < backends[i].weight && filled < slots; ++turn) {
        preference& p = prefs[i];
        std::uint32_t slot = 0;
        do {
          slot = static_cast<std::uint32_t>((p.offset + std::uint64_t{p.next} * p.skip) % slots);
          ++p.next;
        } while (_entries[slot] != empty);
        _entries[slot] = static_cast<std::uint16_t>(i);
        ++filled;
      }
    }
  }
}

std::optional<std::uint16_t> maglev_table::pick(net::ipv4_address client,
                                                std::span<const std::uint8_t> available,
                                                std::uint32_t attempt) const noexcept {
  if (_entries.empty()) {
    return std::nullopt;
  }
  const std::uint64_t h = mix(client.value);
  std::uint32_t slot = static_cast<std::uint32_t>(h % slots);
  // Any step in 1..slots-1 visits every slot, the table's size being prime.
  const auto step = static_cast<std::uint32_t>((h >> 32) % (slots - 1) + 1);
  std::bitset<max_backends> seen;
  for (std::uint32_t probe = 0; probe < slots; ++probe) {
    const std::uint16_t backend = _entries[slot];
    if (available[backend] != 0 && !seen[backend]) {
      if (attempt == 0) {
        return backend;
      }
      seen[backend] = true;
      --attempt;
    }
    slot += step;
    slot = slot >= slots ? slot - slots : slot;
  }
  return std::nullopt;
}

}  // namespace rampart::app::proxy
