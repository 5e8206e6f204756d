#pragma once
// A small memory of the cookie SYN-ACKs this lcore sent recently: for each, the client's ISN and
// the SYN's TSval, found again by the flow hash of the 4-tuple. It lets the listener check the
// cookie of a data segment that overtook the handshake's last ACK (its SEG.SEQ - 1 is not the
// client's ISN, so the plain RFC 4987 §3.6 check cannot): listen_input.cc, open_from_cookie.
//
// Direct-mapped, one entry per slot, fixed size, allocated once; record, lookup and forget are a
// multiply, a shift and one 12-byte entry, with no allocation and no failure. A later SYN whose
// hash lands in the same slot overwrites the entry (a flood does that within milliseconds). It
// authenticates nothing: what it returns is only a candidate ISN, which the caller still checks
// against the cookie the segment carries, so a stale or falsely matched entry costs one more
// hash and the segment's RST, never a connection.
//
// Placement, for a 32-bit flow hash h and 2^b slots:
//
//    m = h * 0x9e3779b1 (mod 2^32; odd, so h -> m is a bijection)
//    31          32-b 31-b                                  0
//   +---------------+----------------------------------------+
//   |  slot (b bits) |  rest (32-b bits): kept in the tag     |
//   +---------------+----------------------------------------+
//    tag = rest | 1 << 31 (bit 31 set: the slot is in use; free because 32-b <= 31)
//
// Slot and tag together are m, hence h: two tuples match only when their whole flow hashes are
// equal. Multiplying first spreads every bit of h into the slot: the low bits of a NIC's RSS hash
// pick the RX queue (the RETA), so on one lcore they are far from uniform.
#include <cstdint>
#include <optional>
#include <vector>

namespace rampart::tcp {

// What the listener keeps of a SYN it answered with a cookie.
struct remembered_syn {
  std::uint32_t client_isn = 0;  // the SYN's SEG.SEQ
  std::uint32_t syn_tsval = 0;   // the SYN's TSval (0 when it had no Timestamps option)

  bool operator==(const remembered_syn&) const = default;
};

class recent_cookies {
 public:
  static constexpr std::uint32_t entry_bytes = 12;

  // `entries` slots, a power of two in [2, 2^24]; std::invalid_argument otherwise, std::bad_alloc.
  explicit recent_cookies(std::uint32_t entries);  // tcp_settings::recent_cookie_entries

  // The tuple with flow hash `hash` was sent a cookie SYN-ACK for `syn` (overwrites its slot).
  void record(std::uint32_t hash, const remembered_syn& syn) noexcept;
  // The SYN last recorded for `hash`, or nullopt (never recorded, forgotten, or overwritten by
  // another hash in the same slot).
  std::optional<remembered_syn> lookup(std::uint32_t hash) const noexcept;
  // Clears the entry of `hash`, if it is still the one in its slot.
  void forget(std::uint32_t hash) noexcept;

  std::uint32_t entries() const noexcept { return static_cast<std::uint32_t>(_slots.size()); }
  std::uint32_t slot_of(std::uint32_t hash) const noexcept { return mixed(hash) >> _shift; }

 private:
  struct entry {
    std::uint32_t tag = 0;  // 0: free
    std::uint32_t client_isn = 0;
    std::uint32_t syn_tsval = 0;
  };
  static_assert(sizeof(entry) == entry_bytes);

  static std::uint32_t mixed(std::uint32_t hash) noexcept { return hash * 0x9e3779b1U; }
  std::uint32_t tag_of(std::uint32_t hash) const noexcept {
    return (mixed(hash) & _rest_mask) | 0x8000'0000U;
  }

  std::vector<entry> _slots;
  std::uint32_t _shift = 0;      // 32 - b
  std::uint32_t _rest_mask = 0;  // the low 32 - b bits
};

}  // namespace rampart::tcp
