#pragma once
// The service manager's readiness protocol (sd_notify(3)), without libsystemd: one datagram per
// state change to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the
// abstract namespace). Without $NOTIFY_SOCKET every call does nothing, so a run from a shell is
// unaffected. The engine sends READY=1 once the port is up and the workers run, RELOADING=1 /
// READY=1 around a SIGHUP, STOPPING=1 when it starts to drain or stop, and STATUS= lines.
#include <string>
#include <string_view>

namespace rampart::engine {

class service_notifier {
 public:
  // Reads $NOTIFY_SOCKET (and keeps it for the process's children: systemd's own library
  // unsets it only on request).
  service_notifier();
  explicit service_notifier(std::string socket_name) : _socket(std::move(socket_name)) {}

  bool enabled() const noexcept { return !_socket.empty(); }

  // Sends `state` ("READY=1\nSTATUS=serving"). Returns false when it could not be delivered
  // (also logged once); true when sent or when notifications are off.
  bool notify(std::string_view state) noexcept;

 private:
  std::string _socket;
  bool _warned = false;
};

}  // namespace rampart::engine
