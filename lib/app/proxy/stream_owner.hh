#pragma once
// What a proxy instance hangs on each stream's context: a client/backend pair (proxy_app.cc) or
// a health check (health_checker.hh). Both start with this, so a callback knows which it got.
#include <cstdint>

#include "tcp/stream.hh"

namespace rampart::app::proxy {

struct stream_owner {
  enum class kind : std::uint8_t { pair, check };
  const kind role;
};

inline stream_owner& owner_of(const tcp::stream& s) noexcept {
  return *static_cast<stream_owner*>(s.context());
}

}  // namespace rampart::app::proxy
