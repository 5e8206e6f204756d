#pragma once
// /rampart/neighbours and /rampart/resolve without locking or stalling the workers. Only a worker
// may read or change its neighbour table and resolver, so the telemetry thread leaves a request
// in the worker's mailbox and waits for the answer (docs/engine.md, "Neighbours"):
//
//   requester (a telemetry thread)                worker (between bursts)
//     one at a time (a mutex among requesters)      sees `posted` (acquire), resolves the address
//     writes the request, stores `posted`           asked for, if any, copies its neighbours into
//     (release), waits for `answered` (acquire)     the rows, stores `answered` (release)
//     up to a timeout
//
// A worker that answers after its requester gave up writes into the mailbox, which lives as
// long as the worker; the next requester waits for that answer before posting again. The worker
// allocates nothing and copies at most lcore_routes::max_rows rows.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>

#include "net/addresses.hh"
#include "route/lcore_routes.hh"

namespace rampart::engine {

class neighbour_mailbox {
 public:
  // What a worker answered.
  struct answer {
    std::span<const route::neighbour_row> rows;  // its neighbours: learned, then pending
    // The address the request asked to resolve, as the worker's resolver saw it after asking
    // (route::lcore_routes::resolve); nullopt: none asked, or no route to it.
    std::optional<route::resolution> resolved;
  };

  // Worker: a request is waiting. An acquire load of a line written only by requesters.
  bool pending() const noexcept { return _state.load(std::memory_order_acquire) == state::posted; }
  // Worker: answers the waiting request. No allocation, lock or syscall.
  void serve(route::lcore_routes& routes, std::uint64_t now_ns) noexcept;

  // Requester: asks the worker (to resolve `address` first, when given) and calls `use` with its
  // answer. False, without calling `use`, when the worker did not answer within `timeout` (it is
  // busy with a long turn, stopped, or still owes an earlier requester its answer).
  bool ask(std::optional<net::ipv4_address> address, std::chrono::milliseconds timeout,
           const std::function<void(const answer&)>& use);

 private:
  enum class state : std::uint8_t { idle, posted, answered };
  bool wait_answered(std::chrono::steady_clock::time_point deadline) const;

  std::mutex _requesters;
  std::atomic<state> _state{state::idle};
  // Written by the requester before it posts.
  std::optional<net::ipv4_address> _address;
  // Written by the worker before it answers.
  std::array<route::neighbour_row, route::lcore_routes::max_rows> _rows{};
  std::size_t _count = 0;
  std::optional<route::resolution> _resolved;
};

}  // namespace rampart::engine
