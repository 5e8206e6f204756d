#include "proxy_header.hh"

#include <cstring>
#include <string_view>

#include "net/byte_order.hh"

namespace rampart::app::proxy {

namespace {

// A bounded writer into the caller's span: once a piece does not fit, every later put is ignored
// and length() reports 0, so a writer checks the fit once, at the end.
class line_writer {
 public:
  explicit line_writer(std::span<std::byte> out) noexcept : _out(out) {}

  void put(std::string_view text) noexcept {
    if (_overflow || text.size() > _out.size() - _used) {
      _overflow = true;
      return;
    }
    std::memcpy(_out.data() + _used, text.data(), text.size());
    _used += text.size();
  }
  void put(char c) noexcept { put(std::string_view(&c, 1)); }

  // §2.1: decimal, no leading zeros.
  void put_decimal(std::uint32_t value) noexcept {
    char digits[10];
    std::size_t n = 0;
    do {
      digits[sizeof digits - ++n] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    put(std::string_view(digits + sizeof digits - n, n));
  }

  void put_ipv4(net::ipv4_address address) noexcept {
    for (int shift = 24; shift >= 0; shift -= 8) {
      put_decimal((address.value >> shift) & 0xff);
      if (shift != 0) {
        put('.');
      }
    }
  }

  // RFC 5952 §4: lower-case hex groups without leading zeros; the longest run of two or more zero
  // groups (the first of equal runs) becomes "::". This is the text inet_ntop gives, apart from
  // its dotted-quad tail for IPv4-mapped addresses, which §2.1's grammar (hex groups only) does
  // not allow.
  void put_ipv6(const ipv6_address& address) noexcept {
    std::uint16_t groups[8];
    for (int i = 0; i < 8; ++i) {
      groups[i] = static_cast<std::uint16_t>(address[2 * i] << 8 | address[2 * i + 1]);
    }
    int zeros_at = -1;
    int zeros_length = 1;  // a single zero group stays "0" (RFC 5952 §4.2.2)
    for (int i = 0; i < 8;) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        ++j;
      }
      if (j - i > zeros_length) {
        zeros_at = i;
        zeros_length = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    for (int i = 0; i < 8; ++i) {
      if (i == zeros_at) {
        put("::");
        i += zeros_length - 1;
        continue;
      }
      if (i != 0 && i != zeros_at + zeros_length) {
        put(':');
      }
      put_hex(groups[i]);
    }
  }

  // The header's length, or 0 when it did not fit.
  std::size_t length() const noexcept { return _overflow ? 0 : _used; }

 private:
  void put_hex(std::uint16_t value) noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = (value >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        put(hex[nibble]);
        started = true;
      }
    }
  }

  std::span<std::byte> _out;
  std::size_t _used = 0;
  bool _overflow = false;
};

template <class Endpoints, class PutAddress>
std::size_t write_v1_line(std::span<std::byte> out, std::string_view family, const Endpoints& e,
                          PutAddress put_address) noexcept {
  line_writer w(out);
  w.put("PROXY ");
  w.put(family);
  w.put(' ');
  put_address(w, e.source);
  w.put(' ');
  put_address(w, e.destination);
  w.put(' ');
  w.put_decimal(e.source_port);
  w.put(' ');
  w.put_decimal(e.destination_port);
  w.put("\r\n");
  return w.length();
}

// §2.2: the 12-byte signature (a NUL at the fifth byte: never a C string).
constexpr std::array<std::uint8_t, 12> v2_signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::uint8_t v2_version = 0x20;       // high nibble: version 2
constexpr std::uint8_t v2_command_local = 0x0;  // low nibble
constexpr std::uint8_t v2_command_proxy = 0x1;
constexpr std::uint8_t v2_unspec = 0x00;        // AF_UNSPEC, UNSPEC
constexpr std::uint8_t v2_tcp_over_ipv4 = 0x11;  // AF_INET, STREAM
constexpr std::uint8_t v2_tcp_over_ipv6 = 0x21;  // AF_INET6, STREAM

// The 16-byte fixed part; the caller checked that 16 + address_length bytes fit.
void write_v2_fixed(std::byte* p, std::uint8_t command, std::uint8_t family,
                    std::uint16_t address_length) noexcept {
  std::memcpy(p, v2_signature.data(), v2_signature.size());
  p[12] = std::byte{static_cast<std::uint8_t>(v2_version | command)};
  p[13] = std::byte{family};
  net::store_be16(p + 14, address_length);
}

}  // namespace

std::size_t write_proxy_v1(std::span<std::byte> out, const ipv4_endpoints& endpoints) noexcept {
  return write_v1_line(out, "TCP4", endpoints,
                       [](line_writer& w, net::ipv4_address a) { w.put_ipv4(a); });
}

std::size_t write_proxy_v1(std::span<std::byte> out, const ipv6_endpoints& endpoints) noexcept {
  return write_v1_line(out, "TCP6", endpoints,
                       [](line_writer& w, const ipv6_address& a) { w.put_ipv6(a); });
}

std::size_t write_proxy_v1_unknown(std::span<std::byte> out) noexcept {
  line_writer w(out);
  w.put("PROXY UNKNOWN\r\n");
  return w.length();
}

std::size_t write_proxy_v2(std::span<std::byte> out, const ipv4_endpoints& endpoints) noexcept {
  if (out.size() < proxy_v2_ipv4_length) {
    return 0;
  }
  std::byte* p = out.data();
  write_v2_fixed(p, v2_command_proxy, v2_tcp_over_ipv4, proxy_v2_ipv4_length - 16);
  // §2.2: source address, destination address, source port, destination port.
  net::store_be32(p + 16, endpoints.source.value);
  net::store_be32(p + 20, endpoints.destination.value);
  net::store_be16(p + 24, endpoints.source_port);
  net::store_be16(p + 26, endpoints.destination_port);
  return proxy_v2_ipv4_length;
}

std::size_t write_proxy_v2(std::span<std::byte> out, const ipv6_endpoints& endpoints) noexcept {
  if (out.size() < proxy_v2_ipv6_length) {
    return 0;
  }
  std::byte* p = out.data();
  write_v2_fixed(p, v2_command_proxy, v2_tcp_over_ipv6, proxy_v2_ipv6_length - 16);
  std::memcpy(p + 16, endpoints.source.data(), 16);
  std::memcpy(p + 32, endpoints.destination.data(), 16);
  net::store_be16(p + 48, endpoints.source_port);
  net::store_be16(p + 50, endpoints.destination_port);
  return proxy_v2_ipv6_length;
}

std::size_t write_proxy_v2_local(std::span<std::byte> out) noexcept {
  if (out.size() < 16) {
    return 0;
  }
  // §2.2: "When a sender presents a LOCAL connection, it should not present any address so it
  // sets this field to zero."
  write_v2_fixed(out.data(), v2_command_local, v2_unspec, 0);
  return 16;
}

}  // namespace rampart::app::proxy
