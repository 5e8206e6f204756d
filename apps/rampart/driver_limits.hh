#pragma once
// port.mtu against what the served vdev's driver takes with its arguments (drivers-notes/), so
// a too large MTU ends in one line instead of a driver's refusal after EAL started.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hh"

namespace rampart::command {

// The largest MTU a vdev's driver takes with its default arguments (drivers-notes/): net_tap
// 1504, net_af_packet 1500 (unless framesz= is given), net_memif 1500 (unless bsize= is given),
// net_af_xdp 3542; nullopt when unknown (PCI devices: checked against max_mtu at start).
std::optional<std::uint16_t> known_max_mtu(std::string_view vdev);

// The vdev that serves port.device (the named one; with an empty device and eal.no_pci, the
// first vdev), or nullopt.
std::optional<std::string> served_vdev(const config::engine_config& cfg);

// port.mtu against known_max_mtu of the served vdev; the message names the limit and the fix.
std::optional<std::string> check_driver_mtu(const config::engine_config& cfg);

}  // namespace rampart::command
