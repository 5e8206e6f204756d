#pragma once
// Checks of a configuration against this machine that need no EAL, run by `--check-config` and
// again before rte_eal_init, so a mistake ends in ONE line naming cause and fix instead of EAL's
// usage text or a driver's log lines. Decisions are pure functions of their inputs (unit-tested);
// allowed_cpus and interface_exists read the system.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hh"

namespace rampart::engine {

// EAL's --lcores grammar: a comma-separated list of `LCORES[@CPUS]`, each side a number, a range
// `a-b` or a group `(a,b-c,...)`; without `@` an lcore runs on the CPU of its own number.
struct lcore_layout {
  std::vector<unsigned> lcores;  // in order of appearance (the first is the main lcore)
  std::vector<unsigned> cpus;    // every CPU the lcores run on, ascending, no duplicates
};
struct lcore_parse_result {
  std::optional<lcore_layout> layout;
  std::string error;  // when !layout: what is wrong, with the position
};
lcore_parse_result parse_lcores(std::string_view text);

// nullopt when eal.lcores parses, lists each lcore once, stays below max_lcore (RTE_MAX_LCORE)
// and uses only CPUs in allowed_cpus (empty: unknown, not checked); else the one-line message.
std::optional<std::string> check_lcores(std::string_view lcores, std::span<const unsigned> allowed_cpus,
                                        unsigned max_lcore);

// The largest MTU a vdev's driver takes with its default arguments (drivers-notes/): net_tap
// 1504, net_af_packet 1500 (unless framesz= is given), net_memif 1500 (unless bsize= is given),
// net_af_xdp 3542; nullopt when unknown (PCI devices: checked against max_mtu at start).
std::optional<std::uint16_t> known_max_mtu(std::string_view vdev);

// The vdev that serves port.device (the named one; with an empty device and eal.no_pci, the
// first vdev), or nullopt.
std::optional<std::string> served_vdev(const config::engine_config& cfg);

// port.mtu against known_max_mtu of the served vdev; the message names the limit and the fix.
std::optional<std::string> check_driver_mtu(const config::engine_config& cfg);

// A net_tap/net_tun vdev whose iface= names an interface that exists already (another rampart,
// a leftover): TUNSETIFF would fail with a driver message rampart cannot explain.
std::optional<std::string> check_tap_names(const config::eal_config& eal,
                                           const std::function<bool(const std::string&)>& interface_exists);

// The CPUs this process may run on (sched_getaffinity); empty if that fails.
std::vector<unsigned> allowed_cpus();

// /sys/class/net/<name> exists.
bool interface_exists(const std::string& name);

}  // namespace rampart::engine
