#pragma once
// What start-up checks on the live system just before rte_eal_init, so the common set-up
// mistakes (no hugepages, not root, no tun device, a tap name taken) end in ONE message naming
// cause and fix instead of a page of EAL log lines. Everything the file alone decides was
// checked before (the rampart command's pre-flight, which --check-config runs too). The
// decisions are pure (check_environment over gathered facts, check_tap_names over a lookup,
// tested with made-up ones); gather_system_facts and interface_exists touch the system.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hh"

namespace rampart::engine {

struct system_facts {
  std::optional<std::uint64_t> effective_capabilities;  // CapEff of /proc/self/status
  std::vector<std::string> hugetlbfs_mounts;            // from /proc/mounts
  std::vector<std::string> writable_hugetlbfs_mounts;   // the subset this process may write
  std::uint64_t free_hugepages = 0;                     // all sizes, /sys/kernel/mm/hugepages
  int tun_open_errno = 0;                               // 0: /dev/net/tun opens read-write
};

// Linux capability numbers (linux/capability.h) the engine's drivers need.
inline constexpr int cap_net_admin = 12;  // net_tap creates its interface (TUNSETIFF)
inline constexpr int cap_net_raw = 13;    // net_af_packet opens a packet socket

// The driver of a --vdev argument: "net_tap0,iface=x" → "net_tap" (name up to the first ',',
// trailing instance digits removed).
std::string_view vdev_driver(std::string_view vdev) noexcept;

// The value of `key=` in a --vdev argument ("net_tap0,iface=x,..." → "x" for "iface"), or empty.
std::string vdev_argument(std::string_view vdev, std::string_view key);

// Mount points of type hugetlbfs in /proc/mounts text (fields: device mount type options ...).
std::vector<std::string> parse_hugetlbfs_mounts(std::string_view proc_mounts);

// CapEff from /proc/self/status text; nullopt when the line is missing or malformed.
std::optional<std::uint64_t> parse_effective_capabilities(std::string_view proc_status) noexcept;

// Returns the first problem as a message naming cause and fix, or nullopt when EAL may start:
//  - eal.no_huge false and no hugetlbfs mounted, none writable, or no free hugepages;
//  - a net_tap / net_tun vdev without CAP_NET_ADMIN, or /dev/net/tun not openable;
//  - a net_af_packet vdev without CAP_NET_RAW.
// Unknown capabilities (no /proc) are not reported: EAL will say what fails.
std::optional<std::string> check_environment(const config::eal_config& eal, const system_facts& facts);

// Reads /proc/self/status, /proc/mounts, /sys/kernel/mm/hugepages and tries /dev/net/tun (only
// when a vdev needs it). Never throws; unreadable sources leave defaults.
system_facts gather_system_facts(const config::eal_config& eal);

// A net_tap/net_tun vdev whose iface= names an interface that exists already (another rampart,
// a leftover): TUNSETIFF would fail with a driver message rampart cannot explain.
std::optional<std::string> check_tap_names(const config::eal_config& eal,
                                           const std::function<bool(const std::string&)>& interface_exists);

// /sys/class/net/<name> exists.
bool interface_exists(const std::string& name);

// check_environment over this system's facts, then check_tap_names over its interfaces: the
// first problem, or nullopt when EAL may start.
std::optional<std::string> check_live_system(const config::eal_config& eal);

}  // namespace rampart::engine
