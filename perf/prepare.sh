# Sourced by the perf scripts that run systems on a link (compare.sh, proxy_compare.sh): checks
# for root, installs what is missing and builds the given targets in build/.
#   source perf/prepare.sh NAME TARGET...     (NAME prefixes the error message)
# Sets `repo` to the repository's root.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ ${EUID} -ne 0 ]]; then
  echo "$1: must run as root (namespaces, veths, DPDK): sudo $0" >&2
  exit 1
fi
"${repo}/scripts/install-deps.sh" >/dev/null
if [[ ! -f ${repo}/build/build.ninja ]]; then
  meson setup "${repo}/build" "${repo}" --buildtype=debugoptimized >/dev/null
fi
ninja -C "${repo}/build" -j2 "${@:2}" >/dev/null
