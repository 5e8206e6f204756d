#pragma once
// One TCP segment of the burst, validated (lengths, data offset, options, checksum) and decoded,
// with the frame it arrived in: the reply, if any, is written over that frame.
#include <algorithm>
#include <cstdint>

#include "cookie/syn_cookie.hh"
#include "flow/flow_key.hh"
#include "net/ipv4.hh"
#include "net/tcp_header.hh"
#include "packet/frame.hh"

namespace rampart::tcp {

struct segment {
  packet::frame* frame = nullptr;
  net::ipv4_header ip;
  net::tcp_header tcp;
  net::tcp_options options;
  const std::byte* payload = nullptr;  // first data octet, inside frame
  std::uint16_t payload_length = 0;  // data octets
  flow::flow_key key;                // remote = the segment's source
  std::uint32_t hash = 0;            // the flow table hash (the NIC's RSS hash when it gave one)

  bool has(std::uint8_t flag) const noexcept { return tcp.has(flag); }
  // The MSS a SYN (or SYN-ACK) announces, as every path keeps it: 536 when absent (RFC 9293
  // §3.7.1), and below 536 counts as 536, as a cookie would encode it (syn_cookie.hh). An MSS of
  // 0 stalled the connection (no segment could carry data), one under 12 with Timestamps wrapped
  // effective_mss to ~64 KiB (fuzz_tcp_stream).
  std::uint16_t announced_mss() const noexcept {
    return std::max(options.mss.value_or(cookie::mss_table.front()), cookie::mss_table.front());
  }
  // SEG.LEN (RFC 9293 §3.4): data plus one for SYN and one for FIN.
  std::uint32_t sequence_length() const noexcept {
    return payload_length + (has(net::tcp_flag::syn) ? 1U : 0U) + (has(net::tcp_flag::fin) ? 1U : 0U);
  }
};

}  // namespace rampart::tcp
