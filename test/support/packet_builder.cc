#include "packet_builder.hh"

#include "net/hex.hh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace rampart::test {

namespace {

void put_mac(bytes& out, const net::mac_address& m) {
  for (std::uint8_t b : m.bytes) {
    out.push_back(std::byte{b});
  }
}

}  // namespace

bytes from_hex(std::string_view hex) {
  bytes out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == ':') {
      continue;
    }
    const int d = net::hex_value(c);
    if (d < 0) {
      std::fprintf(stderr, "from_hex: bad character '%c'\n", c);
      std::abort();
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<std::byte>(high << 4 | d));
      high = -1;
    }
  }
  if (high >= 0) {
    std::fprintf(stderr, "from_hex: odd number of digits\n");
    std::abort();
  }
  return out;
}

net::ipv6_address ipv6(std::string_view text) {
  const auto address = net::ipv6_address::parse(text);
  if (!address) {
    std::fprintf(stderr, "ipv6: bad address '%.*s'\n", static_cast<int>(text.size()), text.data());
    std::abort();
  }
  return *address;
}

bytes after_ethernet(std::string_view frame_hex) {
  const bytes frame = from_hex(frame_hex);
  return bytes(frame.begin() + 14, frame.end());
}

std::string to_hex(std::span<const std::byte> data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto b = std::to_integer<unsigned>(data[i]);
    if (i != 0) {
      s += ' ';
    }
    s += digits[b >> 4];
    s += digits[b & 0xf];
  }
  return s;
}

std::uint16_t reference_checksum(std::span<const std::byte> data, std::uint32_t initial_sum) {
  std::uint64_t sum = initial_sum;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    std::uint32_t word = std::to_integer<std::uint32_t>(data[i]) << 8;
    if (i + 1 < data.size()) {
      word |= std::to_integer<std::uint32_t>(data[i + 1]);
    }
    sum += word;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

void put16(bytes& out, std::uint16_t v) {
  out.push_back(std::byte(v >> 8));
  out.push_back(std::byte(v & 0xff));
}
void put32(bytes& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
}
std::uint16_t get16(std::span<const std::byte> data, std::size_t offset) {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(data[offset]) << 8 |
                                    std::to_integer<unsigned>(data[offset + 1]));
}
std::uint32_t get32(std::span<const std::byte> data, std::size_t offset) {
  return static_cast<std::uint32_t>(get16(data, offset)) << 16 | get16(data, offset + 2);
}
void set16(std::span<std::byte> data, std::size_t offset, std::uint16_t v) {
  data[offset] = std::byte(v >> 8);
  data[offset + 1] = std::byte(v & 0xff);
}

bytes ethernet_frame(net::mac_address destination, net::mac_address source, std::uint16_t ether_type,
                     std::span<const std::byte> payload, bool pad) {
  bytes out;
  put_mac(out, destination);
  put_mac(out, source);
  put16(out, ether_type);
  out.insert(out.end(), payload.begin(), payload.end());
  if (pad && out.size() < 60) {
    out.resize(60, std::byte{0});
  }
  return out;
}

bytes arp_body(const arp_fields& f) {
  bytes out;
  put16(out, f.hardware_type);
  put16(out, f.protocol_type);
  out.push_back(std::byte{f.hardware_length});
  out.push_back(std::byte{f.protocol_length});
  put16(out, f.operation);
  put_mac(out, f.sender_mac);
  put32(out, f.sender_ip.value);
  put_mac(out, f.target_mac);
  put32(out, f.target_ip.value);
  return out;
}

