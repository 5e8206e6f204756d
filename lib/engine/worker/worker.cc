#include "engine/worker.hh"

#include <array>
#include <span>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "app/backend_drain.hh"
#include "app/live_args.hh"
#include "engine/capture.hh"

namespace rampart::engine {

namespace {

// The mbuf flags this loop owns on transmit. Everything else an RX mbuf carries is RX status
// (checksum, RSS) that TX ignores, except the buffer-ownership bits, which must survive.
constexpr std::uint64_t kept_flags = RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;

// At stop, the shutdown RSTs get this many batches and flushes, a pause apart when the ring is
// full, before the rest is dropped.
constexpr int stop_flush_attempts = 100;
constexpr unsigned stop_flush_pause_us = 100;

void apply_tx_offload(rte_mbuf* m, const packet::tx_offload_request& offload) noexcept {
  std::uint64_t flags = 0;
  if (offload.ipv4_checksum) {
    flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
  }
  if (offload.tcp_checksum) {
    // The pipeline has put the pseudo-header sum in the TCP checksum field (frame.hh contract).
    flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
  }
  m->ol_flags = (m->ol_flags & kept_flags) | flags;
  if (flags != 0) {
    m->l2_len = offload.l2_length;
    m->l3_len = offload.l3_length;
  }
}

// Why tx_burst took fewer than offered. The ethdev API returns only a count; the descriptor at
// the ring's tail tells a full ring (still owned by the NIC) from a driver that refused for
// another reason (net_tap: the kernel refused the write) or cannot say (no descriptor status).
[[gnu::cold]] stats::drop_reason unsent_reason(const worker& w) noexcept {
  const int status = rte_eth_tx_descriptor_status(w.port_id, w.queue_id, 0);
  return status == RTE_ETH_TX_DESC_FULL || status == RTE_ETH_TX_DESC_UNAVAIL ? stats::drop_reason::tx_ring_full
                                                                               : stats::drop_reason::tx_refused;
}

// Sends one frame the worker originates on the control lcore's request, which `build` writes into
// a fresh mbuf of the worker's pool (returning its length, 0 when it does not fit). Returns whether
// the driver took it; a frame that could not be built or sent is not retried: the next link-up or
// restart announces again.
template <typename Build>
[[gnu::cold]] bool send_originated(worker& w, Build build) noexcept {
  rte_mbuf* m = rte_pktmbuf_alloc(w.pool);
  if (m == nullptr) {
    return false;
  }
  auto* data = rte_pktmbuf_mtod(m, std::byte*);
  const std::uint16_t length = build(std::span<std::byte>(data, rte_pktmbuf_tailroom(m)));
  if (length == 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  m->data_len = length;
  m->pkt_len = length;
  if (rte_eth_tx_burst(w.port_id, w.queue_id, &m, 1) != 1) {
    w.stats.count_drop(unsent_reason(w));
    rte_pktmbuf_free(m);
    return false;
  }
  w.stats.tx_packets.add();
  w.stats.tx_bytes.add(length);
  return true;
}

// The announcement_frames of control_message.hh, in this order.
[[gnu::cold]] void announce(worker& w) noexcept {
  const pipeline::port_identity& identity = w.context.identity;
  if (send_originated(w, [&](std::span<std::byte> b) { return pipeline::build_gratuitous_arp(identity, b); })) {
    w.stats.arp_gratuitous_sent.add();
  }
  if (!identity.ipv6) {
    return;
  }
  const std::array<net::ipv6_address, 2> addresses{identity.ipv6->global.address, identity.ipv6->link_local};
  // RFC 4862 §5.4.2: the probes first, so a node already holding one of our addresses defends it
  // (its Neighbor Advertisement counts in ndp_address_conflicts). rampart does not wait the
  // RetransTimer before using them (docs/operations.md, "IPv6").
  for (const net::ipv6_address& target : addresses) {
    if (send_originated(w, [&](std::span<std::byte> b) {
          return pipeline::build_duplicate_address_probe(identity, target, b);
        })) {
      w.stats.ndp_dad_probes_sent.add();
    }
  }
  // RFC 4861 §7.2.6: neighbours that cached another MAC for our addresses take this one.
  for (const net::ipv6_address& target : addresses) {
    if (send_originated(w, [&](std::span<std::byte> b) {
          return pipeline::build_unsolicited_neighbor_advertisement(identity, target, b);
        })) {
      w.stats.ndp_unsolicited_advertisements_sent.add();
    }
  }
}

// Sends what lib/tcp staged. An armed capture copies each staged frame once, the first time it is
// offered: frames the driver does not take stay staged for the next turn (mbuf_io.hh), already
// copied. `captured` is how many of the staged frames were copied. Returns how many were sent.
std::uint16_t flush_staged(worker& w, std::uint16_t& captured) noexcept {
  if (unlikely(w.capture->armed()) && w.tcp.staging.size() > captured) {
    w.capture->copy(w.tcp.staging.frames() + captured, static_cast<std::uint16_t>(w.tcp.staging.size() - captured),
                    w.port_id, w.queue_id, capture_out);
  }
  const std::uint16_t sent = w.tcp.staging.flush(w.port_id, w.queue_id, w.stats);
  if (!w.link_up) {
    // A down link refuses every frame (net_tap: the kernel's write fails; net_memif: not
    // connected). Kept, they would be offered again every turn and fill the staging; freed,
    // TCP's retransmission timer decides when to try again.
    for (std::uint16_t i = w.tcp.staging.discard(); i != 0; --i) {
      w.stats.count_drop(stats::drop_reason::tx_link_down);
    }
  }
  captured = w.tcp.staging.size();
  return sent;
}

// Every turn, with or without traffic: TCP's deadlines, and the resolver's (ARP requests again,
// next hops that failed, hold-downs over).
void poll_timers(worker& w, std::uint64_t now_ns) noexcept {
  w.tcp.lcore->poll(now_ns);
  w.routes->resolver().poll(now_ns);
}

// The telemetry handler checked the listener and the backend against this worker's apps, which
// never change while it runs.
void drain_backend(worker& w, const backend_drain_request& request) noexcept {
  if (request.listener < w.tcp.apps.size()) {
    if (app::backend_drain* app = app::backend_drain_of(*w.tcp.apps[request.listener]); app != nullptr) {
      app->set_backend_draining(request.backend, request.draining);
    }
  }
}

// The control lcore built the update for this listener's app, which takes args live.
void apply_args(worker& w, const args_request& request) noexcept {
  if (request.listener < w.tcp.apps.size()) {
    if (app::live_args* app = app::live_args_of(*w.tcp.apps[request.listener]); app != nullptr) {
      app->apply_args(*request.update);
    }
  }
  request.update->applied.store(true, std::memory_order_release);  // the control lcore frees it now
}

// The control lcore is stopping and starting the port (worker_set::pause): neither poll nor send
// until it is done. Staged frames are mbufs of this lcore's pool, not of a queue, so they wait
// for the first flush after.
[[gnu::cold]] void wait_at_gate(pause_gate& gate) noexcept {
  gate.waiting.fetch_add(1, std::memory_order_acq_rel);
  while (!gate.open.load(std::memory_order_acquire)) {
    rte_pause();
  }
  gate.waiting.fetch_sub(1, std::memory_order_acq_rel);
}

// Returns false when the worker must stop.
bool handle_control(worker& w) noexcept {
  control_message msg;
  while (w.control.pop(msg)) {
    switch (msg.kind) {
      case control_kind::announce:
        announce(w);
        break;
      case control_kind::stop:
        return false;
      case control_kind::install_cookie_keys:
        w.tcp.lcore->update_keys(msg.payload.keys);
        break;
      case control_kind::set_draining:
        w.tcp.lcore->set_draining(msg.payload.draining);
        break;
      case control_kind::drain_backend:
        drain_backend(w, msg.payload.backend);
        break;
      case control_kind::apply_args:
        apply_args(w, msg.payload.args);
        break;
      case control_kind::pause:
        wait_at_gate(*msg.payload.gate);
        break;
      case control_kind::set_link:
        if (msg.payload.link_up && !w.link_up) {
          // What TCP sent while the link was down was freed (flush_staged): send again now,
          // not at the backed-off deadlines (lcore_tcp::link_restored says why).
          const std::uint64_t now_ns = w.clock.now_ns(rte_rdtsc());
          if (w.routes) {
            w.routes->resolver().link_restored(now_ns);  // first: TCP's resends find no stale MAC
          }
          w.tcp.lcore->link_restored(now_ns);
        }
        w.link_up = msg.payload.link_up;
        break;
    }
  }
  return true;
}

// Cost accounting (docs/stats.md): the cycles from the end of the RX burst to the start of the
// TX burst, the engine's own work without the driver's. TSC cycles are wall time, so a turn the
// OS preempted (a shared core) would count the time slice it lost: a turn longer than 1 ms, far
// beyond any burst's processing, is counted apart instead of in the cost.
void count_busy_turn(worker& w, std::uint64_t cycles, std::uint16_t packets, std::uint64_t interrupted_after) noexcept {
  if (unlikely(cycles > interrupted_after)) {
    w.stats.busy_turns_interrupted.add();
    return;
  }
  w.stats.busy_cycles.add(cycles);
  w.stats.busy_packets.add(packets);
  w.stats.busy_turns.add();
}

// The worker's whole cost: a turn that received or sent a packet, from its first TSC reading to
// the end of its TX flush, driver calls and timers included. It is what a core running rampart
// spends per answer; an empty poll (nothing in, nothing out) is idle time, not cost. Preempted
// turns are set apart as above.
void count_worker_turn(worker& w, std::uint64_t cycles, std::uint64_t interrupted_after) noexcept {
  if (unlikely(cycles > interrupted_after)) {
    w.stats.worker_turns_interrupted.add();
    return;
  }
  w.stats.worker_cycles.add(cycles);
  w.stats.worker_turns.add();
}

// Stopping: the peers of open connections get a RST rather than a silent timeout, reset in
// batches that fit the TX staging, each sent before the next; a full ring gets a pause to
// drain. Once the attempts are used up, what is still staged was not sent and counts as a
// drop, and the connections left are reset without their RST (tcp_tx_staging_full).
void reset_connections(worker& w, std::uint16_t& staged_captured) noexcept {
  const std::uint64_t stop_ns = w.clock.now_ns(rte_rdtsc());
  std::uint32_t remaining = w.tcp.lcore->connection_count();
  for (int attempt = 0; attempt < stop_flush_attempts; ++attempt) {
    if (remaining != 0) {
      remaining = w.tcp.lcore->shutdown(stop_ns, tx_staging::capacity - w.tcp.staging.size());
    }
    flush_staged(w, staged_captured);
    if (remaining == 0 && w.tcp.staging.size() == 0) {
      break;
    }
    if (w.tcp.staging.size() != 0) {
      rte_delay_us_block(stop_flush_pause_us);
    }
  }
  if (unlikely(remaining != 0)) {
    w.tcp.lcore->shutdown(stop_ns);
  }
  if (unlikely(w.tcp.staging.size() != 0)) {
    const stats::drop_reason reason = unsent_reason(w);
    for (std::uint16_t i = w.tcp.staging.discard(); i != 0; --i) {
      w.stats.count_drop(reason);
    }
  }
}

}  // namespace

int run_worker(void* arg) {
  worker& w = *static_cast<worker*>(arg);
  std::array<rte_mbuf*, max_burst_size> rx;
  std::array<rte_mbuf*, max_burst_size> kept;
  std::array<rte_mbuf*, max_burst_size> tx;
  std::array<packet::frame, max_burst_size> frames;
  std::array<packet::verdict, max_burst_size> verdicts;
  std::array<rte_mbuf*, max_burst_size> dropped;
  std::array<std::uint16_t, max_burst_size> tx_lengths;
  const std::uint16_t burst = w.burst_size;
  std::uint16_t staged_captured = 0;  // flush_staged
  const std::uint64_t interrupted_after = rte_get_tsc_hz() / 1000;  // 1 ms: see count_busy_turn

  for (;;) {
    // One acquire load of the producer index per turn: the line is only written when the control
    // lcore sends, so polling it costs a cache hit.
    if (unlikely(w.control.read_available() != 0) && !handle_control(w)) {
      break;
    }
    const std::uint64_t turn_begin = rte_rdtsc();
    const std::uint64_t now_ns = w.clock.now_ns(turn_begin);
    if (unlikely(w.listing.pending())) {
      w.listing.serve(*w.tcp.lcore, now_ns);  // a connection listing, one bounded step per turn
    }
    if (unlikely(w.neighbour_requests.pending())) {
      w.neighbour_requests.serve(*w.routes, now_ns);
    }
    const std::uint16_t n = rte_eth_rx_burst(w.port_id, w.queue_id, rx.data(), burst);
    if (n == 0) {
      poll_timers(w, now_ns);
      if (flush_staged(w, staged_captured) != 0) {
        count_worker_turn(w, rte_rdtsc() - turn_begin, interrupted_after);
      }
      continue;
    }
    if (unlikely(w.capture->armed())) {
      w.capture->copy(rx.data(), n, w.port_id, w.queue_id, capture_in);  // before replies rewrite them
    }
    const std::uint64_t turn_start = rte_rdtsc();  // cost accounting, until before tx_burst below
    // A loop of its own, before the bookkeeping below: that bookkeeping is the time the misses
    // need to land. Issued at the pipeline's start instead, it gained nothing (docs/performance.md).
    for (std::uint16_t i = 0; i < n; ++i) {
      packet::prefetch_headers(rte_pktmbuf_mtod(rx[i], const std::byte*));
    }

    std::uint64_t rx_bytes = 0;
    std::uint16_t n_frames = 0;
    std::uint16_t n_dropped = 0;
    for (std::uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = rx[i];
      rx_bytes += m->pkt_len;
      if (unlikely(m->nb_segs != 1 || m->pkt_len > w.max_frame_length)) {
        // Scattered RX is not enabled, so only a jumbo frame beyond the data room is a chain; the
        // data room is rounded up (2 KiB for MTU 1500), so a frame over the MTU may still fit.
        w.stats.count_drop(m->nb_segs != 1 ? stats::drop_reason::rx_multi_segment : stats::drop_reason::rx_oversized);
        dropped[n_dropped++] = m;
        continue;
      }
      packet::frame& f = frames[n_frames];
      f.data = rte_pktmbuf_mtod(m, std::byte*);
      f.buffer = m;
      f.length = m->data_len;
      f.capacity = static_cast<std::uint16_t>(m->data_len + rte_pktmbuf_tailroom(m));
      f.rss_hash_valid = (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) != 0;
      f.rss_hash = f.rss_hash_valid ? m->hash.rss : 0;
      f.offload = {};
      // Only GOOD skips the software check: BAD and UNKNOWN (and NONE) are summed again, so a
      // NIC that cannot tell still has every segment verified.
      f.l4_checksum_verified = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
      kept[n_frames++] = m;
    }
    w.stats.rx_packets.add(n);
    w.stats.rx_bytes.add(rx_bytes);

    pipeline::process_burst(w.context, std::span<packet::frame>(frames.data(), n_frames),
                            std::span<packet::verdict>(verdicts.data(), n_frames), now_ns);

    std::uint16_t n_tx = 0;
    for (std::uint16_t i = 0; i < n_frames; ++i) {
      rte_mbuf* m = kept[i];
      if (verdicts[i].what == packet::action::transmit) {
        const packet::frame& f = frames[i];
        m->data_len = f.length;
        m->pkt_len = f.length;
        apply_tx_offload(m, f.offload);
        tx_lengths[n_tx] = f.length;
        tx[n_tx++] = m;
      } else {
        dropped[n_dropped++] = m;  // counted by the pipeline
      }
    }
    if (n_dropped != 0) {
      rte_pktmbuf_free_bulk(dropped.data(), n_dropped);
    }
    count_busy_turn(w, rte_rdtsc() - turn_start, n, interrupted_after);
    if (n_tx != 0) {
      // Byte counts come from the lengths recorded above: once tx_burst returns, a sent mbuf may
      // already be completed and recycled, so it must not be read again.
      if (unlikely(w.capture->armed())) {
        w.capture->copy(tx.data(), n_tx, w.port_id, w.queue_id, capture_out);
      }
      const std::uint16_t sent = rte_eth_tx_burst(w.port_id, w.queue_id, tx.data(), n_tx);
      std::uint64_t sent_bytes = 0;
      for (std::uint16_t i = 0; i < sent; ++i) {
        sent_bytes += tx_lengths[i];
      }
      w.stats.tx_packets.add(sent);
      w.stats.tx_bytes.add(sent_bytes);
      if (unlikely(sent < n_tx)) {
        const stats::drop_reason reason = unsent_reason(w);
        for (std::uint16_t i = sent; i < n_tx; ++i) {
          w.stats.count_drop(reason);
        }
        rte_pktmbuf_free_bulk(tx.data() + sent, n_tx - sent);
      }
    }
    poll_timers(w, now_ns);
    flush_staged(w, staged_captured);
    count_worker_turn(w, rte_rdtsc() - turn_begin, interrupted_after);
  }
  reset_connections(w, staged_captured);
  return 0;
}

}  // namespace rampart::engine
