#pragma once
// TCP header and options (RFC 9293 §3.1; options: MSS RFC 9293 §3.7.1, window scale and
// timestamps RFC 7323 §2.2/§3.2, SACK-permitted and SACK blocks RFC 2018 §2-3).
//
//   0               16              31
//   +---------------+---------------+
//   |  source port  |   dest port   |
//   +---------------+---------------+
//   |        sequence number        |
//   |     acknowledgment number     |
//   +----+----+-----+---------------+
//   |doff|rsvd|flags|    window     |   doff: header length in 32-bit words (5..15)
//   +----+----+-----+---------------+
//   |   checksum    |    urgent     |
//   +---------------+---------------+
//   |  options (doff > 5) ... data
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/addresses.hh"
#include "net/parse_result.hh"
#include "net/seq32.hh"

namespace rampart::net {

inline constexpr std::size_t tcp_min_header_length = 20;
inline constexpr std::size_t tcp_max_header_length = 60;
// RFC 7323 §2.3: a shift above 14 is treated as 14.
inline constexpr std::uint8_t tcp_max_window_scale = 14;

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
inline constexpr std::uint8_t urg = 0x20;
inline constexpr std::uint8_t ece = 0x40;
inline constexpr std::uint8_t cwr = 0x80;
}  // namespace tcp_flag

namespace tcp_option_kind {
inline constexpr std::uint8_t end = 0;
inline constexpr std::uint8_t nop = 1;
inline constexpr std::uint8_t mss = 2;
inline constexpr std::uint8_t window_scale = 3;
inline constexpr std::uint8_t sack_permitted = 4;
inline constexpr std::uint8_t sack = 5;
inline constexpr std::uint8_t timestamps = 8;
}  // namespace tcp_option_kind

struct tcp_timestamps {
  std::uint32_t value = 0;       // TSval
  std::uint32_t echo_reply = 0;  // TSecr
  bool operator==(const tcp_timestamps&) const = default;
};

// One SACK block (RFC 2018 §3): the received bytes [left, right), sequence numbers as sent.
struct sack_block {
  seq32 left{0};
  seq32 right{0};
  bool operator==(const sack_block&) const = default;
};
// RFC 2018 §3: 40 option bytes hold 4 blocks (2 + 8n); beside timestamps (10 bytes + 2 of NOP
// padding) only 3.
inline constexpr std::size_t tcp_max_sack_blocks = 4;
inline constexpr std::size_t tcp_max_sack_blocks_with_timestamps = 3;

// The options rampart understands. Unknown kinds are skipped by their length.
struct tcp_options {
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;  // already clamped to 14 on parse
  bool sack_permitted = false;
  std::optional<tcp_timestamps> timestamps;
  // SACK blocks in the order the option carried them (RFC 2018 §4: the most recent first).
  std::uint8_t sack_block_count = 0;
  std::array<sack_block, tcp_max_sack_blocks> sack_blocks{};
  std::span<const sack_block> sacks() const noexcept { return {sack_blocks.data(), sack_block_count}; }
  bool operator==(const tcp_options&) const = default;
};

// Parses an option list (the bytes between the fixed header and the data). Stops at EOL.
// Errors: tcp_bad_options when an option other than EOL/NOP has no length byte, a length
// below 2, a length running past the list, or a known kind with the wrong length (MSS 4,
// WS 3, SACK-permitted 2, TS 10, SACK 2 + 8n with n = 1..4) — RFC 9293 §3.1 MUST-7 asks to be
// prepared for exactly these.
// When a kind repeats, the last one wins.
parse_result<tcp_options> parse_tcp_options(std::span<const std::byte> list) noexcept;

// Bytes write_tcp_options will emit for these options (a multiple of 4, at most 40: the caller
// keeps sack_block_count within what fits beside the other options). Inline:
// each SYN-ACK needs it in write_reply and write_tcp_header, and the call cost more than the
// sum.
inline std::size_t tcp_options_length(const tcp_options& options) noexcept {
  // SACK-permitted rides in the two padding bytes of TS when both are present.
  return (options.mss ? 4U : 0U) + (options.timestamps ? 12U : options.sack_permitted ? 4U : 0U) +
         (options.window_scale ? 4U : 0U) + (options.sack_block_count ? 4U + 8U * options.sack_block_count : 0U);
}

