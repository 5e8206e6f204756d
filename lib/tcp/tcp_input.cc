#include "tcp/tcp_input.hh"

#include <array>
#include <new>
#include <type_traits>

#include "net/checksum.hh"
#include "tcp/lcore_tcp.hh"
#include "active_open.hh"
#include "connection_input.hh"
#include "deferred_work.hh"
#include "event_context.hh"
#include "lcore_state.hh"
#include "listen_input.hh"
#include "segment.hh"

namespace rampart::tcp {

namespace {

void input_burst(lcore_state& lcore, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                 std::span<const packet::tcp_segment> segments, std::uint64_t now_ns) noexcept {
  constexpr std::size_t burst_max = packet::tcp_segment_batch::capacity;
  static_assert(burst_max <= flow::flow_table::max_burst, "one lookup_bulk per burst");
  const std::size_t n = segments.size() < burst_max ? segments.size() : burst_max;

  // Stage 1: validate and decode; gather the keys of the valid segments. The slots are raw
  // storage, never default-constructed: constructing all 64 segments cost 7 ns per packet of a
  // 32-frame SYN burst (perf/bench/tcp), and constructing each valid one before decoding into it
  // 13 instructions a SYN. A segment is an implicit-lifetime aggregate, so a byte array's storage
  // provides it (C++20 [intro.object]/13), and every member is written below before stage 3
  // reads it.
  static_assert(std::is_aggregate_v<segment> && std::is_trivially_copyable_v<segment> &&
                std::is_trivially_destructible_v<segment>, "segment slots are raw storage");
  struct segment_slot {
    alignas(segment) std::byte storage[sizeof(segment)];
    segment& get() noexcept { return *std::launder(reinterpret_cast<segment*>(storage)); }
  };
  std::array<segment_slot, burst_max> slots;
  std::array<std::uint32_t, burst_max> frame_of;
  std::array<flow::flow_key, burst_max> keys;
  std::array<std::uint32_t, burst_max> hashes;
  std::size_t valid = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const packet::tcp_segment& in = segments[i];
    packet::frame& f = frames[in.frame_index];
    const std::span<const std::byte> bytes{f.data + in.l4_offset, in.l4_length};
    // Decoded straight into the slot (net::parse_tcp_header) rather than through a tcp_view
    // copied in, which cost more per SYN. A refused segment leaves the slot to the next one.
    segment& s = slots[valid].get();
    const auto header_length = net::parse_tcp_header(bytes, s.tcp, s.options);
    if (!header_length) {
      verdicts[in.frame_index] = {packet::action::drop, header_length.error()};
      lcore.stats.count_drop(header_length.error());
      continue;
    }
    // RFC 9293 §3.1 MUST-2/3: the checksum covers the pseudo-header. Skipped when the NIC already
    // verified it (frame.l4_checksum_verified; perf/bench/tcp measures both cases).
    if (!f.l4_checksum_verified &&
        !net::ipv4_l4_checksum_verifies(in.ip.source, in.ip.destination, net::ip_protocol::tcp, bytes)) {
      verdicts[in.frame_index] = {packet::action::drop, stats::drop_reason::tcp_bad_checksum};
      lcore.stats.count_drop(stats::drop_reason::tcp_bad_checksum);
      continue;
    }
    s.frame = &f;
    s.ip = in.ip;
    s.payload = bytes.data() + *header_length;
    s.payload_length = static_cast<std::uint16_t>(bytes.size() - *header_length);
    s.key = flow::flow_key{in.ip.source.value, in.ip.destination.value, s.tcp.source_port, s.tcp.destination_port};
    s.hash = f.rss_hash_valid ? f.rss_hash : lcore.table.hash(s.key);
    keys[valid] = s.key;
    hashes[valid] = s.hash;
    frame_of[valid] = in.frame_index;
    ++valid;
  }

  // Stage 2: one bulk lookup (hash, prefetch every bucket, then compare) for the burst.
  std::array<flow::connection_handle, burst_max> handles;
  const std::uint64_t hits = lcore.table.lookup_bulk({keys.data(), valid}, {hashes.data(), valid}, handles.data());
  const std::uint32_t changes_at_lookup = lcore.table_changes;

  // Stage 3: per segment, in arrival order.
  turn_scope turn{lcore, now_ns};
  event_context& ctx = turn.ctx;
  for (std::size_t i = 0; i < valid; ++i) {
    ctx.next_event();
    segment& s = slots[i].get();
    std::optional<flow::connection_handle> handle;
    if (lcore.table_changes == changes_at_lookup) {
      if ((hits >> i) & 1) {
        handle = handles[i];
      }
    } else {
      // An earlier segment of this burst opened or closed a connection (a handshake's ACK and
      // its first data in one burst): the bulk result may be stale, ask again.
      handle = lcore.table.lookup(s.key, s.hash);
    }
    packet::verdict v;
    if (!handle) {
      v = listen_input(lcore, s, ctx);
    } else if (connection& c = lcore.pool[*handle]; c.outbound && (c.state == tcp_state::syn_sent || c.state == tcp_state::syn_received)) {
      v = active_open_input(lcore, c, s, ctx);  // SYN-SENT, or a simultaneous open's SYN-RECEIVED
    } else {
      v = connection_input(lcore, c, s, ctx);
    }
    verdicts[frame_of[i]] = v;
    if (v.what == packet::action::drop) {
      lcore.stats.count_drop(v.reason);
    } else if (v.what == packet::action::consume) {
      lcore.stats.consumed.add();
    }
    finish_event(lcore, ctx);
  }
}

}  // namespace

void tcp_input_burst(lcore_tcp& tcp, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                     std::span<const packet::tcp_segment> segments, std::uint64_t now_ns) noexcept {
  input_burst(tcp.state(), frames, verdicts, segments, now_ns);
}

void tcp_input_handler(void* context, std::span<packet::frame> frames, std::span<packet::verdict> verdicts,
                       std::span<const packet::tcp_segment> segments, std::uint64_t now_ns) noexcept {
  input_burst(static_cast<lcore_tcp*>(context)->state(), frames, verdicts, segments, now_ns);
}

}  // namespace rampart::tcp
