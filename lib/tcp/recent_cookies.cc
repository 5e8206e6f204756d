#include "recent_cookies.hh"

#include <bit>
#include <stdexcept>
#include <string>

namespace rampart::tcp {

recent_cookies::recent_cookies(std::uint32_t entries) {
  if (entries < 2 || entries > (1U << 24) || !std::has_single_bit(entries)) {
    throw std::invalid_argument("tcp: recent cookie memory of " + std::to_string(entries) +
                                " entries: a power of two from 2 to 16777216 is needed");
  }
  _slots.resize(entries);
  const auto bits = static_cast<std::uint32_t>(std::countr_zero(entries));
  _shift = 32 - bits;
  _rest_mask = (1U << _shift) - 1;  // _shift <= 31
}

void recent_cookies::record(std::uint32_t hash, const remembered_syn& syn) noexcept {
  _slots[slot_of(hash)] = entry{tag_of(hash), syn.client_isn, syn.syn_tsval};
}

std::optional<remembered_syn> recent_cookies::lookup(std::uint32_t hash) const noexcept {
  const entry& e = _slots[slot_of(hash)];
  if (e.tag != tag_of(hash)) {
    return std::nullopt;
  }
  return remembered_syn{e.client_isn, e.syn_tsval};
}

void recent_cookies::forget(std::uint32_t hash) noexcept {
  entry& e = _slots[slot_of(hash)];
  if (e.tag == tag_of(hash)) {
    e = entry{};
  }
}

}  // namespace rampart::tcp