// Writes options aligned the way Linux and the RFC 7323 Appendix A suggestion lay them out,
// so each 4-byte field sits on a 32-bit boundary:
//   MSS:                    02 04 mm mm
//   SACK-permitted + TS:    04 02 08 0a <TSval> <TSecr>
//   TS only:                01 01 08 0a <TSval> <TSecr>
//   SACK-permitted only:    01 01 04 02
//   window scale:           01 03 03 ws
//   SACK blocks:            01 01 05 len <left right>...
// Returns the length written (tcp_options_length), or 0 when out is shorter than that.
std::size_t write_tcp_options(std::span<std::byte> out, const tcp_options& options) noexcept;

// Fixed-header fields.
struct tcp_header {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  seq32 sequence;
  seq32 acknowledgment;
  std::uint8_t header_length = tcp_min_header_length;  // data offset * 4
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint16_t checksum = 0;
  std::uint16_t urgent_pointer = 0;

  constexpr bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
};

// What tcp_view::parse checks and decodes, written into caller-owned fields: the TCP input
// stage decodes straight into its per-burst segment this way instead of copying a view
// (docs/performance.md, "What makes it this fast", 6). Returns the header length (20..60).
// Errors: those of tcp_view::parse; header and options are then unspecified.
parse_result<std::size_t> parse_tcp_header(std::span<const std::byte> segment, tcp_header& header,
                                           tcp_options& options) noexcept;

class tcp_view {
 public:
  // segment: the IPv4 payload (header + data, exactly). Checks, in order:
  //   tcp_truncated        fewer than 20 bytes
  //   tcp_bad_data_offset  data offset < 5, or header longer than the segment
  //   tcp_bad_options      see parse_tcp_options
  // The checksum is not checked here: it needs the IP addresses (ipv4_l4_checksum_verifies)
  // and the NIC may already have verified it.
  static parse_result<tcp_view> parse(std::span<const std::byte> segment) noexcept;

  const tcp_header& header() const noexcept { return _header; }
  const tcp_options& options() const noexcept { return _options; }
  std::span<const std::byte> segment() const noexcept { return _segment; }
  std::span<const std::byte> payload() const noexcept { return _segment.subspan(_header.header_length); }
  // SEG.LEN of RFC 9293 §3.4: data octets plus one for SYN and one for FIN.
  std::uint32_t sequence_length() const noexcept;

 private:
  tcp_view(std::span<const std::byte> segment, const tcp_header& header,
           const tcp_options& options) noexcept
      : _segment(segment), _header(header), _options(options) {}
  std::span<const std::byte> _segment;
  tcp_header _header;
  tcp_options _options;
};

// Writes the fixed header followed by the options at the start of out, data offset set from
// the options' length (header.header_length is ignored) and the checksum field as given in
// header.checksum (usually 0, then filled with ipv4_l4_checksum over the whole segment, or the
// pseudo-header sum for a NIC offload). Returns the header length, or 0 when out is shorter.
std::size_t write_tcp_header(std::span<std::byte> out, const tcp_header& header,
                             const tcp_options& options) noexcept;

// write_tcp_header, returning also the partial sum (checksum.hh) of the bytes it wrote, computed
// from the values as they are stored. A checksum then adds the pseudo-header and the payload to
// it instead of reading back the header just written: that read, 8 bytes at a time over byte
// and 16-bit stores still in flight, failed its store-to-load forwards on every SYN-ACK
// (perf/bench/tcp/stream_bench, BM_syn_flood). length 0 (out too short): nothing written.
struct written_tcp_header {
  std::size_t length = 0;
  std::uint32_t sum = 0;
};
written_tcp_header write_tcp_header_summed(std::span<std::byte> out, const tcp_header& header,
                                           const tcp_options& options) noexcept;

}  // namespace rampart::net
