#pragma once
// One worker lcore: its RX/TX queue pair, its pipeline context, its counters and its control
// queue, in one cache-aligned object that only this lcore writes (counters and the control
// queue's read side are read/written from the control lcore through atomics only).
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/connection_listing.hh"
#include "engine/control_message.hh"
#include "engine/mbuf_io.hh"
#include "engine/tsc_clock.hh"
#include "pipeline/pipeline.hh"
#include "stats/counters.hh"
#include "tcp/lcore_tcp.hh"

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
  rte_mempool* pool = nullptr;  // this lcore's socket pool: gratuitous ARP buffers
  tsc_clock clock;
  pipeline::lcore_context context;
  stats::lcore_stats stats;
  std::vector<std::unique_ptr<tcp::application>> apps;  // one per listener, this lcore's own
  std::unique_ptr<tcp::lcore_tcp> tcp;  // registered as context.tcp; built before launch
  mbuf_pool buffers{nullptr};           // over `pool`: lib/tcp's send queues and segments
  tx_staging staging;                   // segments lib/tcp built this turn
  control_queue control;
  listing_channel listing;  // /rampart/connections requests (connection_listing.hh)
  capture_session* capture = nullptr;  // /rampart/capture (capture.hh); set before launch
};

// The lcore function (lcore_function_t): runs the loop on `arg` (a worker*) until a
// control_kind::stop message arrives: each turn reads the clock, receives a burst and runs it
// through process_burst (replies in place), then polls TCP's timers (even when nothing arrived,
// so an idle lcore still retransmits and expires) and sends what TCP staged. On stop it resets
// the remaining connections (tcp::lcore_tcp::shutdown). Returns 0. Never allocates from the
// heap, locks, makes syscalls or throws.
int run_worker(void* arg);

}  // namespace rampart::engine
