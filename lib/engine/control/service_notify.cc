#include "engine/service_notify.hh"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "engine/log.hh"

namespace rampart::engine {

service_notifier::service_notifier() {
  if (const char* name = std::getenv("NOTIFY_SOCKET"); name != nullptr) {
    _socket = name;
  }
}

bool service_notifier::notify(std::string_view state) noexcept {
  if (_socket.empty()) {
    return true;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (_socket.size() >= sizeof address.sun_path || (_socket[0] != '/' && _socket[0] != '@')) {
    if (!_warned) {
      log_warning("NOTIFY_SOCKET \"" + _socket + "\" is not a socket path or @name; the service manager gets no readiness");
      _warned = true;
    }
    return false;
  }
  std::memcpy(address.sun_path, _socket.data(), _socket.size());
  if (_socket[0] == '@') {
    address.sun_path[0] = '\0';  // abstract namespace
  }
  const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + _socket.size());
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool sent = false;
  int err = errno;
  if (fd >= 0) {
    sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), length) ==
           static_cast<ssize_t>(state.size());
    err = errno;
    close(fd);
  }
  if (!sent && !_warned) {
    log_warning("cannot notify the service manager at " + _socket + ": " + std::strerror(err));
    _warned = true;
  }
  return sent;
}

}  // namespace rampart::engine
