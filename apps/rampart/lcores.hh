#pragma once
// eal.lcores read with EAL's own grammar, so a mistake ends in one line naming the fix instead of
// EAL's usage text, or in a start with no worker.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::command {

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

// nullopt when eal.lcores parses, gives at least one worker (two lcores: the first is the
// control lcore), lists each lcore once, stays below max_lcore (RTE_MAX_LCORE) and uses only
// CPUs in allowed_cpus (empty: unknown, not checked); else the one-line message.
std::optional<std::string> check_lcores(std::string_view lcores, std::span<const unsigned> allowed_cpus,
                                        unsigned max_lcore);

// The CPUs this process may run on (sched_getaffinity); empty if that fails.
std::vector<unsigned> allowed_cpus();

}  // namespace rampart::command
