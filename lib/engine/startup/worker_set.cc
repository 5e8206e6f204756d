#include "engine/worker_set.hh"

#include <chrono>
#include <exception>
#include <string>
#include <thread>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "app/registry.hh"
#include "engine/log.hh"
#include "engine/port.hh"
#include "engine/route_settings.hh"
#include "engine/startup_error.hh"
#include "engine/tcp_settings.hh"
#include "engine/telemetry.hh"
#include "engine/worker.hh"
#include "tcp/lcore_tcp.hh"

namespace rampart::engine {

namespace {

// The TCP settings every worker starts from: the tcp section resolved against the port (the MSS
// from port.mtu, the port's TX checksum offloads), and the MAC that segments built from scratch
// leave from.
tcp::tcp_settings tcp_settings_for(const config::engine_config& cfg, const port_info& port) {
  tcp::tcp_settings settings = tcp_settings_of(cfg, port.plan.offload_caps);
  settings.local_mac = port.mac;
  return settings;
}

// Runs worker_tcp::start on the worker's own lcore (first-touch NUMA placement: worker_tcp.hh).
struct worker_build {
  worker* w;
  const tcp_start* plan;
  std::uint32_t workers;    // how many the port serves
  std::string app_error;    // an app that could not be built (the listener's message)
  std::string other_error;  // anything else (out of memory)
};

int build_worker_tcp(void* arg) {
  auto& b = *static_cast<worker_build*>(arg);
  worker& w = *b.w;
  try {
    w.tcp.start(*b.plan, w.stats, w.lcore_id, w.clock.now_ns(rte_rdtsc()), w.context,
                {w.queue_id, b.workers, &*w.next_hops});
  } catch (const app::app_error& e) {
    b.app_error = e.what();
    return -1;
  } catch (const std::exception& e) {
    b.other_error = e.what();
    return -1;
  }
  return 0;
}

// Runs build_worker_tcp on the worker's lcore and waits for it. Throws app::app_error or
// startup_error (runtime failure) with the worker's message.
void build_on_worker_lcore(worker& w, const tcp_start& plan, std::uint32_t workers) {
  worker_build build{&w, &plan, workers, {}, {}};
  if (const int rc = rte_eal_remote_launch(build_worker_tcp, &build, w.lcore_id); rc != 0) {
    throw startup_error(exit_code::runtime_failure,
                        "cannot start lcore " + std::to_string(w.lcore_id) + ": " + rte_strerror(-rc));
  }
  if (rte_eal_wait_lcore(w.lcore_id) != 0) {
    if (!build.app_error.empty()) {
      throw app::app_error(build.app_error);
    }
    throw startup_error(exit_code::runtime_failure, "cannot build the TCP state of lcore " +
                                                        std::to_string(w.lcore_id) + ": " + build.other_error +
                                                        " (lower tcp.connections_per_lcore or free memory)");
  }
}

std::vector<std::unique_ptr<worker>> make_workers(const config::engine_config& cfg, const port& dev,
                                                  std::span<const unsigned> lcores, const tsc_clock& clock,
                                                  const cookie::key_set& keys, capture_session& capture) {
  const tcp_start plan{tcp_settings_for(cfg, dev.info()), tcp_listeners_of(cfg.listeners), cfg.listeners, keys,
                       dev.info().steering};
  std::vector<std::unique_ptr<worker>> workers;
  for (std::size_t i = 0; i < lcores.size(); ++i) {
    auto w = std::make_unique<worker>();
    w->lcore_id = lcores[i];
    w->port_id = dev.info().port_id;
    w->queue_id = static_cast<std::uint16_t>(i);
    w->burst_size = cfg.port.burst_size;
    w->max_frame_length = std::uint32_t{dev.info().mtu} + 14;
    w->pool = dev.pool_for_lcore(w->lcore_id);
    w->clock = clock;
    w->context.identity = {dev.info().mac, dev.info().ip, dev.info().ipv6};
    w->context.offload_caps = dev.info().plan.offload_caps;
    w->context.stats = &w->stats;
    w->tcp.buffers = mbuf_pool{w->pool};
    w->routes.emplace(route_table_of(cfg), w->context.neighbours, w->context.identity.mac,
                      w->context.identity.ip.address, w->tcp.buffers, w->tcp.staging, w->stats);
    w->context.routes = &*w->routes;
    w->next_hops.emplace(*w->routes, w->tcp.buffers);
    w->capture = &capture;
    build_on_worker_lcore(*w, plan, static_cast<std::uint32_t>(lcores.size()));
    workers.push_back(std::move(w));
  }
  // The port hands every ARP frame to one queue: each worker reads what the others learned.
  for (const std::unique_ptr<worker>& w : workers) {
    std::vector<const route::neighbour_table*> peers;
    for (const std::unique_ptr<worker>& other : workers) {
      if (other != w) {
        peers.push_back(&other->context.neighbours);
      }
    }
    w->routes->resolver().set_peers(peers);
  }
  return workers;
}

std::vector<worker*> pointers_to(const std::vector<std::unique_ptr<worker>>& owned) {
  std::vector<worker*> workers;
  for (const std::unique_ptr<worker>& w : owned) {
    workers.push_back(w.get());
  }
  return workers;
}

std::vector<connection_lister::target> listing_targets(std::span<worker* const> workers) {
  std::vector<connection_lister::target> targets;
  for (worker* w : workers) {
    targets.push_back({w->lcore_id, &w->listing});
  }
  return targets;
}

bool lcore_runs_its_loop(unsigned lcore) { return rte_eal_get_lcore_state(lcore) == RUNNING; }

void log_listeners(std::span<const config::listener_config> listeners) {
  if (listeners.empty()) {
    log_info("listeners: none");
    return;
  }
  for (const config::listener_config& l : listeners) {
    std::string args;
    for (const auto& [name, value] : l.args) {
      args += (args.empty() ? " (" : ", ") + name + "=" + value;
    }
    if (!args.empty()) {
      args += ")";
    }
    log_info("listener: tcp port " + std::to_string(l.port) + " → app " + l.app + args);
  }
}

}  // namespace

worker_set::worker_set(const config::engine_config& cfg, const port& dev, std::span<const unsigned> lcores,
                       const tsc_clock& clock, const cookie::key_set& keys, capture_session& capture)
    : _listeners(cfg.listeners),
      _owned(make_workers(cfg, dev, lcores, clock, keys, capture)),
      _workers(pointers_to(_owned)),
      _lister(listing_targets(_workers), lcore_runs_its_loop) {}

worker_set::~worker_set() = default;

void worker_set::launch() {
  log_listeners(_listeners);
  for (worker* w : _workers) {
    if (const int rc = rte_eal_remote_launch(run_worker, w, w->lcore_id); rc != 0) {
      // Launch fails only when the lcore is busy, which nothing else in rampart makes it.
      for (worker* started : _workers) {
        if (started == w) {
          break;
        }
        send(*started, control_message::stop());
      }
      rte_eal_mp_wait_lcore();
      throw startup_error(exit_code::runtime_failure,
                          "cannot launch the worker on lcore " + std::to_string(w->lcore_id) + ": " + rte_strerror(-rc));
    }
  }
  std::string lcores_text;
  for (const worker* w : _workers) {
    lcores_text += (lcores_text.empty() ? "" : ",") + std::to_string(w->lcore_id);
  }
  log_info("workers running on lcore(s) " + lcores_text);
}

bool worker_set::send(worker& w, const control_message& msg) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (w.control.push(msg)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log_warning("control queue of lcore " + std::to_string(w.lcore_id) + " stays full; message dropped");
  return false;
}

void worker_set::send_to_all(const control_message& msg) {
  for (worker* w : _workers) {
    send(*w, msg);
  }
}

bool worker_set::pause() {
  _gate.open.store(false, std::memory_order_release);
  send_to_all(control_message::pause(_gate));
  // A worker takes its control messages at the start of every turn: microseconds, or a burst's
  // processing. A second means it is stuck.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (_gate.waiting.load(std::memory_order_acquire) != _workers.size()) {
    if (std::chrono::steady_clock::now() >= give_up) {
      log_warning("workers not paused within 1 s (" + std::to_string(_gate.waiting.load()) + " of " +
                  std::to_string(_workers.size()) + "); the port is left as it is");
      resume();
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

void worker_set::resume() {
  _gate.open.store(true, std::memory_order_release);
  while (_gate.waiting.load(std::memory_order_acquire) != 0) {
    std::this_thread::yield();
  }
}

void worker_set::stop() {
  send_to_all(control_message::stop());
  rte_eal_mp_wait_lcore();
}

stats::snapshot worker_set::total() const noexcept { return total_of(_workers); }

}  // namespace rampart::engine
