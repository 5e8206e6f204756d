#pragma once
// Where the configuration meets lib/tcp: the TCP settings and listened ports of a worker, from the
// config (whose schema holds every default). Pure: no EAL.
#include <span>
#include <vector>

#include "config/config.hh"
#include "packet/frame.hh"
#include "tcp/settings.hh"

namespace rampart::engine {

// tcp.* of the config, with the MSS clamped to port.mtu - 40 (RFC 9293 §3.7.1) and the port's TX
// checksum offloads. local_mac is the port's: the caller sets it once the port is up.
tcp::tcp_settings tcp_settings_of(const config::engine_config& cfg, packet::tx_offload_caps offload) noexcept;

// listeners[] of the config, in order (listener index i is listeners[i]).
std::vector<tcp::listener_settings> tcp_listeners_of(std::span<const config::listener_config> listeners);

}  // namespace rampart::engine
