#include "telemetry_client.hh"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace rampart::load {

std::optional<std::string> telemetry_query(const std::string& socket_path, const std::string& command,
                                           std::string& error) {
  sockaddr_un address{};
  if (socket_path.size() >= sizeof address.sun_path) {
    error = "socket path too long";
    return std::nullopt;
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  const timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::vector<char> buffer(64 * 1024);
  std::optional<std::string> reply;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error = "connect: " + std::string(std::strerror(errno));
  } else if (::recv(fd, buffer.data(), buffer.size(), 0) <= 0) {  // the greeting
    error = "no greeting: " + std::string(std::strerror(errno));
  } else if (::send(fd, command.data(), command.size(), 0) != static_cast<ssize_t>(command.size())) {
    error = "send: " + std::string(std::strerror(errno));
  } else if (const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0); n <= 0) {
    error = "no reply: " + std::string(std::strerror(errno));
  } else {
    reply = std::string(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace rampart::load
