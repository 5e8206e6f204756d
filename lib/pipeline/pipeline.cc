#include "pipeline/pipeline.hh"

#include <algorithm>

#include "pipeline/arp_input.hh"
#include "pipeline/classify.hh"
#include "pipeline/ipv4_input.hh"
#include "route/neighbour_resolver.hh"
#include "packet/tcp_batch.hh"

namespace rampart::pipeline {

namespace {

// One frame through classify → arp_input / ipv4_input. nullopt: a TCP segment now in `tcp`.
std::optional<packet::verdict> process_frame(lcore_context& ctx, packet::frame& f, std::uint32_t index,
                                     packet::tcp_segment_batch& tcp, std::uint64_t now_ns) noexcept {
  const classification c = classify(ctx.identity, {f.data, f.length});
  switch (c.kind) {
    case l3_kind::arp:
      return arp_input(ctx, f, now_ns);
    case l3_kind::ipv4:
      return ipv4_input(ctx, f, index, tcp, now_ns);
    case l3_kind::drop:
      return packet::verdict{packet::action::drop, c.reason};
  }
  return packet::verdict{packet::action::drop, c.reason};  // unreachable: the switch is exhaustive
}

// The hand-off to the TCP layer: every TCP segment of the chunk in one call, after the per-frame
// loop, so the connection table can look the burst up at once. The handler counts the verdicts
// it writes (drops, consumes) itself, as every step counts what it decides.
void deliver_tcp(lcore_context& ctx, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                 const packet::tcp_segment_batch& tcp, std::uint64_t now_ns) noexcept {
  if (ctx.tcp.handle != nullptr) {
    ctx.tcp.handle(ctx.tcp.context, frames, verdicts, tcp.view(), now_ns);
    return;
  }
  for (const packet::tcp_segment& s : tcp.view()) {
    verdicts[s.frame_index] = {packet::action::drop, stats::drop_reason::tcp_unhandled};
    ctx.stats->count_drop(stats::drop_reason::tcp_unhandled);
  }
}

}  // namespace

void process_burst(lcore_context& ctx, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                   std::uint64_t now_ns) noexcept {
  const std::size_t n = std::min(frames.size(), verdicts.size());
  // Chunks bound the TCP batch (no allocation); a burst is normally ≤ 32 frames, one chunk.
  packet::tcp_segment_batch tcp;
  for (std::size_t base = 0; base < n; base += packet::tcp_segment_batch::capacity) {
    const std::size_t end = std::min(n, base + packet::tcp_segment_batch::capacity);
    tcp.count = 0;
    for (std::size_t i = base; i < end; ++i) {
      const auto v = process_frame(ctx, frames[i], static_cast<std::uint32_t>(i), tcp, now_ns);
      if (!v) {
        continue;  // TCP: decided by deliver_tcp below
      }
      verdicts[i] = *v;
      if (v->what == packet::action::drop) {
        ctx.stats->count_drop(v->reason);
      } else if (v->what == packet::action::consume) {
        ctx.stats->consumed.add();
      }
    }
    if (tcp.count != 0) {
      deliver_tcp(ctx, frames, verdicts, tcp, now_ns);
    }
  }
}

std::uint16_t build_gratuitous_arp(const port_identity& identity, std::span<std::byte> buffer) noexcept {
  // RFC 5227 §3: an ARP announcement is a request whose sender and target IP are both ours and
  // whose target MAC is zero ("ignored"), broadcast so every neighbour refreshes its cache.
  return route::build_arp_request(identity.mac, identity.ip.address, identity.ip.address, buffer);
}

}  // namespace rampart::pipeline
