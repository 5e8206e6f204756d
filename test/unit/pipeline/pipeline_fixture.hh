#pragma once
// A worker's datapath context with the identity of the captured Linux peer (10.99.0.2/24,
// 92:ed:03:40:28:43), so the captured frames in packet_builder.hh are addressed to it.
#include <memory>
#include <vector>

#include "packet_builder.hh"
#include "pipeline/pipeline.hh"

namespace rampart::test {

struct pipeline_fixture {
  std::unique_ptr<stats::lcore_stats> stats = std::make_unique<stats::lcore_stats>();
  std::unique_ptr<pipeline::lcore_context> ctx = make_context(stats.get());

  static std::unique_ptr<pipeline::lcore_context> make_context(stats::lcore_stats* s) {
    auto c = std::make_unique<pipeline::lcore_context>();
    c->identity.mac = captured::peer_mac;
    c->identity.ip = {captured::peer_ip, 24};
    c->stats = s;
    return c;
  }

  // Runs one frame through process_burst.
  packet::verdict run(test_frame& f, std::uint64_t now_ns = 1000) {
    packet::verdict v{packet::action::transmit, {}};
    pipeline::process_burst(*ctx, {&f.frame(), 1}, {&v, 1}, now_ns);
    return v;
  }

  std::uint64_t drops(stats::drop_reason r) const { return stats->drops_of(r); }
};

// Frame from the captured host to our identity, carrying an IPv4 datagram.
inline bytes ipv4_frame_to_us(const ipv4_fields& f, std::span<const std::byte> payload, bool pad = true) {
  return ethernet_frame(captured::peer_mac, captured::host_mac, 0x0800, ipv4_datagram(f, payload), pad);
}

inline ipv4_fields icmp_fields() {
  ipv4_fields f;
  f.source = captured::host_ip;
  f.destination = captured::peer_ip;
  f.protocol = 1;
  return f;
}

}  // namespace rampart::test
