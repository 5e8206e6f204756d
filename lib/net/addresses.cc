// Text forms of link and network addresses. Parsing is strict on purpose: these strings come from
// configuration files, where a typo must be an error rather than a silently different address.
//
// Rejected on purpose (each is accepted by some libc parser, with surprising results):
//   - leading zeros in an IPv4 part ("010.1.1.1"): inet_aton() reads "010" as octal 8, other
//     tools as decimal 10. Rather than pick one, rampart refuses the ambiguity; "0" alone is fine.
//   - fewer than four parts ("10.1"), which inet_aton() expands to 10.0.0.1.
//   - signs, spaces, empty parts, parts above 255, anything after the last part.
//   - MAC addresses with '-' or '.' separators or single hex digits ("a:b:c:d:e:f").
// Prefix lengths follow the same rules: 0..32, decimal, no leading zeros ("/08" is rejected).
// IPv6 text is inet_pton's (RFC 4291 §2.2, including "::" and a trailing dotted quad); it has no
// ambiguity to refuse. Zone indexes ("fe80::1%eth0") are not addresses and are rejected.
#include "net/addresses.hh"

#include "net/hex.hh"

#include <arpa/inet.h>

#include <cstdio>

namespace rampart::net {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A decimal number of 1..max_digits digits, no leading zero unless it is "0" itself, at most
// max_value. Consumes the digits from the front of `text`.
std::optional<std::uint32_t> take_decimal(std::string_view& text, std::size_t max_digits,
                                          std::uint32_t max_value) noexcept {
  std::size_t n = 0;
  while (n < text.size() && is_digit(text[n])) {
    ++n;
  }
  if (n == 0 || n > max_digits) {
    return std::nullopt;
  }
  if (n > 1 && text[0] == '0') {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    value = value * 10 + static_cast<std::uint32_t>(text[i] - '0');
  }
  if (value > max_value) {
    return std::nullopt;
  }
  text.remove_prefix(n);
  return value;
}

// Parses the dotted quad at the front of `text`, consuming it.
std::optional<ipv4_address> take_ipv4(std::string_view& text) noexcept {
  std::uint32_t value = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (text.empty() || text.front() != '.') {
        return std::nullopt;
      }
      text.remove_prefix(1);
    }
    const auto octet = take_decimal(text, 3, 255);
    if (!octet) {
      return std::nullopt;
    }
    value = (value << 8) | *octet;
  }
  return ipv4_address{value};
}

}  // namespace

std::optional<mac_address> mac_address::parse(std::string_view text) noexcept {
  // Exactly "hh:hh:hh:hh:hh:hh": 6 * 2 digits + 5 colons.
  if (text.size() != 17) {
    return std::nullopt;
  }
  mac_address mac;
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t at = i * 3;
    if (i > 0 && text[at - 1] != ':') {
      return std::nullopt;
    }
    const int high = hex_value(text[at]);
    const int low = hex_value(text[at + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    mac.bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return mac;
}

std::string mac_address::to_string() const {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return text;
}

std::optional<ipv4_address> ipv4_address::parse(std::string_view text) noexcept {
  auto address = take_ipv4(text);
  if (!address || !text.empty()) {
    return std::nullopt;
  }
  return address;
}

std::string ipv4_address::to_string() const {
  char text[16];
  std::snprintf(text, sizeof text, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff,
                (value >> 8) & 0xff, value & 0xff);
  return text;
}

std::optional<ipv4_interface_address> ipv4_interface_address::parse(
    std::string_view text) noexcept {
  const auto address = take_ipv4(text);
  if (!address || text.empty() || text.front() != '/') {
    return std::nullopt;
  }
  text.remove_prefix(1);
  const auto prefix = take_decimal(text, 2, 32);
  if (!prefix || !text.empty()) {
    return std::nullopt;
  }
  return ipv4_interface_address{*address, static_cast<std::uint8_t>(*prefix)};
}

std::string ipv4_interface_address::to_string() const {
  return address.to_string() + '/' + std::to_string(prefix_length);
}

std::optional<ipv6_address> ipv6_address::parse(std::string_view text) noexcept {
  char copy[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof copy) {
    return std::nullopt;
  }
  text.copy(copy, text.size());
  copy[text.size()] = '\0';
  ipv6_address address;
  if (inet_pton(AF_INET6, copy, address.bytes.data()) != 1) {
    return std::nullopt;
  }
  return address;
}

std::string ipv6_address::to_string() const {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

std::optional<ipv6_interface_address> ipv6_interface_address::parse(std::string_view text) noexcept {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  const auto address = ipv6_address::parse(text.substr(0, slash));
  std::string_view length = text.substr(slash + 1);
  const auto prefix = take_decimal(length, 3, 128);
  if (!address || !prefix || !length.empty()) {
    return std::nullopt;
  }
  return ipv6_interface_address{*address, static_cast<std::uint8_t>(*prefix)};
}

std::string ipv6_interface_address::to_string() const {
  return address.to_string() + '/' + std::to_string(prefix_length);
}

}  // namespace rampart::net
