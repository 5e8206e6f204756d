#pragma once
// Link and network addresses as value types. ipv4_address holds the address in host order; the
// views in this module convert at the wire boundary (load_be32 / store_be32).
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

}  // namespace rampart::net
