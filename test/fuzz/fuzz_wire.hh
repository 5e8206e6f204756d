#pragma once
// The wire side of the libFuzzer targets that play TCP peers of a real lcore_tcp
// (tcp_connect_fuzzer.cc, proxy_fuzzer.cc): reading the input, building the peers' segments, one
// burst through tcp_input_burst, and parsing what rampart emits with every check a peer's stack
// would make (lengths, both checksums, addresses).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "config/config.hh"
#include "engine/tcp_settings.hh"
#include "fake_io.hh"
#include "fuzz_check.hh"
#include "net/byte_order.hh"
#include "net/checksum.hh"
#include "net/ethernet.hh"
#include "net/ipv4.hh"
#include "net/seq32.hh"
#include "net/tcp_header.hh"
#include "packet/tcp_batch.hh"
#include "tcp/connection.hh"  // private to lib/tcp: the invariants read control blocks
#include "tcp/lcore_tcp.hh"
#include "tcp/tcp_input.hh"

namespace rampart::fuzz {

using bytes = std::vector<std::byte>;

inline constexpr std::uint16_t frame_capacity = 2048;  // an mbuf's data room

// Reads the input front to back; past the end everything is 0.
struct reader {
  std::span<const std::uint8_t> in;
  std::size_t at = 0;
  bool done() const { return at >= in.size(); }
  std::uint8_t u8() { return at < in.size() ? in[at++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
};

// A peer's byte at sequence number k (salted by the peer's port): a hash, so a repeated or
// shifted run of bytes does not match by accident.
inline std::byte pattern(std::uint16_t salt, std::uint32_t k) {
  std::uint32_t x = k * 0x9e3779b1U ^ (std::uint32_t{salt} * 0x85ebca6bU);
  x ^= x >> 15;
  x *= 0x2c1b3c6dU;
  x ^= x >> 12;
  return static_cast<std::byte>(x >> 24);
}

struct endpoint {
  net::mac_address mac;
  net::ipv4_address ip;
  std::uint16_t port = 0;
};

// The config's defaults (as the engine turns them into tcp_settings) for an lcore at `self` with
// a table of `connections` that opens connections from local ports first_port .. last_port.
inline tcp::tcp_settings settings_at(const endpoint& self, std::uint32_t connections, std::uint16_t first_port,
                                     std::uint16_t last_port) {
  tcp::tcp_settings s = engine::tcp_settings_of(config::engine_config{}, {});
  s.mss = 1460;
  s.window_scale = 7;
  s.connections = connections;
  s.local_mac = self.mac;
  s.local_ip = self.ip;
  s.local_port_first = first_port;
  s.local_port_last = last_port;
  return s;
}

// RFC 9293 §3.3.1: SND.UNA <= SND.NXT <= SND.MAX (seq32 order), whatever arrived.
inline void check_send_sequence(const tcp::connection& conn) {
  FUZZ_CHECK(conn.snd_una <= conn.snd_nxt, "SND.UNA > SND.NXT");
  FUZZ_CHECK(conn.snd_nxt <= conn.snd_max, "SND.NXT > SND.MAX");
}

// RCV.NXT = IRS + 1 + the bytes the app got, + 1 once the peer's FIN is in (RFC 9293 §3.4): a
// byte delivered twice, skipped or not counted shows here.
inline void check_receive_sequence(const tcp::connection& conn, net::seq32 rcv_base, std::uint64_t delivered) {
  const bool fin_in = conn.state == tcp::tcp_state::close_wait || conn.state == tcp::tcp_state::closing ||
                      conn.state == tcp::tcp_state::last_ack || conn.state == tcp::tcp_state::time_wait;
  FUZZ_CHECK(static_cast<std::uint32_t>(conn.rcv_nxt - rcv_base) == delivered + (fin_in ? 1 : 0),
             "RCV.NXT differs from IRS + 1 + bytes delivered (+ FIN)");
}

// The sequence number of a segment's first data byte: a SYN occupies the one before it (RFC 9293
// §3.4).
inline net::seq32 first_data_sequence(std::uint8_t flags, net::seq32 seq) {
  return (flags & net::tcp_flag::syn) != 0 ? seq + 1 : seq;
}

// A TCP segment from `from` to `to` whose byte at sequence number s is pattern(salt, s).
inline bytes build_segment(const endpoint& from, const endpoint& to, std::uint8_t flags, net::seq32 seq,
                           net::seq32 ack, std::uint16_t window, const net::tcp_options& options,
                           std::uint16_t length, std::uint16_t salt) {
  const std::size_t tcp_length = net::tcp_min_header_length + net::tcp_options_length(options) + length;
  bytes frame(net::ethernet_header_length + net::ipv4_min_header_length + tcp_length);
  const std::span<std::byte> out{frame};
  net::write_ethernet_header(out, {to.mac, from.mac, net::ether_type::ipv4});
  net::ipv4_header ih;
  ih.total_length = static_cast<std::uint16_t>(net::ipv4_min_header_length + tcp_length);
  ih.dont_fragment = true;
  ih.protocol = net::ip_protocol::tcp;
  ih.source = from.ip;
  ih.destination = to.ip;
  net::write_ipv4_header(out.subspan(net::ethernet_header_length), ih, true);
  const std::span<std::byte> l4 = out.subspan(net::ethernet_header_length + net::ipv4_min_header_length);
  net::tcp_header th;
  th.source_port = from.port;
  th.destination_port = to.port;
  th.sequence = seq;
  th.acknowledgment = ack;
  th.flags = flags;
  th.window = window;
  const std::size_t header = net::write_tcp_header(l4, th, options);
  const net::seq32 first = first_data_sequence(flags, seq);
  for (std::uint16_t i = 0; i < length; ++i) {
    l4[header + i] = pattern(salt, first.raw() + i);
  }
  net::store_be16(l4.data() + 16, net::ipv4_l4_checksum(ih.source, ih.destination, net::ip_protocol::tcp, l4));
  return frame;
}

// What a received frame does when the pool has no buffer for it.
enum class without_buffer : std::uint8_t {
  local_copy,  // it runs from the fuzzer's memory (frame::buffer null): an app cannot hold it
  dropped,     // it is lost, as a NIC drops a frame it has no mbuf for
};

// One burst through tcp_input_burst, each frame in a pool buffer (as an mbuf) when the pool has
// one, released after the burst as the worker does. Returns what rampart emitted: the in-place
// replies, then what went to the sink.
inline std::vector<bytes> run_burst(tcp::lcore_tcp& tcp, test::heap_buffer_pool& pool, test::capture_sink& sink,
                                    std::span<const bytes> inputs, std::uint64_t now, without_buffer when_empty) {
  tcp.update_keys(test_key_schedule().keys_at(now));
  std::vector<bytes> local;
  local.reserve(inputs.size());
  std::vector<packet::frame> frames;
  packet::tcp_segment_batch batch;
  for (const bytes& input : inputs) {
    packet::frame f;
    if (const auto b = pool.allocate()) {
      f.data = b->data;
      f.buffer = b->handle;
      f.capacity = b->capacity;
    } else if (when_empty == without_buffer::local_copy) {
      f.data = local.emplace_back(frame_capacity).data();
      f.capacity = frame_capacity;
    } else {
      continue;
    }
    std::copy(input.begin(), input.end(), f.data);
    f.length = static_cast<std::uint16_t>(input.size());
    const auto ip =
        net::ipv4_view::parse({f.data + net::ethernet_header_length, f.length - net::ethernet_header_length});
    FUZZ_CHECK(ip.ok(), "the fuzzer built a bad IPv4 header");
    batch.push(packet::describe_tcp_segment(static_cast<std::uint32_t>(frames.size()), *ip));
    frames.push_back(f);
  }
  std::vector<packet::verdict> verdicts(frames.size());
  tcp::tcp_input_burst(tcp, frames, verdicts, batch.view(), now);
  std::vector<bytes> emitted;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (verdicts[i].what == packet::action::transmit) {
      FUZZ_CHECK(frames[i].length <= frames[i].capacity, "reply longer than its frame");
      emitted.emplace_back(frames[i].data, frames[i].data + frames[i].length);
    }
    if (frames[i].buffer != nullptr) {
      pool.release(frames[i].buffer);
    }
  }
  for (bytes& f : sink.take()) {
    emitted.push_back(std::move(f));
  }
  return emitted;
}

// lcore_tcp::poll at `now` (with that instant's cookie keys); returns what went to the sink.
inline std::vector<bytes> poll_lcore(tcp::lcore_tcp& tcp, test::capture_sink& sink, std::uint64_t now) {
  tcp.update_keys(test_key_schedule().keys_at(now));
  tcp.poll(now);
  return sink.take();
}

// A segment rampart emitted, parsed and verified as the receiving stack would.
struct emitted_segment {
  net::mac_address eth_destination;
  net::ipv4_address destination;
  net::tcp_header header;
  net::tcp_options options;
  std::span<const std::byte> payload;
};

inline emitted_segment parse_emitted(std::span<const std::byte> frame, const net::mac_address& our_mac,
                                     net::ipv4_address our_ip) {
  const auto eth = net::ethernet_view::parse(frame);
  FUZZ_CHECK(eth.ok(), "emitted frame shorter than an Ethernet header");
  FUZZ_CHECK(eth->source() == our_mac, "emitted frame not from our MAC");
  FUZZ_CHECK(eth->ether_type() == net::ether_type::ipv4, "emitted frame is not IPv4");
  const auto ip = net::ipv4_view::parse(eth->payload());
  FUZZ_CHECK(ip.ok(), "emitted IPv4 header does not parse (lengths or header checksum)");
  FUZZ_CHECK(ip->source() == our_ip, "emitted IPv4 not from our address");
  FUZZ_CHECK(ip->protocol() == net::ip_protocol::tcp && !ip->is_fragment(), "emitted IPv4 is not a whole TCP segment");
  const auto seg = net::tcp_view::parse(ip->payload());
  FUZZ_CHECK(seg.ok(), "emitted TCP segment does not parse");
  FUZZ_CHECK(net::ipv4_l4_checksum_verifies(ip->source(), ip->destination(), net::ip_protocol::tcp, ip->payload()),
             "emitted TCP checksum does not verify");
  const net::tcp_header& th = seg->header();
  if (th.has(net::tcp_flag::syn) || th.has(net::tcp_flag::rst)) {
    FUZZ_CHECK(seg->payload().empty(), "emitted SYN or RST carries data");
    FUZZ_CHECK(seg->options().sack_block_count == 0, "emitted SYN or RST carries SACK blocks");
  }
  return {eth->destination(), ip->destination(), th, seg->options(), seg->payload()};
}

}  // namespace rampart::fuzz
