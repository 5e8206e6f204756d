#pragma once
// One hex digit's value. Shared by the text formats that carry hex: MAC addresses
// (addresses.cc), the SYN-cookie master secret file (lib/cookie), test byte literals.
namespace rampart::net {

// '0'..'9', 'a'..'f', 'A'..'F' → 0..15; anything else → -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace rampart::net
