#pragma once
// One worker lcore: its RX/TX queue pair, its pipeline context, its counters, its TCP and its
// control queue, in one cache-aligned object that only this lcore writes (counters and the
// control queue's read side are read/written from the control lcore through atomics only).
#include <cstdint>
#include <optional>

#include "engine/connection_listing.hh"
#include "engine/control_message.hh"
#include "engine/mbuf_io.hh"
#include "engine/neighbour_mailbox.hh"
#include "engine/tsc_clock.hh"
#include "engine/worker_tcp.hh"
#include "pipeline/pipeline.hh"
#include "engine/route_next_hops.hh"
#include "route/lcore_routes.hh"
#include "stats/counters.hh"

struct rte_mempool;

namespace rampart::engine {

class capture_session;  // capture.hh

// Upper bound of port.burst_size (the config module enforces 1..256); the loop's arrays live on
// its stack with this size.
inline constexpr std::uint16_t max_burst_size = 256;

struct alignas(64) worker {
  unsigned lcore_id = 0;
  std::uint16_t port_id = 0;
  std::uint16_t queue_id = 0;
  std::uint16_t burst_size = 32;
  std::uint32_t max_frame_length = 1514;  // port.mtu + Ethernet header: longer is rx_oversized
  rte_mempool* pool = nullptr;  // this lcore's socket pool: the announcements' buffers
  tsc_clock clock;
  pipeline::lcore_context context;
  stats::lcore_stats stats;
  // Its mbuf pool over `pool` (lib/tcp's send queues and segments), TX staging (the segments
  // lib/tcp built this turn), apps and lcore_tcp, built on this lcore before launch; after
  // `context` and `stats`, which the lcore_tcp refers to until it is destroyed.
  worker_tcp<mbuf_pool, tx_staging> tcp;
  // The way out for frames this lcore originates: its route table and the resolver of its next
  // hops, over context.neighbours, tcp.buffers and tcp.staging (context.routes points here).
  // After `tcp`, so the frames still waiting for ARP go back to the pool before it is gone.
  std::optional<route::lcore_routes> routes;
  std::optional<route_next_hops> next_hops;  // lib/tcp's view of `routes`
  neighbour_mailbox neighbour_requests;  // /rampart/neighbours and /rampart/resolve
  control_queue control;
  listing_channel listing;  // /rampart/connections requests (connection_listing.hh)
  capture_session* capture = nullptr;  // /rampart/capture (capture.hh); set before launch
  // As the control lcore last said (control_kind::set_link): while false, what lib/tcp staged and
  // the driver refused is freed (drop.tx_link_down) instead of being offered again every turn.
  bool link_up = true;
};

// The lcore function (lcore_function_t): runs the loop on `arg` (a worker*) until a
// control_kind::stop message arrives: each turn reads the clock, receives a burst and runs it
// through process_burst (replies in place), then polls TCP's timers and the resolver's (even
// when nothing arrived, so an idle lcore still retransmits, expires and asks ARP again) and
// sends what they staged. On stop it resets the remaining connections
// (tcp::lcore_tcp::shutdown). Returns 0. Never allocates from the heap, locks, makes syscalls
// or throws.
int run_worker(void* arg);

}  // namespace rampart::engine
