#pragma once
// Link and network addresses as value types. ipv4_address holds the address in host order; the
// views in this module convert at the wire boundary (load_be32 / store_be32). ipv6_address holds
// its 16 bytes in wire order: no arithmetic is done on them, only comparisons and prefix tests.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::net {

struct mac_address {
  std::array<std::uint8_t, 6> bytes{};

  static constexpr mac_address broadcast() noexcept { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  constexpr bool is_broadcast() const noexcept { return *this == broadcast(); }
  constexpr bool is_multicast() const noexcept { return (bytes[0] & 0x01) != 0; }
  constexpr bool is_zero() const noexcept { return *this == mac_address{}; }
  auto operator<=>(const mac_address&) const = default;

  // "aa:bb:cc:dd:ee:ff"; nullopt on anything else.
  static std::optional<mac_address> parse(std::string_view text) noexcept;
  std::string to_string() const;
};

struct ipv4_address {
  std::uint32_t value = 0;  // host order: 10.77.0.2 == 0x0a4d0002

  constexpr bool is_zero() const noexcept { return value == 0; }
  constexpr bool is_limited_broadcast() const noexcept { return value == 0xffffffffU; }
  constexpr bool is_multicast() const noexcept { return (value >> 28) == 0xe; }
  constexpr bool is_loopback() const noexcept { return (value >> 24) == 127; }
  auto operator<=>(const ipv4_address&) const = default;

  // Dotted quad "a.b.c.d", each part 0..255 without leading '+'/'-'; nullopt otherwise.
  static std::optional<ipv4_address> parse(std::string_view text) noexcept;
  std::string to_string() const;
};

// An address with its prefix length, e.g. 10.77.0.2/24.
struct ipv4_interface_address {
  ipv4_address address;
  std::uint8_t prefix_length = 32;

  constexpr std::uint32_t netmask() const noexcept {
    return prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length);
  }
  constexpr ipv4_address subnet_broadcast() const noexcept {
    return {address.value | ~netmask()};
  }
  // "a.b.c.d/len" with len 0..32; nullopt otherwise.
  static std::optional<ipv4_interface_address> parse(std::string_view text) noexcept;
  std::string to_string() const;

  bool operator==(const ipv4_interface_address&) const = default;
};

// An IPv6 address (RFC 4291), bytes in wire order.
struct ipv6_address {
  std::array<std::uint8_t, 16> bytes{};

  constexpr bool is_unspecified() const noexcept { return *this == ipv6_address{}; }
  constexpr bool is_loopback() const noexcept {  // ::1
    return *this == ipv6_address{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  }
  constexpr bool is_multicast() const noexcept { return bytes[0] == 0xff; }  // ff00::/8
  constexpr bool is_link_local() const noexcept {                             // fe80::/10
    return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
  }
  // ::ffff:0:0/96 (RFC 4291 §2.5.5.2): an IPv4 address in IPv6 form, never valid on the wire
  // as a source or destination (RFC 6890, and the kernel drops them too).
  constexpr bool is_ipv4_mapped() const noexcept {
    for (std::size_t i = 0; i < 10; ++i) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == 0xff && bytes[11] == 0xff;
  }
  // Whether the first prefix_length bits equal other's.
  constexpr bool same_prefix(const ipv6_address& other, std::uint8_t prefix_length) const noexcept {
    std::size_t full = prefix_length / 8;
    for (std::size_t i = 0; i < full && i < 16; ++i) {
      if (bytes[i] != other.bytes[i]) {
        return false;
      }
    }
    const unsigned rest = prefix_length % 8;
    if (rest == 0 || full >= 16) {
      return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff00U >> rest);
    return (bytes[full] & mask) == (other.bytes[full] & mask);
  }

  // The solicited-node multicast address of this address, ff02::1:ffXX:XXXX with its low 24
  // bits (RFC 4291 §2.7.1): where neighbours send their Neighbor Solicitations for it.
  constexpr ipv6_address solicited_node() const noexcept {
    return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, bytes[13], bytes[14], bytes[15]}};
  }
  // The Ethernet group a multicast address maps to, 33:33 and its low 32 bits (RFC 2464 §7).
  constexpr mac_address multicast_mac() const noexcept {
    return {{0x33, 0x33, bytes[12], bytes[13], bytes[14], bytes[15]}};
  }
  // fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A,
  // RFC 2464 §4-5): the universal/local bit inverted and ff:fe in the middle.
  static constexpr ipv6_address link_local_of(mac_address mac) noexcept {
    const auto& m = mac.bytes;
    return {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3],
             m[4], m[5]}};
  }
  static constexpr ipv6_address all_nodes() noexcept {  // ff02::1
    return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};
  }
  static constexpr ipv6_address all_routers() noexcept {  // ff02::2
    return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
  }

  auto operator<=>(const ipv6_address&) const = default;

  // The text forms of RFC 4291 §2.2 (inet_pton's), no zone index ("%eth0"); nullopt otherwise.
  static std::optional<ipv6_address> parse(std::string_view text) noexcept;
  // RFC 5952's canonical form: lower case, the longest run of zero groups as "::".
  std::string to_string() const;
};

// An IPv6 address with its prefix length, e.g. fd77::2/64.
struct ipv6_interface_address {
  ipv6_address address;
  std::uint8_t prefix_length = 128;

  constexpr bool on_link(const ipv6_address& other) const noexcept {
    return address.same_prefix(other, prefix_length);
  }
  // "address/len" with len 0..128, decimal without leading zeros; nullopt otherwise.
  static std::optional<ipv6_interface_address> parse(std::string_view text) noexcept;
  std::string to_string() const;

  bool operator==(const ipv6_interface_address&) const = default;
};

}  // namespace rampart::net
