#include <catch2/catch.hpp>

#include "engine/system_check.hh"

using namespace rampart::engine;
using rampart::config::eal_config;

namespace {

constexpr std::uint64_t all_caps = 0x000001ffffffffffULL;
constexpr std::uint64_t no_caps = 0;

system_facts healthy_root() {
  system_facts f;
  f.effective_capabilities = all_caps;
  f.hugetlbfs_mounts = {"/dev/hugepages"};
  f.writable_hugetlbfs_mounts = {"/dev/hugepages"};
  f.free_hugepages = 512;
  return f;
}

eal_config tap_eal() {
  eal_config eal;
  eal.vdevs = {"net_tap0,iface=rampart0"};
  return eal;
}

}  // namespace

TEST_CASE("vdev_driver strips the instance number and arguments", "[unit][engine]") {
  CHECK(vdev_driver("net_tap0,iface=rampart0") == "net_tap");
  CHECK(vdev_driver("net_af_packet12,iface=veth0,qpairs=2") == "net_af_packet");
  CHECK(vdev_driver("net_memif") == "net_memif");
  CHECK(vdev_driver("") == "");
}

TEST_CASE("hugetlbfs mounts are found in /proc/mounts", "[unit][engine]") {
  const char* mounts =
      "sysfs /sys sysfs rw,nosuid 0 0\n"
      "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"
      "tmpfs /run tmpfs rw 0 0\n"
      "nodev /mnt/huge1G hugetlbfs rw,pagesize=1024M 0 0";
  CHECK(parse_hugetlbfs_mounts(mounts) == std::vector<std::string>{"/dev/hugepages", "/mnt/huge1G"});
  CHECK(parse_hugetlbfs_mounts("proc /proc proc rw 0 0\n").empty());
  CHECK(parse_hugetlbfs_mounts("").empty());
}

TEST_CASE("CapEff is read from /proc/self/status", "[unit][engine]") {
  CHECK(parse_effective_capabilities("Name:\tx\nCapPrm:\t0000000000000000\nCapEff:\t000001ffffffffff\nCapBnd:\t1\n") ==
        0x000001ffffffffffULL);
  CHECK(parse_effective_capabilities("CapEff:\t0000000000001000") == 0x1000ULL);
  CHECK_FALSE(parse_effective_capabilities("Name:\tx\n").has_value());
  CHECK_FALSE(parse_effective_capabilities("CapEff:\tzz\n").has_value());
  // "NotCapEff:" must not match.
  CHECK_FALSE(parse_effective_capabilities("XCapEff:\t1\n").has_value());
}

TEST_CASE("a healthy root set-up passes", "[unit][engine]") {
  eal_config eal = tap_eal();
  eal.no_huge = false;
  CHECK_FALSE(check_environment(eal, healthy_root()).has_value());
}

TEST_CASE("hugepage problems are reported only when hugepages are wanted", "[unit][engine]") {
  eal_config eal;
  eal.no_huge = false;
  system_facts f = healthy_root();
  f.hugetlbfs_mounts.clear();
  f.writable_hugetlbfs_mounts.clear();
  CHECK(check_environment(eal, f) ==
        std::optional<std::string>("no hugepages mounted: run scripts/setup-hugepages.sh or set eal.no_huge: true"));
  eal.no_huge = true;
  CHECK_FALSE(check_environment(eal, f).has_value());

  eal.no_huge = false;
  f = healthy_root();
  f.writable_hugetlbfs_mounts.clear();
  CHECK_THAT(*check_environment(eal, f), Catch::Contains("no permission") && Catch::Contains("/dev/hugepages"));
  f = healthy_root();
  f.free_hugepages = 0;
  CHECK_THAT(*check_environment(eal, f), Catch::Contains("no free hugepages"));
}

TEST_CASE("net_tap needs CAP_NET_ADMIN and /dev/net/tun", "[unit][engine]") {
  system_facts f = healthy_root();
  f.effective_capabilities = no_caps;
  CHECK_THAT(*check_environment(tap_eal(), f), Catch::Contains("CAP_NET_ADMIN") && Catch::Contains("root"));
  f.effective_capabilities = std::uint64_t{1} << cap_net_admin;
  CHECK_FALSE(check_environment(tap_eal(), f).has_value());
  f.tun_open_errno = ENOENT;
  CHECK_THAT(*check_environment(tap_eal(), f), Catch::Contains("/dev/net/tun") && Catch::Contains("modprobe tun"));
  // Unknown capabilities (no /proc): leave it to EAL.
  f = healthy_root();
  f.effective_capabilities.reset();
  CHECK_FALSE(check_environment(tap_eal(), f).has_value());
}

TEST_CASE("net_af_packet needs CAP_NET_RAW", "[unit][engine]") {
  eal_config eal;
  eal.vdevs = {"net_af_packet0,iface=veth0"};
  system_facts f = healthy_root();
  f.effective_capabilities = std::uint64_t{1} << cap_net_admin;
  CHECK_THAT(*check_environment(eal, f), Catch::Contains("CAP_NET_RAW"));
  f.effective_capabilities = std::uint64_t{1} << cap_net_raw;
  CHECK_FALSE(check_environment(eal, f).has_value());
}

TEST_CASE("vdev_argument reads one key= of a vdev", "[unit][engine]") {
  CHECK(vdev_argument("net_tap0,iface=rt0,persist", "iface") == "rt0");
  CHECK(vdev_argument("net_af_packet0,iface=veth0,framesz=4096", "framesz") == "4096");
  CHECK(vdev_argument("net_af_packet0,iface=veth0", "if").empty());
  CHECK(vdev_argument("net_tap0", "iface").empty());
}

TEST_CASE("a tap name already taken", "[unit][engine]") {
  eal_config eal;
  eal.vdevs = {"net_af_packet0,iface=eth0", "net_tap1,iface=rt0,persist"};
  CHECK_FALSE(check_tap_names(eal, [](const std::string& name) { return name == "eth0"; }));
  CHECK(check_tap_names(eal, [](const std::string& name) { return name == "rt0"; }) ==
        "eal.vdevs \"net_tap1,iface=rt0,persist\": an interface named rt0 exists already (another rampart with this "
        "config, or one left behind): stop that process or remove the interface (ip link delete rt0), or choose "
        "another iface=");
}
