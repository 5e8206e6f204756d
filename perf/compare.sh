#!/usr/bin/env bash
# One command: the same generator (rampart-load) and the same traffic against rampart and the
# kernel's TCP stack (and dpdk-testpmd as the link's ceiling) on a veth pair, flood stepped
# from none to the generator's maximum. A few minutes; cleans up (namespaces, processes, DPDK
# runtime dirs) also on failure or Ctrl-C. Results: perf/runs/compare-<time>.{json,md,png}.
# Frames the link refuses are dropped and counted (rampart-load --drop-on-full) unless
# --retry-refused; at max each system is classified saturated or generator-limited, and ratios
# are printed only between two saturated systems or at one offered rate (perf/comparison.py).
#   sudo perf/compare.sh [--rates 0,20000,max] [--step-seconds 4] [--only rampart-af_packet,...]
set -euo pipefail
source "$(dirname "$0")/prepare.sh" compare apps/rampart/rampart perf/load/rampart-load

# rampart-memif-zc needs 512 free 2 MiB hugepages: reserve what is missing for the run and put
# the reservation back afterwards, also on failure. Without them that system is skipped.
nr_hugepages=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [[ -w ${nr_hugepages} ]]; then
  reserved_before=$(cat "${nr_hugepages}")
  free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  if ((free < 512)); then
    trap '"${repo}/scripts/setup-hugepages.sh" "${reserved_before}" >/dev/null' EXIT
    "${repo}/scripts/setup-hugepages.sh" $((reserved_before + 512 - free)) >/dev/null ||
      echo "compare: could not reserve 512 hugepages: rampart-memif-zc will be skipped" >&2
  fi
fi
/usr/bin/python3 "${repo}/perf/compare.py" --build "${repo}/build" "$@"
