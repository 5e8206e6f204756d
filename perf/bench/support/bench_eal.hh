#pragma once
// EAL for the benchmarks that compare against a DPDK library (rte_hash, rte_timer): one core, no
// hugepages, no devices, no runtime files. Not --in-memory: DPDK 22.11 turns --no-huge into legacy
// memory mode, which refuses it (and --no-shconf already keeps EAL from writing runtime files).
#include <rte_eal.h>
#include <rte_errno.h>

#include <cstdio>
#include <string>
#include <vector>

namespace rampart::bench {

// Starts EAL with memory_mb MB of ordinary memory for DPDK's heap. Returns false, after printing
// the reason, when EAL refuses to start.
inline bool start_eal(const char* program, unsigned memory_mb) {
  // EAL may keep pointers into argv, so the strings live as long as the process.
  static std::vector<std::string> args;
  static std::vector<char*> argv;
  args = {program, "--no-huge", "-m", std::to_string(memory_mb), "--no-pci", "--no-shconf",
          "-l", "0", "--log-level=lib.eal:4"};
  argv.clear();
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "%s: rte_eal_init: %s\n", program, rte_strerror(rte_errno));
    return false;
  }
  return true;
}

}  // namespace rampart::bench
