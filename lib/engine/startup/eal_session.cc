#include "engine/eal_session.hh"

#include <cerrno>
#include <filesystem>
#include <string>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "engine/eal_args.hh"
#include "engine/log.hh"
#include "engine/startup_error.hh"
#include "engine/system_check.hh"

namespace rampart::engine {

namespace {

std::string eal_hint(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return "run rampart as root (EAL needs to lock memory and open devices)";
    case ENOMEM:
      return "raise eal.memory_mb, or reserve hugepages (scripts/setup-hugepages.sh), or set eal.no_huge: true";
    case EALREADY:
      return "EAL was already initialised in this process";
    case ENOTSUP:
    case ENOEXEC:
      return "a device or bus failed to probe: check eal.vdevs / eal.pci_allow and the lines above";
    case ENODEV:
      return "a vdev failed to probe: check eal.vdevs (and that its interface exists) and the lines above";
    case EINVAL:
      return "check eal.lcores, eal.vdevs and eal.extra_args against the EAL log lines above";
    case EBUSY:
      return "another DPDK process uses this eal.file_prefix; stop it or set a different one";
    default:
      return "see the EAL log lines above";
  }
}

// The files DPDK 22.11's EAL creates in its runtime directory (/var/run/dpdk/<prefix> for root,
// $XDG_RUNTIME_DIR/dpdk/<prefix> otherwise; eal_filesystem.h), plus the telemetry socket.
void remove_runtime_files(const std::filesystem::path& dir) noexcept {
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) {
    return;  // eal.in_memory: there was none
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "config" || name == "hugepage_info" || name.starts_with("fbarray_") ||
        name.starts_with("mp_socket") || name.starts_with("dpdk_telemetry")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  if (!std::filesystem::remove(dir, ec) && ec) {
    log_warning("runtime directory " + dir.string() + " not removed: " + ec.message());
  }
}

}  // namespace

eal_session::eal_session(const config::eal_config& eal, std::string_view program_name) : _in_memory(eal.in_memory) {
  std::vector<std::string> args = build_eal_args(eal, program_name);
  log_info("EAL args: " + join_args(args));
  std::vector<char*> argv;
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  rte_errno = 0;
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    const int err = rte_errno;
    // Some EAL failures (the runtime config lock held by another process) leave rte_errno 0.
    const std::string cause = err != 0 ? std::string(rte_strerror(err)) + "; " + eal_hint(err)
                                       : "is another DPDK process running with eal.file_prefix \"" +
                                             eal.file_prefix + "\"? stop it or choose another prefix; "
                                             "otherwise see the EAL log lines above";
    throw startup_error(exit_code::runtime_failure, "EAL init failed: " + cause);
  }
  log_info("EAL ok: " + std::to_string(rte_lcore_count()) + " lcore(s), main lcore " +
           std::to_string(rte_get_main_lcore()) + ", TSC " + std::to_string(rte_get_tsc_hz() / 1'000'000) + " MHz");
}

eal_session::~eal_session() {
  // rte_eal_cleanup leaves the runtime directory's files (config, fbarray_*) behind; the
  // telemetry socket goes at exit. Take the directory's name first, remove what EAL put there
  // after, then the directory if nothing else (a secondary process's files) is left in it.
  // With --in-memory EAL made no directory, and one by the same name belongs to another
  // process: leave it alone.
  const std::filesystem::path runtime_dir = _in_memory ? std::filesystem::path() : rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  remove_runtime_files(runtime_dir);
}

void check_vdevs_came_up(const config::eal_config& eal) {
  for (std::size_t i = 0; i < eal.vdevs.size(); ++i) {
    const std::string& vdev = eal.vdevs[i];
    const std::string name = vdev.substr(0, vdev.find(','));
    std::uint16_t port_id = 0;
    if (name.starts_with("net_") && rte_eth_dev_get_port_by_name(name.c_str(), &port_id) != 0) {
      const std::string_view driver = vdev_driver(vdev);
      // net_af_packet names its fanout group (pid XOR ifindex) & 0xffff, and groups are per
      // network namespace: another process's port there can hold the same id by chance.
      const std::string fanout_hint =
          driver == "net_af_packet"
              ? ". \"could not set PACKET_FANOUT\" means another process's net_af_packet port in this network "
                "namespace drew the same fanout group: start rampart again (a new pid gives a new group) or run "
                "each process in a namespace of its own (drivers-notes/net_af_packet.md)"
              : "";
      throw startup_error(exit_code::runtime_failure,
                          "eal.vdevs[" + std::to_string(i) + "] \"" + vdev + "\" did not come up: its driver " +
                              std::string(driver) +
                              " refused it (the driver's log lines above say why: an interface name in use, a "
                              "missing interface or socket, a bad argument)" + fanout_hint);
    }
  }
}

std::vector<unsigned> worker_lcores(const config::eal_config& eal) {
  std::vector<unsigned> lcores;
  unsigned lcore = 0;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    lcores.push_back(lcore);
  }
  if (lcores.empty()) {
    throw startup_error(exit_code::usage, "eal.lcores \"" + eal.lcores +
                                              "\" gives no worker lcore: list at least two lcores (the first "
                                              "is the control lcore), e.g. lcores: \"0-1\"");
  }
  return lcores;
}

}  // namespace rampart::engine
