#pragma once
// The workers, one per worker lcore (the i-th worker lcore serves queue i), and the other
// threads' side of their channels: the control lcore's messages (control_message.hh) and the
// telemetry thread's connection listings (connection_listing.hh). Built at start-up, each
// worker's TCP on its own lcore; launched; stopped.
#include <memory>
#include <span>
#include <vector>

#include "config/config.hh"
#include "cookie/key_set.hh"
#include "engine/connection_listing.hh"
#include "engine/control_message.hh"
#include "engine/tsc_clock.hh"
#include "stats/counters.hh"

namespace rampart::engine {

class capture_session;
class port;
struct worker;

class worker_set {
 public:
  // One worker per lcore of `lcores`, serving `dev`; each builds its TCP on its own lcore
  // (worker_tcp.hh) from the config's tcp and listeners sections and the key set `keys`.
  // Throws app::app_error (an app refused its listener) or startup_error (exit 1: an lcore that
  // cannot run, or memory).
  worker_set(const config::engine_config& cfg, const port& dev, std::span<const unsigned> lcores,
             const tsc_clock& clock, const cookie::key_set& keys, capture_session& capture);
  ~worker_set();
  worker_set(const worker_set&) = delete;
  worker_set& operator=(const worker_set&) = delete;

  std::span<worker* const> all() const noexcept { return _workers; }

  // Logs the listeners, then runs run_worker on every worker's lcore. Throws startup_error
  // (exit 1) when an lcore refuses, after stopping the workers launched before it.
  void launch();

  // Pushes `msg` to the worker, retrying for a second while its queue is full (it drains the queue
  // every loop turn, so a queue full that long means the worker is stuck). Returns false, and
  // logs it, when the message was dropped.
  bool send(worker& w, const control_message& msg);
  void send_to_all(const control_message& msg);

  // Holds every worker between two turns, touching no queue, so the control lcore may stop and
  // start the port (port_restart.hh). Returns false, with every worker running again, when one
  // did not stop within a second (a worker stuck, or its control queue full).
  bool pause();
  // Lets the workers paused by pause() go on, and returns once each has left the gate.
  void resume();

  // Sends `stop` to every worker and waits until every lcore has returned from its loop.
  void stop();

  // The workers' counters, summed.
  stats::snapshot total() const noexcept;

  // /rampart/connections' requester (connection_listing.hh). It lives as long as the workers: a
  // worker may write the rows of a request that timed out until its loop ends.
  connection_lister& lister() noexcept { return _lister; }

 private:
  std::span<const config::listener_config> _listeners;  // logged at launch
  std::vector<std::unique_ptr<worker>> _owned;
  std::vector<worker*> _workers;  // the same workers, as telemetry reads them
  connection_lister _lister;
  pause_gate _gate;
};

}  // namespace rampart::engine
