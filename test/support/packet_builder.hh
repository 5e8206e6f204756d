#pragma once
// Test frames built from fields, for the unit tests of lib/net, lib/pipeline and lib/tcp.
// Deliberately independent of lib/net: the builders lay bytes out by hand and checksum with a
// naive RFC 1071 loop, so a bug in the library's writers or checksum cannot cancel itself out
// in a test that compares the two.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/addresses.hh"
#include "packet/frame.hh"

namespace rampart::test {

using bytes = std::vector<std::byte>;

// "45 00 00 3c ..." → bytes; whitespace and ':' ignored. Aborts the test binary on bad hex.
bytes from_hex(std::string_view hex);
std::string to_hex(std::span<const std::byte> data);

constexpr net::ipv4_address ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {static_cast<std::uint32_t>(a) << 24 | static_cast<std::uint32_t>(b) << 16 |
          static_cast<std::uint32_t>(c) << 8 | d};
}
constexpr net::mac_address mac(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                               std::uint8_t e, std::uint8_t f) {
  return {{a, b, c, d, e, f}};
}

// "fd99::1" → the address; aborts the test binary on bad text.
net::ipv6_address ipv6(std::string_view text);

// The bytes of a frame (hex, as the captured ones below) after its Ethernet header.
bytes after_ethernet(std::string_view frame_hex);

// Naive RFC 1071: complement of the folded sum of big-endian words, odd byte padded with zero.
std::uint16_t reference_checksum(std::span<const std::byte> data, std::uint32_t initial_sum = 0);

void put16(bytes& out, std::uint16_t v);
void put32(bytes& out, std::uint32_t v);
std::uint16_t get16(std::span<const std::byte> data, std::size_t offset);
std::uint32_t get32(std::span<const std::byte> data, std::size_t offset);
void set16(std::span<std::byte> data, std::size_t offset, std::uint16_t v);

// Ethernet header + payload; padded with zeros to 60 bytes when pad is true.
bytes ethernet_frame(net::mac_address destination, net::mac_address source, std::uint16_t ether_type,
                     std::span<const std::byte> payload, bool pad = false);

struct arp_fields {
  std::uint16_t hardware_type = 1;
  std::uint16_t protocol_type = 0x0800;
  std::uint8_t hardware_length = 6;
  std::uint8_t protocol_length = 4;
  std::uint16_t operation = 1;
  net::mac_address sender_mac;
  net::ipv4_address sender_ip;
  net::mac_address target_mac;
  net::ipv4_address target_ip;
};
bytes arp_body(const arp_fields& f);

struct ipv4_fields {
  std::uint8_t version = 4;
  std::uint8_t ihl = 0;                // 0: 5 + options.size()/4
  std::uint8_t tos = 0;
  std::int32_t total_length = -1;      // -1: header + payload
  std::uint16_t identification = 0x1234;
  std::uint16_t flags_fragment = 0x4000;  // raw flags+offset word; default DF
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 1;
  net::ipv4_address source;
  net::ipv4_address destination;
  bytes options;                       // multiple of 4
  bool correct_checksum = true;        // false: checksum off by one
};
bytes ipv4_datagram(const ipv4_fields& f, std::span<const std::byte> payload);

// ICMP echo (type 8 request / 0 reply) with a correct checksum unless corrupt_checksum.
bytes icmp_echo(std::uint8_t type, std::uint16_t identifier, std::uint16_t sequence,
                std::span<const std::byte> data, bool corrupt_checksum = false);

// ICMP error (type 3, 4, 11, 12) quoting `quote` (the start of the datagram it is about), with
// the 32-bit "unused" word's low 16 bits set to next_hop_mtu (RFC 1191 §4) and a correct checksum.
bytes icmp_error(std::uint8_t type, std::uint8_t code, std::uint16_t next_hop_mtu, std::span<const std::byte> quote);

struct ipv6_fields {
  std::uint8_t version = 6;
  std::uint32_t flow_label = 0;
  std::int32_t payload_length = -1;  // -1: the payload's size
  std::uint8_t next_header = 58;     // ICMPv6
  std::uint8_t hop_limit = 64;
  net::ipv6_address source;
  net::ipv6_address destination;
};
// IPv6 fixed header + payload (extension headers, if any, are the payload's start).
bytes ipv6_packet(const ipv6_fields& f, std::span<const std::byte> payload);

