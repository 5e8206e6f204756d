#include "engine/port_recovery.hh"

#include <optional>

#include "engine/log.hh"
#include "engine/port.hh"
#include "engine/worker_set.hh"

namespace rampart::engine {

port_recovery::port_recovery(port& p, worker_set& workers, bool reconnects)
    : _port(p), _workers(workers), _reconnects(reconnects) {
  _backoff.started(reconnect_backoff::clock::now());
}

void port_recovery::tick(bool reset_requested, reconnect_backoff::clock::time_point now) {
  if (reset_requested) {
    const std::string error = restart(restart_reason::device_reset);
    _port.health().count_device_reset(error.empty());
    if (error.empty()) {
      log_info(_port.info().name + ": reset and configured again (queues, MTU, offloads, RSS, MAC); workers resumed");
    } else {
      log_error(_port.info().name + ": reset failed: " + error + "; the port stays down: restart rampart");
    }
  }
  if (_reconnects) {
    reconnect(now);
  }
}

void port_recovery::reconnect(reconnect_backoff::clock::time_point now) {
  const std::string& name = _port.info().name;
  if (_port.health().read().link.up) {
    if (_backoff.attempts() != 0) {
      _port.health().count_reconnect();
      log_info(name + ": memif server back, link up after " + std::to_string(_backoff.attempts()) +
               " reconnect attempt(s)");
    }
    _backoff.link_up();
    return;
  }
  _backoff.link_down(now);
  if (!_backoff.due(now)) {
    return;
  }
  const std::string error = restart(restart_reason::reconnect);
  _port.health().count_reconnect_attempt();
  if (error.empty()) {
    _backoff.started(now);
  }
  const std::string outcome = error.empty() ? "connected to the server's socket, waiting for its handshake"
                                            : "failed: " + error;
  if (_backoff.attempted(now, outcome)) {
    log_info(name + ": link down, memif client reconnecting (attempt " + std::to_string(_backoff.attempts()) +
             "): " + outcome + "; retrying every " + std::to_string(_backoff.delay().count()) +
             " ms, doubling to 5 s, while the link stays down (logged again when the outcome changes)");
  }
}

std::string port_recovery::restart(restart_reason why) {
  if (!_workers.pause()) {
    return "the workers did not pause";
  }
  const std::optional<std::string> error = why == restart_reason::reconnect ? _port.restart() : _port.reset();
  _workers.resume();
  return error.value_or("");
}

}  // namespace rampart::engine
