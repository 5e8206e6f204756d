#include "engine/connection_listing.hh"

#include "tcp/lcore_tcp.hh"

namespace rampart::engine {

void listing_channel::serve(const tcp::lcore_tcp& tcp, std::uint64_t now_ns) noexcept {
  if (_current == nullptr) {
    if (!_queue.pop(_current)) {
      return;
    }
    _current->scan = {};
  }
  listing_request& r = *_current;
  if (tcp::snapshot_step(tcp, r.filter, r.scan, std::span(r.rows.get(), r.limit), scan_budget, now_ns)) {
    _current = nullptr;
    r.done.store(true, std::memory_order_release);
  }
}

const char* to_string(lcore_listing::status s) noexcept {
  switch (s) {
    case lcore_listing::status::ok:
      return "ok";
    case lcore_listing::status::busy:
      return "busy";
    case lcore_listing::status::timeout:
      return "timeout";
    case lcore_listing::status::stopped:
      return "stopped";
  }
  return "?";
}

}  // namespace rampart::engine