// ICMPv6 message: type, code, checksum, the 32-bit word after it (echo: identifier and
// sequence; errors: MTU, pointer or unused; NDP: flags or reserved), then body, with the
// checksum over the IPv6 pseudo-header of source and destination (RFC 4443 §2.3), off by one
// when corrupt_checksum.
bytes icmpv6_message(std::uint8_t type, std::uint8_t code, std::uint32_t word, std::span<const std::byte> body,
                     const net::ipv6_address& source, const net::ipv6_address& destination,
                     bool corrupt_checksum = false);

struct tcp_fields {
  std::uint16_t source_port = 40000;
  std::uint16_t destination_port = 80;
  std::uint32_t sequence = 1000;
  std::uint32_t acknowledgment = 0;
  std::uint8_t flags = 0x02;  // SYN
  std::uint16_t window = 65535;
  std::uint16_t urgent = 0;
  bytes options;              // raw option bytes, padded by the caller to a multiple of 4
  bytes data;
};
// TCP segment with a correct checksum for the given addresses.
bytes tcp_segment(const tcp_fields& f, net::ipv4_address source, net::ipv4_address destination);

// A frame the pipeline may rewrite: the bytes copied into a buffer of `capacity` bytes.
class test_frame {
 public:
  // Bytes past the content are filled with 0xee, so a test sees stale data a reply leaks.
  explicit test_frame(std::span<const std::byte> content, std::size_t capacity = 2048);
  test_frame(const test_frame&) = delete;             // _frame.data points into _buffer
  test_frame& operator=(const test_frame&) = delete;
  test_frame(test_frame&&) = default;                 // a moved vector keeps its storage
  packet::frame& frame() { return _frame; }
  std::span<const std::byte> bytes_out() const { return {_buffer.data(), _frame.length}; }

 private:
  bytes _buffer;
  packet::frame _frame;
};

