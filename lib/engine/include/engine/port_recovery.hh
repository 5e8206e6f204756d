#pragma once
// The control loop's answer to a port that needs a restart while the workers run
// (docs/operations.md, "A memif peer restarts" and "A device reset (real NICs)"): a net_memif
// client whose link is down is restarted on a back-off until its server is back
// (reconnect_policy.hh), and a driver's reset request resets and reconfigures the port. Both go
// through restart(), the one routine that stops and starts the port, with the workers paused
// around it.
#include <string>

#include "engine/port_health.hh"
#include "engine/reconnect_policy.hh"

namespace rampart::engine {

class port;
class worker_set;

class port_recovery {
 public:
  // `reconnects`: the port reconnects only on a restart (reconnects_only_on_restart). The port
  // has just started: its first handshake gets reconnect_backoff::handshake_time.
  port_recovery(port& p, worker_set& workers, bool reconnects);

  // Once per control tick, after the link was observed: a reset when `reset_requested`, then
  // a reconnect attempt when one is due. Each outcome is logged once per change and counted in
  // port_health.
  void tick(bool reset_requested, reconnect_backoff::clock::time_point now);

 private:
  void reconnect(reconnect_backoff::clock::time_point now);
  // Pauses the workers (worker_set::pause), restarts or resets the port, resumes them. Returns
  // the error, empty when the port started.
  std::string restart(restart_reason why);

  port& _port;
  worker_set& _workers;
  bool _reconnects;
  reconnect_backoff _backoff;
};

}  // namespace rampart::engine
