#include "engine/system_check.hh"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace rampart::engine {

namespace {

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return {};
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool has_capability(const system_facts& facts, int capability) {
  return !facts.effective_capabilities || ((*facts.effective_capabilities >> capability) & 1U) != 0;
}

bool needs_tun(std::string_view driver) { return driver == "net_tap" || driver == "net_tun"; }

}  // namespace

std::string_view vdev_driver(std::string_view vdev) noexcept {
  std::string_view name = vdev.substr(0, vdev.find(','));
  while (!name.empty() && name.back() >= '0' && name.back() <= '9') {
    name.remove_suffix(1);
  }
  return name;
}

std::string vdev_argument(std::string_view vdev, std::string_view key) {
  std::size_t at = vdev.find(',');
  while (at != std::string_view::npos) {
    const std::size_t next = vdev.find(',', at + 1);
    const std::string_view arg = vdev.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
    if (arg.starts_with(key) && arg.size() > key.size() && arg[key.size()] == '=') {
      return std::string(arg.substr(key.size() + 1));
    }
    at = next;
  }
  return {};
}

std::vector<std::string> parse_hugetlbfs_mounts(std::string_view proc_mounts) {
  std::vector<std::string> mounts;
  std::istringstream in{std::string(proc_mounts)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string device, mount_point, type;
    if (fields >> device >> mount_point >> type && type == "hugetlbfs") {
      mounts.push_back(mount_point);
    }
  }
  return mounts;
}

std::optional<std::uint64_t> parse_effective_capabilities(std::string_view proc_status) noexcept {
  constexpr std::string_view key = "CapEff:";
  std::size_t at = proc_status.find(key);
  while (at != std::string_view::npos && at != 0 && proc_status[at - 1] != '\n') {
    at = proc_status.find(key, at + 1);
  }
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t begin = at + key.size();
  while (begin < proc_status.size() && (proc_status[begin] == ' ' || proc_status[begin] == '\t')) {
    ++begin;
  }
  std::uint64_t caps = 0;
  const char* first = proc_status.data() + begin;
  const char* last = proc_status.data() + proc_status.size();
  const auto [end, ec] = std::from_chars(first, last, caps, 16);
  if (ec != std::errc{} || end == first || (end != last && *end != '\n')) {
    return std::nullopt;
  }
  return caps;
}

std::optional<std::string> check_environment(const config::eal_config& eal, const system_facts& facts) {
  if (!eal.no_huge) {
    if (facts.hugetlbfs_mounts.empty()) {
      return "no hugepages mounted: run scripts/setup-hugepages.sh or set eal.no_huge: true";
    }
    if (facts.writable_hugetlbfs_mounts.empty()) {
      return "no permission to use the hugepage mount " + facts.hugetlbfs_mounts.front() +
             ": run rampart as root or set eal.no_huge: true";
    }
    if (facts.free_hugepages == 0) {
      return "no free hugepages (all reserved pages are in use or none are reserved): run "
             "scripts/setup-hugepages.sh or set eal.no_huge: true";
    }
  }
  for (const std::string& vdev : eal.vdevs) {
    const std::string_view driver = vdev_driver(vdev);
    if (needs_tun(driver)) {
      if (!has_capability(facts, cap_net_admin)) {
        return "the " + std::string(driver) + " vdev needs CAP_NET_ADMIN to create its interface: run rampart "
               "as root, or grant it (setcap cap_net_admin,cap_net_raw+ep <binary>)";
      }
      if (facts.tun_open_errno != 0) {
        return "cannot open /dev/net/tun (" + std::string(std::strerror(facts.tun_open_errno)) +
               ") for the " + std::string(driver) + " vdev: load the tun module (modprobe tun) and run as root";
      }
    }
    if (driver == "net_af_packet" && !has_capability(facts, cap_net_raw)) {
      return "the net_af_packet vdev needs CAP_NET_RAW: run rampart as root, or grant it (setcap cap_net_raw+ep "
             "<binary>)";
    }
  }
  return std::nullopt;
}

system_facts gather_system_facts(const config::eal_config& eal) {
  system_facts facts;
  facts.effective_capabilities = parse_effective_capabilities(read_text_file("/proc/self/status"));
  facts.hugetlbfs_mounts = parse_hugetlbfs_mounts(read_text_file("/proc/mounts"));
  for (const std::string& mount : facts.hugetlbfs_mounts) {
    if (access(mount.c_str(), W_OK) == 0) {
      facts.writable_hugetlbfs_mounts.push_back(mount);
    }
  }
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    const std::string text = read_text_file(dir.path() / "free_hugepages");
    std::uint64_t pages = 0;
    std::from_chars(text.data(), text.data() + text.size(), pages);
    facts.free_hugepages += pages;
  }
  bool tun_needed = false;
  for (const std::string& vdev : eal.vdevs) {
    tun_needed = tun_needed || needs_tun(vdev_driver(vdev));
  }
  if (tun_needed) {
    const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      facts.tun_open_errno = errno;
    } else {
      close(fd);
    }
  }
  return facts;
}

std::optional<std::string> check_tap_names(const config::eal_config& eal,
                                           const std::function<bool(const std::string&)>& exists) {
  for (const std::string& vdev : eal.vdevs) {
    if (!needs_tun(vdev_driver(vdev))) {
      continue;
    }
    const std::string iface = vdev_argument(vdev, "iface");
    if (!iface.empty() && exists(iface)) {
      return "eal.vdevs \"" + vdev + "\": an interface named " + iface + " exists already (another rampart with "
             "this config, or one left behind): stop that process or remove the interface (ip link delete " + iface +
             "), or choose another iface=";
    }
  }
  return std::nullopt;
}

bool interface_exists(const std::string& name) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path("/sys/class/net") / name, ec);
}

std::optional<std::string> check_live_system(const config::eal_config& eal) {
  if (std::optional<std::string> problem = check_environment(eal, gather_system_facts(eal))) {
    return problem;
  }
  return check_tap_names(eal, interface_exists);
}

}  // namespace rampart::engine
