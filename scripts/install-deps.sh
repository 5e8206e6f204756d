#!/usr/bin/env bash
# Installs everything rampart needs to build, test and demo on a fresh Debian 12, as root.
# Idempotent and quick when nothing is missing: dpkg-query decides, and apt-get update runs
# only when something has to be installed.
set -euo pipefail

# Build: compilers, meson, DPDK 22.11, libraries. libclang-rt-14-dev carries clang 14's
# libFuzzer and ASan/UBSan runtimes (scripts/test.sh's sanitizer build, the fuzzers).
build_packages=(
  meson ninja-build pkg-config g++ clang libclang-rt-14-dev
  dpdk dpdk-dev libdpdk-dev
  libboost-dev libyaml-cpp-dev catch2 libbenchmark-dev
)
# Test peers and tools: the end-to-end tests drive the engine from a network namespace with
# Linux's own stack (ping, curl, wrk, hping3) and with scapy for crafted frames; the metrics
# test parses the engine's /metrics with prometheus_client's parser.
test_packages=(
  iproute2 iputils-ping hping3 wrk curl netcat-openbsd tcpdump procps ethtool
  nginx  # test_proxy.py: the backends behind the proxy app (PROXY protocol, stub_status)
  nftables  # test_lost_ack.py: drops one handshake ACK inside the test's namespace
  python3 python3-scapy python3-yaml
  python3-prometheus-client  # an independent parser of the /metrics exposition text
  systemd  # systemd-analyze verify checks the installed units (test_service.py)
  ethtool python3-matplotlib    # perf/compare.sh: veth offloads, the PNG plots
  valgrind  # callgrind: the instruction counts of docs/performance.md
  haproxy  # perf/proxy_compare.sh: the proxy rampart's is compared with (nginx, above, is the backend)
  libbpf-dev linux-libc-dev bpftool  # perf/compare.sh's XDP SYN-cookie system: build (clang -target bpf), run-time stats
)

if [[ ${EUID} -ne 0 ]]; then
  echo "install-deps: must run as root (try: sudo $0)" >&2
  exit 1
fi
if [[ ! -r /etc/debian_version ]]; then
  echo "install-deps: this script targets Debian 12 (bookworm); install the equivalents of:" >&2
  echo "  ${build_packages[*]} ${test_packages[*]}" >&2
  exit 1
fi

missing=()
for package in "${build_packages[@]}" "${test_packages[@]}"; do
  # "install ok installed" is the only status that means usable; half-configured etc. reinstall.
  status=$(dpkg-query -W -f='${Status}' "${package}" 2>/dev/null || true)
  if [[ ${status} != "install ok installed" ]]; then
    missing+=("${package}")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#build_packages[@]} build and ${#test_packages[@]} test packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
echo "install-deps: done"
