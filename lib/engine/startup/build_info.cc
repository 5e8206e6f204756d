#include "engine/build_info.hh"

#include <rte_version.h>

#include "build_commit.hh"

namespace rampart::engine {

build_info this_build() { return {RAMPART_VERSION, RAMPART_COMMIT, rte_version()}; }

std::string describe(const build_info& build) {
  return "rampart " + build.version + " (commit " + build.commit + ") " + build.dpdk;
}

}  // namespace rampart::engine
