#!/usr/bin/env bash
# One command: the end-to-end connection rate, the CSIT way (one GET per connection, eight
# frames, a new connection as each ends): rampart on one worker lcore over memif and over a
# veth (net_af_packet), and nginx on the kernel's TCP stack over the same veth, each driven by
# rampart-load's closed loop. About a minute; cleans up (namespaces, processes, DPDK runtime
# dirs) also on failure or Ctrl-C. Results: perf/runs/cps-<time>.{json,md}.
#   sudo perf/cps.sh [--seconds 10] [--concurrency 1024] [--only rampart-memif,linux-af_packet]
set -euo pipefail
source "$(dirname "$0")/prepare.sh" cps apps/rampart/rampart perf/load/rampart-load
/usr/bin/python3 "${repo}/perf/cps.py" --build "${repo}/build" "$@"
