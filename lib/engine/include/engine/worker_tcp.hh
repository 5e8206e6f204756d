#pragma once
// A worker lcore's TCP: the buffer pool lib/tcp allocates from and the TX staging it sends
// through, one instance of every listener's app, and the tcp::lcore_tcp that serves them; and the
// one place that wires them together (start). Pure: no EAL.
//
// The member order is what this type is for. Members are destroyed in reverse order, and
// ~lcore_tcp still releases through `buffers` every buffer its connections hold (send queues,
// out-of-order data); until then it also points at the staging and the apps. So the pool and the
// staging come first, then the apps, then the lcore_tcp. It is a template over the two I/O
// types so that a unit test destroys this very layout with heap buffers that check they all came
// back (test/unit/engine/worker_tcp_test.cc); the worker instantiates it with mbuf_pool and
// tx_staging (worker.hh).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "app/registry.hh"
#include "config/config.hh"
#include "cookie/key_set.hh"
#include "engine/reply_steering.hh"
#include "pipeline/pipeline.hh"
#include "stats/counters.hh"
#include "tcp/icmp_error_input.hh"
#include "tcp/lcore_tcp.hh"
#include "tcp/tcp_input.hh"

namespace rampart::engine {

// What every worker's TCP starts from.
struct tcp_start {
  tcp::tcp_settings settings;
  std::vector<tcp::listener_settings> tcp_listeners;   // listener i is lcore_tcp's listener index i
  std::span<const config::listener_config> listeners;  // the same listeners, as their apps take them
  cookie::key_set keys;                                 // the key set of the current epoch
  reply_steering steering;                              // how replies to active opens reach their worker
};

// Where one worker stands among the others, for the connections its apps open.
struct worker_position {
  std::uint16_t queue = 0;                      // its RX queue (= its index among the workers)
  std::uint32_t workers = 1;
  tcp::next_hop_resolver* next_hops = nullptr;  // its routes (route_next_hops); null: no route
};

template <class BufferPool, class Staging>
struct worker_tcp {
  BufferPool buffers;
  Staging staging;
  std::vector<std::unique_ptr<tcp::application>> apps;  // by listener index
  std::unique_ptr<tcp::lcore_tcp> lcore;

  // Builds the lcore_tcp over `buffers` and `staging`, one app per listener, installs the keys and
  // registers TCP's steps in the worker's pipeline `context`; the connections its apps open take
  // local ports by the port's reply steering and reach their peers through `position.next_hops`. Called once, on the worker's own
  // lcore, so Linux's first-touch policy places the table, the pool and the apps on its NUMA
  // node: this is the only time a worker allocates. `stats` must outlive this object. Throws
  // app::app_error (an app refused its listener), std::bad_alloc, and what lcore_tcp's constructor
  // throws (std::invalid_argument, cookie::key_error).
  void start(const tcp_start& plan, stats::lcore_stats& stats, unsigned lcore_id, std::uint64_t now_ns,
             pipeline::lcore_context& context, const worker_position& position = {}) {
    lcore = std::make_unique<tcp::lcore_tcp>(plan.settings, plan.tcp_listeners, stats, std::nullopt, std::nullopt,
                                            now_ns);
    lcore->attach_io(buffers, staging);
    lcore->steer_replies(steering_for_queue(plan.steering, position.queue), position.queue, position.workers);
    lcore->set_next_hop_resolver(position.next_hops);
    for (std::size_t l = 0; l < plan.listeners.size(); ++l) {
      apps.push_back(app::make_application(plan.listeners[l], app::app_context{stats, lcore_id}));
      lcore->set_application(static_cast<std::uint8_t>(l), apps.back().get());
    }
    lcore->update_keys(plan.keys);
    context.tcp = {&tcp::tcp_input_handler, lcore.get()};
    context.tcp_icmp_error = {&tcp::icmp_error_handler, lcore.get()};
  }
};

}  // namespace rampart::engine
