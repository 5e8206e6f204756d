#include "driver_limits.hh"

#include "engine/system_check.hh"

namespace rampart::command {

std::optional<std::uint16_t> known_max_mtu(std::string_view vdev) {
  const std::string_view driver = engine::vdev_driver(vdev);
  if (driver == "net_tap") {
    return 1504;
  }
  if (driver == "net_af_packet" && engine::vdev_argument(vdev, "framesz").empty()) {
    return 1500;
  }
  if (driver == "net_memif" && engine::vdev_argument(vdev, "bsize").empty()) {
    return 1500;
  }
  if (driver == "net_af_xdp") {
    return 3542;
  }
  return std::nullopt;
}

std::optional<std::string> served_vdev(const config::engine_config& cfg) {
  for (const std::string& vdev : cfg.eal.vdevs) {
    if (!cfg.port.device.empty() && std::string_view(vdev).substr(0, vdev.find(',')) == cfg.port.device) {
      return vdev;
    }
  }
  if (cfg.port.device.empty() && cfg.eal.no_pci && !cfg.eal.vdevs.empty()) {
    return cfg.eal.vdevs.front();
  }
  return std::nullopt;
}

std::optional<std::string> check_driver_mtu(const config::engine_config& cfg) {
  const std::optional<std::string> vdev = served_vdev(cfg);
  if (!vdev) {
    return std::nullopt;
  }
  const std::optional<std::uint16_t> limit = known_max_mtu(*vdev);
  if (!limit || cfg.port.mtu <= *limit) {
    return std::nullopt;
  }
  return "port.mtu " + std::to_string(cfg.port.mtu) + " is above what " + std::string(engine::vdev_driver(*vdev)) +
         " takes (" + std::to_string(*limit) + " with the arguments \"" + *vdev +
         "\"): lower port.mtu to " + std::to_string(*limit) + " or less (drivers-notes/" +
         std::string(engine::vdev_driver(*vdev)) + ".md)";
}

}  // namespace rampart::command
