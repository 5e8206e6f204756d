#pragma once
// Scripted TCP exchanges over lib/tcp without EAL: build a client's segment as a real Ethernet
// frame (checksums correct), send it through tcp_input_burst with a fake clock, and decode what
// comes back (checksums verified independently of the code under test's choices).
//
//   tcp_script s{tcp};
//   s.send(client.syn());
//   const auto syn_ack = s.expect_reply();      // REQUIREs a transmit verdict
//   s.send(client.ack_of(syn_ack));
//   s.expect_consumed();
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "net/addresses.hh"
#include "net/ipv4.hh"
#include "net/tcp_header.hh"
#include "packet/frame.hh"
#include "stats/counters.hh"
#include "stats/drop_reason.hh"
#include "tcp/lcore_tcp.hh"
#include "fake_io.hh"

namespace rampart::test {

// One segment as a test writes it (addresses host order).
struct tcp_segment_spec {
  net::ipv4_address source{0x0a4d0001};       // 10.77.0.1: the client
  net::ipv4_address destination{0x0a4d0002};  // 10.77.0.2: rampart
  std::uint16_t source_port = 40000;
  std::uint16_t destination_port = 80;
  std::uint32_t sequence = 0;
  std::uint32_t acknowledgment = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 65535;
  net::tcp_options options;
  std::vector<std::byte> payload;
};

inline const net::mac_address client_mac{{0x02, 0, 0, 0, 0, 0x01}};
inline const net::mac_address server_mac{{0x02, 0, 0, 0, 0, 0x02}};

// Ethernet (client → server MAC) + IPv4 (TTL 64, DF) + TCP with options and payload; both
// checksums computed. No padding.
std::vector<std::byte> build_tcp_frame(const tcp_segment_spec& spec);

// A frame decoded field by field with both checksums recomputed here.
struct decoded_frame {
  net::mac_address eth_source;
  net::mac_address eth_destination;
  std::uint16_t ether_type = 0;
  net::ipv4_header ip;
  bool ip_checksum_ok = false;
  net::tcp_header tcp;
  net::tcp_options options;
  std::vector<std::byte> option_bytes;  // the option list as sent, padding included
  std::size_t payload_length = 0;
  std::vector<std::byte> payload;
  bool tcp_checksum_ok = false;
  std::size_t frame_length = 0;

  bool has(std::uint8_t flag) const noexcept { return tcp.has(flag); }
};
// REQUIREs that the bytes hold Ethernet + IPv4 + a TCP header that parse.
decoded_frame decode_tcp_frame(std::span<const std::byte> frame);

class tcp_script {
 public:
  // With `stats` (the lcore_tcp's), expect_drop also checks that the drop was counted.
  explicit tcp_script(tcp::lcore_tcp& tcp, std::uint64_t now_ns = 1'700'000'000'000'000'000ULL,
                      const stats::lcore_stats* stats = nullptr)
      : _tcp(tcp), _now_ns(now_ns), _stats(stats) {}

  std::uint64_t now() const noexcept { return _now_ns; }
  void advance(std::uint64_t ns) noexcept { _now_ns += ns; }
  // Advances the clock by ns and runs the lcore's timers (lcore_tcp::poll), as an idle worker
  // loop would.
  void advance_and_poll(std::uint64_t ns) noexcept {
    _now_ns += ns;
    _tcp.poll(_now_ns);
  }

  // With a sink (attach_sink): the segments lib/tcp built in fresh buffers since the last call,
  // decoded and checked like replies (checksums, addresses). expect_sent REQUIREs exactly n.
  void attach_sink(capture_sink& sink) noexcept { _sink = &sink; }
  // With a pool: each received frame sits in a buffer of it (frame.buffer set), released after
  // the burst as the worker frees its mbufs, so apps can hold received data (retain_buffer) and
  // leaks show in pool.in_use().
  void attach_pool(heap_buffer_pool& pool) noexcept { _pool = &pool; }
  std::vector<decoded_frame> sent();
  std::vector<decoded_frame> expect_sent(std::size_t n);
  // Nothing left that the test has not looked at: no frame in the sink, and no reply in place
  // from the last send that expect_reply did not return.
  void expect_sent_nothing();

  // Sends the segments as one burst; returns their verdicts, keeps the frames (replies).
  std::vector<packet::verdict> send_burst(const std::vector<tcp_segment_spec>& specs);
  packet::verdict send(const tcp_segment_spec& spec) { return send_burst({spec}).front(); }
  // The same with raw frame bytes (malformed segments).
  packet::verdict send_frame(std::vector<std::byte> frame);

  // REQUIREs the last send's (first) verdict to be a transmit with checksums that verify, and
  // returns the reply decoded.
  decoded_frame expect_reply(std::size_t index = 0) const;
  // REQUIREs the last send's verdict to be a drop for `reason`, counted once per such verdict.
  void expect_drop(stats::drop_reason reason, std::size_t index = 0) const;
  // REQUIREs the last send's verdict to be consume (handled, nothing to send), counted as such.
  void expect_consumed(std::size_t index = 0) const;
  // The frame bytes after the last send (the reply, when there was one).
  std::span<const std::byte> frame_bytes(std::size_t index = 0) const;
  const packet::frame& frame(std::size_t index = 0) const { return _frames.at(index); }

 private:
  void snapshot_counters();

  tcp::lcore_tcp& _tcp;
  std::uint64_t _now_ns;
  const stats::lcore_stats* _stats;
  capture_sink* _sink = nullptr;
  heap_buffer_pool* _pool = nullptr;
  std::array<std::uint64_t, stats::drop_reason_count> _drops_before{};
  std::uint64_t _consumed_before = 0;
  std::vector<std::vector<std::byte>> _buffers;
  std::vector<packet::frame> _frames;
  std::vector<packet::verdict> _verdicts;
  mutable std::vector<bool> _replies_seen;  // per frame of the last send: returned by expect_reply
};

// A client's side of the handshake, for brevity in tests.
struct tcp_client {
  tcp_segment_spec base;  // addresses, ports, options of the SYN
  std::uint32_t isn = 1000;

  tcp_segment_spec syn() const;
  // The ACK completing the handshake answered by syn_ack (echoing its TSval when both used TS).
  tcp_segment_spec ack_of(const decoded_frame& syn_ack) const;
  // A segment after the handshake: seq = isn + 1 + offset, ack = server_isn + 1 + ack_offset.
  tcp_segment_spec segment(std::uint8_t flags, std::uint32_t server_isn, std::uint32_t offset = 0,
                           std::uint32_t ack_offset = 0) const;
};

}  // namespace rampart::test
