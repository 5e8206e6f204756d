#include "eal_options.hh"

#include <string_view>

#include "reader.hh"

namespace rampart::config {
namespace {

// getopt's has_arg: no_argument, required_argument (the next element, or "--name=value" / "-mVALUE"),
// optional_argument (only as "--name=value").
enum class argument { none, required, optional };

struct eal_option {
  std::string_view long_name;   // without "--"; empty: short only
  char short_name;              // 0: long only
  argument takes;
  std::string_view refusal;     // why extra_args may not hold it, and the fix; empty: allowed
  bool refused_without_hugepages = false;  // EAL refuses it beside --no-huge
};

// DPDK 22.11's EAL options: eal_short_options and eal_long_options in
// lib/eal/common/eal_common_options.c, named in lib/eal/common/eal_options.h; the same list as the
// usage text a failed rte_eal_init (or `dpdk-testpmd --help`) prints.
constexpr eal_option eal_options[] = {
    {"allow", 'a', argument::required, "allows a PCI device, which eal.pci_allow does; list it there"},
    {"block", 'b', argument::required, ""},
    {"", 'c', argument::required, "sets the lcores, which eal.lcores does; set that key instead"},
    {"", 'd', argument::required, ""},
    {"help", 'h', argument::none, "makes EAL print its usage and exit; remove it"},
    {"", 'l', argument::required, "sets the lcores, which eal.lcores does; set that key instead"},
    {"", 'm', argument::required, "sets the memory, which eal.memory_mb does; set that key instead"},
    {"", 'n', argument::required, ""},
    {"", 'r', argument::required, ""},
    {"", 's', argument::required, ""},
    {"", 'S', argument::required, ""},
    {"", 'v', argument::none, ""},
    {"base-virtaddr", 0, argument::required, ""},
    {"create-uio-dev", 0, argument::none, ""},
    {"file-prefix", 0, argument::required, "is eal.file_prefix; set that key instead"},
    {"force-max-simd-bitwidth", 0, argument::required, ""},
    {"huge-dir", 0, argument::required, ""},
    {"huge-unlink", 0, argument::optional, "", true},
    {"huge-worker-stack", 0, argument::optional, "", true},
    {"in-memory", 0, argument::none, "is eal.in_memory: true; set that key instead"},
    {"iova-mode", 0, argument::required, ""},
    {"lcores", 0, argument::required, "sets the lcores, which eal.lcores does; set that key instead"},
    {"legacy-mem", 0, argument::none, ""},
    {"log-level", 0, argument::required, "is eal.log_level; set that key instead"},
    {"main-lcore", 0, argument::required, ""},
    {"match-allocations", 0, argument::none, "", true},
    {"mbuf-pool-ops-name", 0, argument::required, ""},
    {"no-hpet", 0, argument::none, ""},
    {"no-huge", 0, argument::none, "is eal.no_huge: true; set that key instead"},
    {"no-pci", 0, argument::none, "is eal.no_pci: true; set that key instead"},
    {"no-shconf", 0, argument::none, ""},
    {"no-telemetry", 0, argument::none, ""},
    {"proc-type", 0, argument::required, ""},
    {"single-file-segments", 0, argument::none, ""},
    {"socket-limit", 0, argument::required, ""},
    {"socket-mem", 0, argument::required,
     "cannot go beside -m, which rampart passes from eal.memory_mb (EAL takes one of the two); size the memory "
     "with eal.memory_mb"},
    {"syslog", 0, argument::required, ""},
    {"telemetry", 0, argument::none, ""},
    {"trace", 0, argument::required, ""},
    {"trace-bufsz", 0, argument::required, ""},
    {"trace-dir", 0, argument::required, ""},
    {"trace-mode", 0, argument::required, ""},
    {"vdev", 0, argument::required, "adds a device, which eal.vdevs does; list it there"},
    {"vfio-intr", 0, argument::required, ""},
    {"vfio-vf-token", 0, argument::required, ""},
    {"vmware-tsc-map", 0, argument::none, ""},
};

const eal_option* find_long(std::string_view name) {
  for (const eal_option& option : eal_options) {
    if (!option.long_name.empty() && option.long_name == name) {
      return &option;
    }
  }
  return nullptr;
}

const eal_option* find_short(char name) {
  for (const eal_option& option : eal_options) {
    if (option.short_name == name) {
      return &option;
    }
  }
  return nullptr;
}

// " (did you mean "--no-huge"?)" for a unique prefix (getopt_long would take it; rampart wants
// options whole) or a near miss.
std::string suggestion(std::string_view name) {
  std::vector<std::string_view> names;
  std::string_view prefixed;
  int prefix_matches = 0;
  for (const eal_option& option : eal_options) {
    if (!option.long_name.empty()) {
      names.push_back(option.long_name);
      if (option.long_name.starts_with(name)) {
        prefixed = option.long_name;
        ++prefix_matches;
      }
    }
  }
  const std::string_view best = prefix_matches == 1 ? prefixed : closest_name(name, names);
  return best.empty() ? std::string() : " (did you mean " + in_quotes("--" + std::string(best)) + "?)";
}

// Walks the options of `args` as EAL's getopt_long reads them. Calls on_option(index, option)
// for each; returns the first structural problem, or the first on_option returns.
template <typename OnOption>
std::optional<list_problem> scan(const std::vector<std::string>& args, OnOption on_option) {
  const auto problem = [&](std::size_t i, const std::string& message) {
    return std::optional<list_problem>(list_problem{i, in_quotes(args[i]) + " " + message});
  };
  const auto needs_value = [&](std::size_t i) {
    return problem(i, "needs a value: give it as the next element, or write it as --name=value");
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg.size() > 2 && arg.starts_with("--")) {
      const std::size_t equals = arg.find('=');
      const std::string_view name = arg.substr(2, equals == std::string_view::npos ? equals : equals - 2);
      const eal_option* option = find_long(name);
      if (option == nullptr) {
        return problem(i, "is not an EAL option of DPDK 22.11" + suggestion(name) + "; remove it or fix its name");
      }
      if (option->takes == argument::none && equals != std::string_view::npos) {
        return problem(i, "takes no value; write --" + std::string(name) + " alone");
      }
      if (auto refused = on_option(i, *option)) {
        return refused;
      }
      if (option->takes == argument::required && equals == std::string_view::npos) {
        if (i + 1 == args.size()) {
          return needs_value(i);
        }
        ++i;  // the value
      }
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') {
      return problem(i, "is not an EAL option (options start with '-'; a value goes right after its option)");
    }
    // One or more short options: "-v", "-vh", "-m512", "-m 512".
    for (std::size_t j = 1; j < arg.size(); ++j) {
      const eal_option* option = find_short(arg[j]);
      if (option == nullptr) {
        return problem(i, "is not an EAL option of DPDK 22.11 (-" + std::string(1, arg[j]) + " is unknown); remove it");
      }
      if (auto refused = on_option(i, *option)) {
        return refused;
      }
      if (option->takes == argument::required) {
        if (j + 1 == arg.size()) {
          if (i + 1 == args.size()) {
            return needs_value(i);
          }
          ++i;  // the value
        }
        break;  // the rest of the element is the value
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<list_problem> extra_args_problem(const std::vector<std::string>& args) {
  return scan(args, [&](std::size_t i, const eal_option& option) -> std::optional<list_problem> {
    if (option.refusal.empty()) {
      return std::nullopt;
    }
    return list_problem{i, in_quotes(args[i]) + " " + std::string(option.refusal)};
  });
}

std::optional<list_problem> no_huge_problem(const std::vector<std::string>& args) {
  return scan(args, [&](std::size_t i, const eal_option& option) -> std::optional<list_problem> {
    if (!option.refused_without_hugepages) {
      return std::nullopt;
    }
    return list_problem{i, in_quotes(args[i]) + " conflicts with eal.no_huge: true (EAL refuses it with --no-huge); "
                                                "remove it or set no_huge: false"};
  });
}

}  // namespace rampart::config
