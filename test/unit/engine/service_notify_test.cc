#include "engine/service_notify.hh"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

using rampart::engine::service_notifier;

namespace {

// A datagram socket bound to `name` (a path, or "@name" for the abstract namespace).
int bound_socket(const std::string& name) {
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, name.data(), name.size());
  if (name[0] == '@') {
    a.sun_path[0] = '\0';
  }
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())) == 0);
  return fd;
}

std::string receive(int fd) {
  char buffer[512];
  const ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("service notifications reach a path socket and an abstract one", "[unit][engine]") {
  const std::string path = (std::filesystem::temp_directory_path() / ("rampart-notify-" + std::to_string(getpid()))).string();
  std::filesystem::remove(path);
  const int by_path = bound_socket(path);
  service_notifier to_path(path);
  CHECK(to_path.enabled());
  CHECK(to_path.notify("READY=1\nSTATUS=serving"));
  CHECK(receive(by_path) == "READY=1\nSTATUS=serving");
  close(by_path);
  std::filesystem::remove(path);

  const std::string abstract = "@rampart-notify-test-" + std::to_string(getpid());
  const int by_name = bound_socket(abstract);
  service_notifier to_name(abstract);
  CHECK(to_name.notify("STOPPING=1"));
  CHECK(receive(by_name) == "STOPPING=1");
  close(by_name);
}

TEST_CASE("service notifications: off without a socket, refused for a bad one", "[unit][engine]") {
  service_notifier off{std::string()};
  CHECK_FALSE(off.enabled());
  CHECK(off.notify("READY=1"));
  service_notifier bad{"relative/path"};
  CHECK_FALSE(bad.notify("READY=1"));
  service_notifier gone{"/nonexistent-dir/notify"};
  CHECK_FALSE(gone.notify("READY=1"));
}
