#pragma once
// What this binary is: rampart's version, the commit it was built from and the DPDK it runs on.
// `rampart --version` prints describe(this_build()); /metrics exports the same as
// rampart_build_info.
#include <string>

namespace rampart::engine {

struct build_info {
  std::string version;  // meson.build's project version
  std::string commit;   // `git describe --always --dirty` when built; "unknown" outside a checkout
  std::string dpdk;     // rte_version(): "DPDK 22.11.4"
};

build_info this_build();

// "rampart 0.1.0 (commit 994d2f1-dirty) DPDK 22.11.4"
std::string describe(const build_info& build);

}  // namespace rampart::engine
