#pragma once
// eal.extra_args against the options rte_eal_init of DPDK 22.11 takes, so a file EAL would
// refuse (with its usage text and an exit) is refused here first, naming the element and the fix.
#include <optional>
#include <string>
#include <vector>

#include "declaration.hh"

namespace rampart::config {

// The first element that is not an EAL option or its value, an option without the value it
// needs or with one it takes none of, or an option rampart refuses there: one a key of the eal
// section sets (set the key), --socket-mem (rampart always passes -m), --help.
std::optional<list_problem> extra_args_problem(const std::vector<std::string>& args);

// The first option EAL refuses beside --no-huge (eal.no_huge: true): --huge-unlink,
// --huge-worker-stack, --match-allocations. `args` passed extra_args_problem.
std::optional<list_problem> no_huge_problem(const std::vector<std::string>& args);

}  // namespace rampart::config
