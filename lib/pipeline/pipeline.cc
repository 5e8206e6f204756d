#include "pipeline/pipeline.hh"

#include <algorithm>

#include "pipeline/arp_input.hh"
#include "pipeline/classify.hh"
#include "pipeline/ipv4_input.hh"
#include "pipeline/ipv6_input.hh"
#include "route/neighbour_resolver.hh"
#include "packet/tcp_batch.hh"

namespace rampart::pipeline {

namespace {

// Writes a verdict the pipeline decided and counts it (a drop under its reason).
void decide(lcore_context& ctx, packet::verdict& slot, packet::verdict v) noexcept {
  slot = v;
  if (v.what == packet::action::drop) {
    ctx.stats->count_drop(v.reason);
  } else if (v.what == packet::action::consume) {
    ctx.stats->consumed.add();
  }
}

// One frame through classify → arp_input / ipv4_input / ipv6_input; a TCP segment goes into `tcp` instead,
// its verdict left to deliver_tcp. Each branch writes its own verdict: merged into one
// std::optional first, the results went through the stack byte by byte and were read back
// whole, a store-to-load forward that fails (perf/bench/tcp/stream_bench, BM_syn_flood).
void process_frame(lcore_context& ctx, packet::frame& f, std::uint32_t index, packet::verdict& verdict,
                   packet::tcp_segment_batch& tcp, std::uint64_t now_ns) noexcept {
  const classification c = classify(ctx.identity, {f.data, f.length});
  switch (c.kind) {
    case l3_kind::arp:
      decide(ctx, verdict, arp_input(ctx, f, now_ns));
      return;
    case l3_kind::ipv4:
      if (const auto v = ipv4_input(ctx, f, index, tcp, now_ns)) {
        decide(ctx, verdict, *v);
      }
      return;
    case l3_kind::ipv6:
      decide(ctx, verdict, ipv6_input(ctx, f));
      return;
    case l3_kind::drop:
      decide(ctx, verdict, {packet::action::drop, c.reason});
      return;
  }
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
      process_frame(ctx, frames[i], static_cast<std::uint32_t>(i), verdicts[i], tcp, now_ns);
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
