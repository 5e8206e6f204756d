#pragma once
// Ethernet II header (IEEE 802.3 with an EtherType ≥ 0x0600; RFC 894 for IPv4 over it).
//
//   0                   6                   12      14
//   +-------------------+-------------------+-------+
//   | destination MAC   | source MAC        | type  |  payload ... (FCS not included)
//   +-------------------+-------------------+-------+
//
// 802.1Q tags are not parsed: a tagged frame shows EtherType 0x8100 and the caller refuses it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "net/addresses.hh"
#include "net/byte_order.hh"
#include "net/parse_result.hh"

namespace rampart::net {

inline constexpr std::size_t ethernet_header_length = 14;
// The shortest frame on the wire without its 4-byte FCS; shorter frames are padded with zeros
// (IEEE 802.3 §3.2.8 minFrameSize 64 including FCS).
inline constexpr std::size_t ethernet_min_frame_length = 60;

namespace ether_type {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;
inline constexpr std::uint16_t ipv6 = 0x86dd;
}  // namespace ether_type

// Inline, as the rest of this header: every frame passes here, and a call into another
// translation unit per field cost more than the field (perf/bench/tcp/stream_bench, BM_syn_flood).
inline mac_address load_mac(const std::byte* p) noexcept {
  mac_address mac;
  std::memcpy(mac.bytes.data(), p, mac.bytes.size());
  return mac;
}
inline void store_mac(std::byte* p, const mac_address& mac) noexcept {
  std::memcpy(p, mac.bytes.data(), mac.bytes.size());
}

// Validated header fields.
struct ethernet_header {
  mac_address destination;
  mac_address source;
  std::uint16_t ether_type = 0;
};

class ethernet_view {
 public:
  // Errors: eth_truncated (fewer than 14 bytes).
  static parse_result<ethernet_view> parse(std::span<const std::byte> frame) noexcept {
    if (frame.size() < ethernet_header_length) {
      return stats::drop_reason::eth_truncated;
    }
    return ethernet_view{frame};
  }

  mac_address destination() const noexcept { return load_mac(_frame.data()); }
  mac_address source() const noexcept { return load_mac(_frame.data() + 6); }
  std::uint16_t ether_type() const noexcept { return load_be16(_frame.data() + 12); }
  ethernet_header header() const noexcept { return {destination(), source(), ether_type()}; }
  // Everything after the header, trailing padding included (L3 decides its own length).
  std::span<const std::byte> payload() const noexcept { return _frame.subspan(ethernet_header_length); }

 private:
  explicit ethernet_view(std::span<const std::byte> frame) noexcept : _frame(frame) {}
  std::span<const std::byte> _frame;
};

// Writes the 14-byte header at the start of out; returns 14, or 0 when out is shorter.
std::size_t write_ethernet_header(std::span<std::byte> out, const ethernet_header& header) noexcept;

}  // namespace rampart::net
