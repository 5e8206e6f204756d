#!/usr/bin/env bash
# rampart's proxy app against HAProxy in TCP mode: the same nginx backend and the same wrk on one
# veth pair, each proxy on one core, keep-alive requests and new connections per second, and the
# requests each relays per CPU-second it used (perf/proxy_compare.py says how). About a minute;
# cleans up (namespaces, processes, DPDK runtime dirs) also on failure or Ctrl-C.
# Results: perf/runs/proxy-compare-<time>.{json,md}.
#   sudo perf/proxy_compare.sh [--seconds 10] [--connections 64]
set -euo pipefail
source "$(dirname "$0")/prepare.sh" proxy-compare apps/rampart/rampart
/usr/bin/python3 "${repo}/perf/proxy_compare.py" --build "${repo}/build" "$@"
