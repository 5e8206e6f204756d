#include "engine/eal_args.hh"

namespace rampart::engine {

std::vector<std::string> build_eal_args(const config::eal_config& eal, std::string_view program_name) {
  std::vector<std::string> args;
  args.emplace_back(program_name);
  args.emplace_back("--lcores");
  args.push_back(eal.lcores);
  args.emplace_back("-m");
  args.push_back(std::to_string(eal.memory_mb));
  if (eal.no_huge) {
    args.emplace_back("--no-huge");
  }
  if (eal.no_pci) {
    args.emplace_back("--no-pci");
  }
  for (const std::string& vdev : eal.vdevs) {
    args.emplace_back("--vdev");
    args.push_back(vdev);
  }
  for (const std::string& pci : eal.pci_allow) {
    args.emplace_back("-a");
    args.push_back(pci);
  }
  if (!eal.file_prefix.empty()) {
    args.emplace_back("--file-prefix");
    args.push_back(eal.file_prefix);
  }
  if (eal.in_memory) {
    args.emplace_back("--in-memory");
  }
  if (!eal.log_level.empty()) {
    args.emplace_back("--log-level");
    args.push_back(eal.log_level);
  }
  for (const std::string& extra : eal.extra_args) {
    args.push_back(extra);
  }
  return args;
}

std::optional<std::string> eal_config_conflict(const config::eal_config& eal) {
  if (eal.in_memory && eal.no_huge) {
    return std::string("eal.in_memory: true needs hugepages (EAL refuses --in-memory with --no-huge): set "
                       "eal.in_memory: false, or eal.no_huge: false with hugepages reserved");
  }
  return std::nullopt;
}

std::string join_args(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) {
    if (!out.empty()) {
      out += ' ';
    }
    if (a.find_first_of(" \t'\"") != std::string::npos) {
      out += '\'';
      out += a;
      out += '\'';
    } else {
      out += a;
    }
  }
  return out;
}

}  // namespace rampart::engine
