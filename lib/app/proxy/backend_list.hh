#pragma once
// The proxy's `backends` argument: "10.0.0.5:80*3, 10.0.0.6:80" is two backends, the first with
// weight 3 (it gets three times the new connections of a weight-1 backend), the second with the
// default weight 1. Start-up and reload only.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/addresses.hh"

namespace rampart::app::proxy {

// A backend's address and port: what identifies it (across reloads too).
struct backend_address {
  net::ipv4_address address;
  std::uint16_t port = 0;

  bool operator==(const backend_address&) const = default;
};

// "ADDRESS:PORT": the backend's name in telemetry, metrics and logs, and an HTTP check's Host.
std::string backend_name(const backend_address& backend);

struct backend_entry {
  backend_address endpoint;
  std::uint32_t weight = 1;

  bool operator==(const backend_entry&) const = default;
};

// Bounds of the list: the balancers' tables are sized by them (smooth_round_robin.hh: one slot
// per unit of weight; backend_pool.hh: 16-bit backend indexes).
inline constexpr std::size_t max_backends = 256;
inline constexpr std::uint32_t max_weight = 256;

// Entries are ADDRESS:PORT or ADDRESS:PORT*WEIGHT, separated by commas, spaces around them
// ignored. Throws app_error with a message that names the entry and the fix, e.g.
//   entry 2 "10.0.0.6:0": port 0 is out of range; write a port in 1..65535
// for: an empty list or entry, a bad address (lib/net's strict dotted quad), a missing, bad or
// out-of-range port, a weight that is not a number in 1..256, the same address and port twice,
// more than 256 entries.
std::vector<backend_entry> parse_backend_list(std::string_view text);

}  // namespace rampart::app::proxy
