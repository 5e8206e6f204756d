#pragma once
// EAL in the engine: from a successful rte_eal_init, with argv built from the config's eal
// section (eal_args.hh), to rte_eal_cleanup and the removal of the files EAL left in its runtime
// directory, whatever path leaves engine::run; and what start-up checks once EAL runs.
#include <string_view>
#include <vector>

#include "config/config.hh"

namespace rampart::engine {

class eal_session {
 public:
  // rte_eal_init; logs the lcores and the TSC rate. Throws startup_error (exit 1) naming the cause
  // (rte_errno) and a hint.
  eal_session(const config::eal_config& eal, std::string_view program_name);
  // rte_eal_cleanup, then the runtime directory's files (config, fbarray_*, mp_socket*, the
  // telemetry socket) and the directory itself once nothing else is left in it.
  ~eal_session();
  eal_session(const eal_session&) = delete;
  eal_session& operator=(const eal_session&) = delete;

 private:
  bool _in_memory = false;
};

// Every net_* vdev of eal.vdevs became a port. EAL carries on when a vdev fails to probe, so
// without this the failure would surface as "no DPDK port" or "device not found". Throws
// startup_error (exit 1) naming the vdev and where its driver said why.
void check_vdevs_came_up(const config::eal_config& eal);

// Every EAL lcore but the main one, in EAL's order. Throws startup_error (exit 2) when there is
// none, naming eal.lcores and the fix.
std::vector<unsigned> worker_lcores(const config::eal_config& eal);

}  // namespace rampart::engine
