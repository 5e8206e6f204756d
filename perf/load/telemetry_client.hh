#pragma once
// One query to a DPDK telemetry v2 socket (SOCK_SEQPACKET): read the greeting, send the command,
// return the reply text. The protocol is lib/engine/telemetry.cc's (docs/stats.md).
#include <optional>
#include <string>

namespace rampart::load {

// The reply's JSON text, or nullopt with `error` set (connect refused, timeout, ...).
std::optional<std::string> telemetry_query(const std::string& socket_path, const std::string& command,
                                           std::string& error);

}  // namespace rampart::load
