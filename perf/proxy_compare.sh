#!/usr/bin/env bash
# rampart's proxy app against HAProxy in TCP mode: the same nginx backend and the same wrk on one
# veth pair, each proxy on one core, keep-alive requests and new connections per second, and the
# requests each relays per CPU-second it used (perf/proxy_compare.py says how). About a minute;
# cleans up (namespaces, processes, DPDK runtime dirs) also on failure or Ctrl-C.
# Results: perf/results/proxy-compare-<time>.{json,md}.
#   sudo perf/proxy_compare.sh [--seconds 10] [--connections 64]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ ${EUID} -ne 0 ]]; then
  echo "proxy-compare: must run as root (namespaces, veths, DPDK): sudo $0" >&2
  exit 1
fi
"${repo}/scripts/install-deps.sh" >/dev/null
if [[ ! -f ${repo}/build/build.ninja ]]; then
  meson setup "${repo}/build" "${repo}" --buildtype=debugoptimized >/dev/null
fi
ninja -C "${repo}/build" -j2 apps/rampart/rampart >/dev/null
/usr/bin/python3 "${repo}/perf/proxy_compare.py" --build "${repo}/build" "$@"
