#include "tcp/stream.hh"

namespace rampart::tcp {

std::string_view to_string(close_reason reason) noexcept {
  switch (reason) {
    case close_reason::closed:
      return "closed";
    case close_reason::reset:
      return "reset";
    case close_reason::timeout:
      return "timeout";
    case close_reason::idle_timeout:
      return "idle_timeout";
    case close_reason::aborted:
      return "aborted";
    case close_reason::shutdown:
      return "shutdown";
  }
  return "unknown";
}

}  // namespace rampart::tcp