bytes ipv4_datagram(const ipv4_fields& f, std::span<const std::byte> payload) {
  const std::uint8_t ihl = f.ihl != 0 ? f.ihl : static_cast<std::uint8_t>(5 + f.options.size() / 4);
  const std::size_t header_bytes = 20 + f.options.size();
  bytes out;
  out.push_back(std::byte(f.version << 4 | (ihl & 0x0f)));
  out.push_back(std::byte{f.tos});
  put16(out, static_cast<std::uint16_t>(f.total_length >= 0 ? f.total_length
                                                            : static_cast<std::int32_t>(header_bytes + payload.size())));
  put16(out, f.identification);
  put16(out, f.flags_fragment);
  out.push_back(std::byte{f.ttl});
  out.push_back(std::byte{f.protocol});
  put16(out, 0);
  put32(out, f.source.value);
  put32(out, f.destination.value);
  out.insert(out.end(), f.options.begin(), f.options.end());
  std::uint16_t checksum = reference_checksum({out.data(), header_bytes});
  if (!f.correct_checksum) {
    checksum = static_cast<std::uint16_t>(checksum + 1);
  }
  set16(out, 10, checksum);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

bytes icmp_echo(std::uint8_t type, std::uint16_t identifier, std::uint16_t sequence,
                std::span<const std::byte> data, bool corrupt_checksum) {
  bytes out;
  out.push_back(std::byte{type});
  out.push_back(std::byte{0});
  put16(out, 0);
  put16(out, identifier);
  put16(out, sequence);
  out.insert(out.end(), data.begin(), data.end());
  std::uint16_t checksum = reference_checksum(out);
  if (corrupt_checksum) {
    checksum ^= 0x0100;
  }
  set16(out, 2, checksum);
  return out;
}

bytes icmp_error(std::uint8_t type, std::uint8_t code, std::uint16_t next_hop_mtu, std::span<const std::byte> quote) {
  bytes out;
  out.push_back(std::byte{type});
  out.push_back(std::byte{code});
  put16(out, 0);
  put16(out, 0);
  put16(out, next_hop_mtu);
  out.insert(out.end(), quote.begin(), quote.end());
  set16(out, 2, reference_checksum(out));
  return out;
}

bytes ipv6_packet(const ipv6_fields& f, std::span<const std::byte> payload) {
  bytes out;
  put32(out, static_cast<std::uint32_t>(f.version) << 28 | (f.flow_label & 0xfffff));
  put16(out, static_cast<std::uint16_t>(f.payload_length >= 0 ? f.payload_length
                                                              : static_cast<std::int32_t>(payload.size())));
  out.push_back(std::byte{f.next_header});
  out.push_back(std::byte{f.hop_limit});
  for (const auto* address : {&f.source, &f.destination}) {
    for (const std::uint8_t b : address->bytes) {
      out.push_back(std::byte{b});
    }
  }
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

bytes icmpv6_message(std::uint8_t type, std::uint8_t code, std::uint32_t word, std::span<const std::byte> body,
                     const net::ipv6_address& source, const net::ipv6_address& destination,
                     bool corrupt_checksum) {
  bytes out;
  out.push_back(std::byte{type});
  out.push_back(std::byte{code});
  put16(out, 0);
  put32(out, word);
  out.insert(out.end(), body.begin(), body.end());
  // The pseudo-header (RFC 8200 §8.1): both addresses, the 32-bit length, Next Header 58.
  std::uint32_t pseudo = 58 + static_cast<std::uint32_t>(out.size() >> 16) +
                         static_cast<std::uint32_t>(out.size() & 0xffff);
  for (const auto* address : {&source, &destination}) {
    for (std::size_t i = 0; i < 16; i += 2) {
      pseudo += static_cast<std::uint32_t>(address->bytes[i]) << 8 | address->bytes[i + 1];
    }
  }
  std::uint16_t checksum = reference_checksum(out, pseudo);
  if (corrupt_checksum) {
    checksum = static_cast<std::uint16_t>(checksum + 1);
  }
  set16(out, 2, checksum);
  return out;
}

bytes tcp_segment(const tcp_fields& f, net::ipv4_address source, net::ipv4_address destination) {
  bytes out;
  put16(out, f.source_port);
  put16(out, f.destination_port);
  put32(out, f.sequence);
  put32(out, f.acknowledgment);
  const std::size_t header_bytes = 20 + f.options.size();
  out.push_back(std::byte(static_cast<std::uint8_t>(header_bytes / 4) << 4));
  out.push_back(std::byte{f.flags});
  put16(out, f.window);
  put16(out, 0);
  put16(out, f.urgent);
  out.insert(out.end(), f.options.begin(), f.options.end());
  out.insert(out.end(), f.data.begin(), f.data.end());
  // RFC 9293 §3.1 pseudo-header: source, destination, zero, protocol 6, TCP length.
  const std::uint32_t pseudo = (source.value >> 16) + (source.value & 0xffff) + (destination.value >> 16) +
                               (destination.value & 0xffff) + 6 + static_cast<std::uint32_t>(out.size());
  set16(out, 16, reference_checksum(out, pseudo));
  return out;
}

test_frame::test_frame(std::span<const std::byte> content, std::size_t capacity)
    : _buffer(std::max(capacity, content.size()), std::byte{0xee}) {
  std::copy(content.begin(), content.end(), _buffer.begin());
  _frame.data = _buffer.data();
  _frame.length = static_cast<std::uint16_t>(content.size());
  _frame.capacity = static_cast<std::uint16_t>(_buffer.size());
}

}  // namespace rampart::test