// Frames captured with tcpdump -xx on a veth pair between the host (10.99.0.1,
// 2e:df:10:48:5e:7a) and a Linux network namespace (10.99.0.2, 92:ed:03:40:28:43): `ping -s 40`
// and `nc -z 10.99.0.2 80`. The Linux answers are kept as reference outputs.
namespace captured {
inline constexpr net::mac_address host_mac = mac(0x2e, 0xdf, 0x10, 0x48, 0x5e, 0x7a);
inline constexpr net::ipv4_address host_ip = ipv4(10, 99, 0, 1);
inline constexpr net::mac_address peer_mac = mac(0x92, 0xed, 0x03, 0x40, 0x28, 0x43);
inline constexpr net::ipv4_address peer_ip = ipv4(10, 99, 0, 2);

// who-has 10.99.0.2 tell 10.99.0.1 (42 bytes: captured on the sending side, before padding)
inline constexpr std::string_view arp_request =
    "ffff ffff ffff 2edf 1048 5e7a 0806 0001 0800 0604 0001 2edf 1048 5e7a 0a63 0001"
    "0000 0000 0000 0a63 0002";
// Linux's answer: 10.99.0.2 is-at 92:ed:03:40:28:43
inline constexpr std::string_view arp_reply =
    "2edf 1048 5e7a 92ed 0340 2843 0806 0001 0800 0604 0002 92ed 0340 2843 0a63 0002"
    "2edf 1048 5e7a 0a63 0001";
// ICMP echo request id 10488 seq 1, 40 data bytes (82-byte frame)
inline constexpr std::string_view icmp_echo_request =
    "92ed 0340 2843 2edf 1048 5e7a 0800 4500 0044 b92c 4000 4001 6cc4 0a63 0001 0a63"
    "0002 0800 61c1 28f8 0001 e826 016b 0000 0000 3662 0800 0000 0000 1011 1213 1415"
    "1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627";
// Linux's echo reply (IP ID 0x5d36, DF clear)
inline constexpr std::string_view icmp_echo_reply =
    "2edf 1048 5e7a 92ed 0340 2843 0800 4500 0044 5d36 0000 4001 08bb 0a63 0002 0a63"
    "0001 0000 69c1 28f8 0001 e826 016b 0000 0000 3662 0800 0000 0000 1011 1213 1415"
    "1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627";
// SYN 10.99.0.1:44768 → 10.99.0.2:80 seq 2426473038 win 64240,
// options [mss 1460, sackOK, TS val 2429538155 ecr 0, nop, wscale 10]. Linux sent it with TX
// checksum offload, so its TCP checksum field holds the pseudo-header sum 0x14f7, not the
// final checksum (0x8de8): a real-world vector for the offload contract, and a segment whose
// checksum does NOT verify as captured.
inline constexpr std::string_view tcp_syn =
    "92ed 0340 2843 2edf 1048 5e7a 0800 4500 003c 0a71 4000 4006 1b83 0a63 0001 0a63"
    "0002 aee0 0050 90a1 0a4e 0000 0000 a002 faf0 14f7 0000 0204 05b4 0402 080a 90cf"
    "cf6b 0000 0000 0103 030a";

// IPv6, captured the same way with fd99::1/64 on the host and fd99::2/64 in the namespace:
// the namespace's address coming up (Linux's DAD probe, then, with ndisc_notify, its
// unsolicited advertisement), then `ping -6 -s 40 fd99::2` from the host.
inline constexpr net::ipv6_address host_ipv6{{0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
inline constexpr net::ipv6_address peer_ipv6{{0xfd, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
// MLDv2 report from :: to ff02::16: a Hop-by-Hop header (Router Alert, PadN) before ICMPv6 143
inline constexpr std::string_view mld_report =
    "3333 0000 0016 2edf 1048 5e7a 86dd 6000 0000 0024 0001 0000 0000 0000 0000 0000"
    "0000 0000 0000 ff02 0000 0000 0000 0000 0000 0000 0016 3a00 0502 0000 0100 8f00"
    "6f89 0000 0001 0400 0000 ff02 0000 0000 0000 0000 0001 ff00 0001";
// DAD probe: NS from :: to ff02::1:ff00:2 for fd99::2, with a Nonce option (RFC 7527)
inline constexpr std::string_view dad_probe =
    "3333 ff00 0002 92ed 0340 2843 86dd 6000 0000 0020 3aff 0000 0000 0000 0000 0000"
    "0000 0000 0000 ff02 0000 0000 0000 0000 0001 ff00 0002 8700 399f 0000 0000 fd99"
    "0000 0000 0000 0000 0000 0000 0002 0e01 72a2 f3cc cef2";
// Unsolicited NA from fd99::2 to ff02::1: O set, target link-layer address
inline constexpr std::string_view unsolicited_neighbor_advertisement =
    "3333 0000 0001 92ed 0340 2843 86dd 6000 0000 0020 3aff fd99 0000 0000 0000 0000"
    "0000 0000 0002 ff02 0000 0000 0000 0000 0000 0000 0001 8800 9cf7 2000 0000 fd99"
    "0000 0000 0000 0000 0000 0000 0002 0201 92ed 0340 2843";
// NS from fd99::1 to ff02::1:ff00:2: who has fd99::2, source link-layer address
inline constexpr std::string_view neighbor_solicitation =
    "3333 ff00 0002 2edf 1048 5e7a 86dd 6000 0000 0020 3aff fd99 0000 0000 0000 0000"
    "0000 0000 0001 ff02 0000 0000 0000 0000 0001 ff00 0002 8700 e0c4 0000 0000 fd99"
    "0000 0000 0000 0000 0000 0000 0002 0101 2edf 1048 5e7a";
// Linux's answer: solicited NA to fd99::1, S and O set, target link-layer address
inline constexpr std::string_view neighbor_advertisement =
    "2edf 1048 5e7a 92ed 0340 2843 86dd 6000 0000 0020 3aff fd99 0000 0000 0000 0000"
    "0000 0000 0002 fd99 0000 0000 0000 0000 0000 0000 0001 8800 5e60 6000 0000 fd99"
    "0000 0000 0000 0000 0000 0000 0002 0201 92ed 0340 2843";
// ICMPv6 echo request id 13119 seq 1, 40 data bytes (flow label 0x7370f)
inline constexpr std::string_view icmpv6_echo_request =
    "92ed 0340 2843 2edf 1048 5e7a 86dd 6007 370f 0030 3a40 fd99 0000 0000 0000 0000"
    "0000 0000 0001 fd99 0000 0000 0000 0000 0000 0000 0002 8000 b740 333f 0001 6949"
    "176b 0000 0000 c7d7 0c00 0000 0000 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021"
    "2223 2425 2627";
// Linux's echo reply (flow label 0x923fc: its own, which the checksum does not cover)
inline constexpr std::string_view icmpv6_echo_reply =
    "2edf 1048 5e7a 92ed 0340 2843 86dd 6009 23fc 0030 3a40 fd99 0000 0000 0000 0000"
    "0000 0000 0002 fd99 0000 0000 0000 0000 0000 0000 0001 8100 b640 333f 0001 6949"
    "176b 0000 0000 c7d7 0c00 0000 0000 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021"
    "2223 2425 2627";
}  // namespace captured

}  // namespace rampart::test
