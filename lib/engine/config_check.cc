#include "engine/config_check.hh"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "engine/preflight.hh"

namespace rampart::engine {

namespace {

class lcore_parser {
 public:
  explicit lcore_parser(std::string_view text) : _text(text) {}

  lcore_parse_result parse() {
    lcore_layout layout;
    std::set<unsigned> cpus;
    if (_text.empty()) {
      return fail("is empty");
    }
    while (true) {
      std::vector<unsigned> lcores;
      if (!set(lcores)) {
        return {std::nullopt, _error};
      }
      std::vector<unsigned> on = lcores;
      if (peek() == '@') {
        ++_pos;
        on.clear();
        if (!set(on)) {
          return {std::nullopt, _error};
        }
      }
      layout.lcores.insert(layout.lcores.end(), lcores.begin(), lcores.end());
      cpus.insert(on.begin(), on.end());
      if (_pos == _text.size()) {
        break;
      }
      if (peek() != ',') {
        return fail("expected ',' or '@'");
      }
      ++_pos;
    }
    layout.cpus.assign(cpus.begin(), cpus.end());
    return {layout, {}};
  }

 private:
  char peek() const { return _pos < _text.size() ? _text[_pos] : '\0'; }

  lcore_parse_result fail(const std::string& what) {
    _error = what + (_pos < _text.size() ? " at character " + std::to_string(_pos + 1) : " at the end");
    return {std::nullopt, _error};
  }

  bool number(unsigned& value) {
    const char* first = _text.data() + _pos;
    const auto [end, ec] = std::from_chars(first, _text.data() + _text.size(), value);
    if (ec != std::errc{} || end == first) {
      fail("expected a number");
      return false;
    }
    _pos += static_cast<std::size_t>(end - first);
    return true;
  }

  // number | a-b
  bool range(std::vector<unsigned>& out) {
    unsigned a = 0;
    if (!number(a)) {
      return false;
    }
    unsigned b = a;
    if (peek() == '-') {
      ++_pos;
      if (!number(b)) {
        return false;
      }
      if (b < a) {
        _error = "range " + std::to_string(a) + "-" + std::to_string(b) + " runs backwards";
        return false;
      }
    }
    for (unsigned v = a; v <= b; ++v) {
      out.push_back(v);
    }
    return true;
  }

  // range | (range,range,...)
  bool set(std::vector<unsigned>& out) {
    if (peek() != '(') {
      return range(out);
    }
    ++_pos;
    while (true) {
      if (!range(out)) {
        return false;
      }
      if (peek() == ')') {
        ++_pos;
        return true;
      }
      if (peek() != ',') {
        fail("expected ',' or ')'");
        return false;
      }
      ++_pos;
    }
  }

  std::string_view _text;
  std::size_t _pos = 0;
  std::string _error;
};

std::string list_text(std::span<const unsigned> values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::size_t j = i;
    while (j + 1 < values.size() && values[j + 1] == values[j] + 1) {
      ++j;
    }
    text += (text.empty() ? "" : ",") + std::to_string(values[i]) + (j > i ? "-" + std::to_string(values[j]) : "");
    i = j;
  }
  return text;
}

// The value of `key=` in a vdev's argument list ("net_tap0,iface=x,..."), or empty.
std::string vdev_arg(std::string_view vdev, std::string_view key) {
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

}  // namespace

lcore_parse_result parse_lcores(std::string_view text) { return lcore_parser(text).parse(); }

std::optional<std::string> check_lcores(std::string_view lcores, std::span<const unsigned> allowed,
                                        unsigned max_lcore) {
  const std::string quoted = "eal.lcores \"" + std::string(lcores) + "\"";
  const lcore_parse_result parsed = parse_lcores(lcores);
  if (!parsed.layout) {
    return quoted + ": " + parsed.error +
           " (EAL --lcores syntax: \"0-2\", \"0,1,2\", \"0@0,1@1,2@1\" or \"(0-2)@(0,1)\")";
  }
  std::set<unsigned> seen;
  for (const unsigned l : parsed.layout->lcores) {
    if (l >= max_lcore) {
      return quoted + ": lcore id " + std::to_string(l) + " is not below " + std::to_string(max_lcore) +
             " (RTE_MAX_LCORE); number lcores from 0 and map them onto CPUs with @, e.g. \"0@0,1@1\"";
    }
    if (!seen.insert(l).second) {
      return quoted + ": lcore " + std::to_string(l) + " is listed twice; list each lcore once";
    }
  }
  if (!allowed.empty()) {
    std::vector<unsigned> missing;
    for (const unsigned cpu : parsed.layout->cpus) {
      if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
        missing.push_back(cpu);
      }
    }
    if (!missing.empty()) {
      return quoted + " runs on CPU " + list_text(missing) + ", but this process may only use CPU " +
             list_text(allowed) + ": use those, or map lcores onto them with @ (e.g. \"0@0,1@1,2@1\" runs two "
             "workers on CPU 1)";
    }
  }
  return std::nullopt;
}

std::optional<std::uint16_t> known_max_mtu(std::string_view vdev) {
  const std::string_view driver = vdev_driver(vdev);
  if (driver == "net_tap") {
    return 1504;
  }
  if (driver == "net_af_packet" && vdev_arg(vdev, "framesz").empty()) {
    return 1500;
  }
  if (driver == "net_memif" && vdev_arg(vdev, "bsize").empty()) {
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
  return "port.mtu " + std::to_string(cfg.port.mtu) + " is above what " + std::string(vdev_driver(*vdev)) +
         " takes (" + std::to_string(*limit) + " with the arguments \"" + *vdev +
         "\"): lower port.mtu to " + std::to_string(*limit) + " or less (drivers-notes/" +
         std::string(vdev_driver(*vdev)) + ".md)";
}

std::optional<std::string> check_tap_names(const config::eal_config& eal,
                                           const std::function<bool(const std::string&)>& exists) {
  for (const std::string& vdev : eal.vdevs) {
    const std::string_view driver = vdev_driver(vdev);
    if (driver != "net_tap" && driver != "net_tun") {
      continue;
    }
    const std::string iface = vdev_arg(vdev, "iface");
    if (!iface.empty() && exists(iface)) {
      return "eal.vdevs \"" + vdev + "\": an interface named " + iface + " exists already (another rampart with "
             "this config, or one left behind): stop that process or remove the interface (ip link delete " + iface +
             "), or choose another iface=";
    }
  }
  return std::nullopt;
}

std::vector<unsigned> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<unsigned> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    return cpus;
  }
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) {
      cpus.push_back(cpu);
    }
  }
  return cpus;
}

bool interface_exists(const std::string& name) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path("/sys/class/net") / name, ec);
}

}  // namespace rampart::engine
