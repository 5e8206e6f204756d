#pragma once
// /rampart/connections without locking or stalling the workers (docs/engine.md, "Connection
// listing"). Only a worker may read its connections, so the requester asks each worker and waits:
//
//   requester (a telemetry thread)                worker (between bursts, listing_channel::serve)
//     one request at a time (a mutex among          pops the request (acquire), then each turn
//     requesters; workers never see it)             summarizes up to scan_budget pool slots into
//     fills its per-worker listing_request,         the request's preallocated rows
//     posts a pointer (SPSC queue, release)         (tcp::snapshot_step) until the scan is done,
//     waits for `done` (acquire) up to a timeout    then stores done = true (release)
//
// The request's memory belongs to the requester and lives as long as the engine, so a worker that
// answers after the requester gave up (timeout) writes into memory that is still there; the next
// request finds that slot not done and reports the worker "busy" instead of reusing it. The
// worker allocates nothing and copies at most `limit` rows.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <boost/lockfree/spsc_queue.hpp>

#include "engine/connection_query.hh"
#include "tcp/connection_summary.hh"

namespace rampart::tcp {
class lcore_tcp;
}

namespace rampart::engine {

// One worker's slot of a listing: allocated at start-up, reused by every request.
struct listing_request {
  listing_request() : rows(std::make_unique<tcp::connection_summary[]>(connection_query::max_limit)) {}

  // Written by the requester before it posts; read by the worker.
  tcp::connection_filter filter;
  std::uint32_t limit = connection_query::max_limit;
  // Written by the worker until it stores done; read by the requester after loading it.
  std::unique_ptr<tcp::connection_summary[]> rows;
  tcp::snapshot_scan scan;
  std::atomic<bool> done{true};
  // Requester only: posted and not seen done yet.
  bool outstanding = false;
};

// The worker's end: a bounded SPSC queue of request pointers (the control queue's mechanism, with
// the requester as its one producer) and the request being served.
class listing_channel {
 public:
  // Pool slots looked at per loop turn: bounds what a listing adds to one turn (4096 one-byte live
  // flags, a filter test per live connection, at most `limit` summaries per listing); a
  // 65536-connection table is listed over 16 turns. Not benchmarked yet.
  static constexpr std::uint32_t scan_budget = 4096;

  // Worker: something to do this turn. Idle, this is the queue's read_available(): an acquire
  // load of its write index (a line written only when a listing is posted) and a relaxed load of
  // the worker's own read index.
  bool pending() const noexcept { return _current != nullptr || _queue.read_available() != 0; }
  // Worker: takes a posted request or continues the current one for one step of scan_budget
  // slots; publishes done once its scan is complete. No allocation, lock or syscall.
  void serve(const tcp::lcore_tcp& tcp, std::uint64_t now_ns) noexcept;

  // Requester: false when the queue is full (the worker has not taken earlier requests).
  bool post(listing_request& request) noexcept { return _queue.push(&request); }

 private:
  boost::lockfree::spsc_queue<listing_request*, boost::lockfree::capacity<4>> _queue;
  listing_request* _current = nullptr;  // worker only
};

// What one worker answered.
struct lcore_listing {
  enum class status : std::uint8_t {
    ok,       // scanned its whole table
    busy,     // still serving an earlier request that timed out: not asked
    timeout,  // did not finish within the timeout (a long burst, or it is stuck)
    stopped,  // its lcore no longer runs the worker loop
  };
  unsigned lcore = 0;
  status result = status::ok;
  std::span<const tcp::connection_summary> rows;  // valid only inside the collect callback
  std::uint32_t matched = 0;                      // ok only: every match on this lcore
};
const char* to_string(lcore_listing::status s) noexcept;

// The requester's side, one per engine: a listing_request per worker. Pure (no EAL): the engine
// passes each worker's lcore and channel, and how to tell whether an lcore still runs its loop.
class connection_lister {
 public:
  struct target {
    unsigned lcore = 0;
    listing_channel* channel = nullptr;
  };
  connection_lister(std::vector<target> targets, std::function<bool(unsigned lcore)> running);

  // Posts `query` to every running worker, waits until each answered or `timeout` passed, then
  // calls `use` with one entry per worker (in worker order) while still holding the requests, so
  // the rows cannot change under it. Concurrent callers take turns.
  void collect(const connection_query& query, std::chrono::milliseconds timeout,
               const std::function<void(std::span<const lcore_listing>)>& use);

 private:
  std::vector<target> _targets;
  std::function<bool(unsigned)> _running;
  std::vector<std::unique_ptr<listing_request>> _requests;
  std::mutex _mutex;
};

}  // namespace rampart::engine
