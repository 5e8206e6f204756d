#pragma once
// Whole-segment comparison for the scripted TCP exchanges: a test states the segment rampart must
// send, every field of it, and expect_segment compares them all (smoltcp's send!/recv! compare
// whole TcpReprs the same way):
//
//   expect_segment(f.script.expect_sent(1)[0],
//                  {.sequence = iss + 1, .acknowledgment = client.isn + 6, .flags = ack, .window = 65535});
//   expect_segment(f.script.expect_reply(),
//                  {.sequence = any, .acknowledgment = client.isn + 1, .flags = syn | ack, .window = 65535,
//                   .options = {option::mss(1460), option::sack_permitted(), option::timestamps(any, 5000),
//                               option::window_scale(7)}});
//
// Sequence, acknowledgment, flags and window have no default: a template that leaves one out does
// not compile. A value the test cannot know (a cookie's ISN, the TSval of a cookie SYN-ACK) is
// written `any`, so nothing is skipped without saying so. The options are compared one by one in the order they
// came on the wire (NOP and EOL padding left out); no options means none may be there.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/addresses.hh"
#include "net/tcp_header.hh"
#include "tcp_script.hh"

namespace rampart::test {

struct any_value {};
// A field whose value the test cannot know.
inline constexpr any_value any{};

// A field's value as the template states it: a value, or `any`. Not default-constructible, so a
// template must state every field that has no default.
template <typename T>
class expected {
 public:
  expected(T value) : _value(value) {}  // NOLINT: implicit by design, `.window = 65535`
  expected(any_value) {}                // NOLINT: and `.sequence = any`
  const std::optional<T>& value() const noexcept { return _value; }

 private:
  std::optional<T> _value;
};

// One TCP option as the template states it: its kind and its fields in wire order (MSS: the MSS;
// window scale: the shift; timestamps: TSval, TSecr; SACK: left, right of each block).
struct expected_option {
  std::uint8_t kind = 0;
  std::vector<expected<std::uint32_t>> fields;
};

namespace option {
expected_option mss(std::uint16_t value);
expected_option window_scale(std::uint8_t shift);
expected_option sack_permitted();
expected_option timestamps(expected<std::uint32_t> value, expected<std::uint32_t> echo_reply);
expected_option sack(const std::vector<net::sack_block>& blocks);
}  // namespace option

// Defaults: what every segment rampart sends to the scripted client carries. Ethernet back to the
// client from rampart; IPv4 without options, DSCP/ECN 0, DF, TTL 64, not a fragment; the listener
// on port 80 and the client's port 40000; no urgent pointer, no options, no payload. The IPv4
// identification is a per-lcore counter: `any` unless a test states it.
struct expected_segment {
  net::mac_address eth_destination = client_mac;
  net::mac_address eth_source = server_mac;
  net::ipv4_address source{0x0a4d0002};
  net::ipv4_address destination{0x0a4d0001};
  expected<std::uint16_t> identification = any;
  std::uint16_t source_port = 80;
  std::uint16_t destination_port = 40000;
  expected<std::uint32_t> sequence;
  expected<std::uint32_t> acknowledgment;  // 0 when the ACK flag is clear (RFC 9293 §3.1)
  expected<std::uint8_t> flags;
  expected<std::uint16_t> window;
  std::vector<expected_option> options;
  std::string payload;
};

// CHECKs every field of `actual` against `segment`, and that both checksums verify and the frame
// is exactly the datagram (padded with zeros to the Ethernet minimum). A failure prints the whole
// segment as sent and as expected.
void expect_segment(const decoded_frame& actual, const expected_segment& segment);

}  // namespace rampart::test
