#pragma once
// /rampart/backend_drain's requests on their way from the telemetry thread to the control lcore,
// the only writer of the workers' control queues (control_message.hh), which forwards them at
// its next tick. A mutex is enough: neither side is a worker, and a request comes by hand.
#include <mutex>
#include <utility>
#include <vector>

#include "engine/control_message.hh"

namespace rampart::engine {

class backend_drain_mailbox {
 public:
  void post(const backend_drain_request& request) {
    const std::lock_guard lock(_mutex);
    _pending.push_back(request);
  }

  // The requests posted since the last take, oldest first.
  std::vector<backend_drain_request> take() {
    const std::lock_guard lock(_mutex);
    return std::exchange(_pending, {});
  }

 private:
  std::mutex _mutex;
  std::vector<backend_drain_request> _pending;
};

}  // namespace rampart::engine
