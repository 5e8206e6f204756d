#!/usr/bin/env bash
# rampart in two minutes: builds the engine, starts it on config/default.yaml (a DPDK TAP port,
# no NIC, no hugepages) plus a `proxy` listener, gives its kernel-side interface a network
# namespace of its own ("rampart-demo", 10.77.0.1/24) and talks to it from there with Linux's
# own tools, then relays curl through the proxy to a small web server in that namespace.
#
#   sudo scripts/demo.sh
#
# Everything it creates (the engine, the namespace and with it the tap) is removed when it ends,
# also on failure or Ctrl-C.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"

build_dir=${RAMPART_BUILD_DIR:-build}
binary=${build_dir}/apps/rampart/rampart
netns=rampart-demo
tap=rampart0            # eal.vdevs in config/default.yaml: net_tap0,iface=rampart0
prefix=rampart          # eal.file_prefix in config/default.yaml
engine_ip=10.77.0.2
peer_ip=10.77.0.1
proxy_port=8080         # the demo's proxy listener, relaying to the backend below
backend_port=8000       # python3 -m http.server in the namespace, at ${peer_ip}
python=/usr/bin/python3

if [[ -t 1 ]]; then
  bold=$'\e[1m' green=$'\e[32m' red=$'\e[31m' reset=$'\e[0m'
else
  bold='' green='' red='' reset=''
fi
step() { printf '\n%s==> %s%s\n' "${bold}" "$*" "${reset}"; }
ok() { printf '%s    ok:%s %s\n' "${green}" "${reset}" "$*"; }
die() {
  printf '%sdemo: %s%s\n' "${red}" "$*" "${reset}" >&2
  exit 1
}
in_ns() { ip netns exec "${netns}" "$@"; }

[[ ${EUID} -eq 0 ]] || die "run me as root: sudo $0"
[[ -c /dev/net/tun ]] || die "/dev/net/tun is missing: the TAP port needs the tun module (modprobe tun)"

workdir=$(mktemp -d /tmp/rampart-demo.XXXXXX)
log=${workdir}/rampart.log
config=${workdir}/rampart.yaml  # config/default.yaml plus the proxy listener
engine_pid=
backend_pid=
ns_created=0

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n ${engine_pid} ]] && kill -0 "${engine_pid}" 2>/dev/null; then
    kill -INT "${engine_pid}" 2>/dev/null || true  # at once: no drain (docs/operations.md)
    for _ in $(seq 50); do
      kill -0 "${engine_pid}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${engine_pid}" 2>/dev/null || true
  fi
  if [[ -n ${backend_pid} ]]; then
    kill "${backend_pid}" 2>/dev/null || true
  fi
  if [[ ${ns_created} -eq 1 ]]; then
    # Nothing started in the namespace outlives the demo (a leftover would also hold whatever
    # file descriptors it inherited, such as a caller's lock).
    ip netns pids "${netns}" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns delete "${netns}" 2>/dev/null || true
  fi
  if [[ ${status} -ne 0 && -s ${log} ]]; then
    echo "--- last lines of the engine's output (${log}) ---" >&2
    tail -n 30 "${log}" >&2
  fi
  rm -rf "${workdir}"
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# telemetry PREFIX COMMAND [KEY | --nonzero]: the JSON reply (or one key of it, or its non-zero
# counters), read with the e2e harness's client; fails while the command is not registered yet.
telemetry() {
  "${python}" - "$@" <<'EOF'
import json, sys
sys.path.insert(0, "test/e2e")
from rampart_harness import telemetry_query, telemetry_socket_path
prefix, command = sys.argv[1], sys.argv[2]
reply = telemetry_query(telemetry_socket_path(prefix), command)
if reply is None:
    sys.exit(f"{command}: no answer yet")
key = sys.argv[3] if len(sys.argv) > 3 else None
if key == "--nonzero":
    # Counters that moved, one per line; the full reply is in the telemetry itself.
    drops = reply.pop("drops", {})
    for name, value in list(reply.items()) + [("drop." + k, v) for k, v in drops.items()]:
        if value:
            print(f"{name:<32} {value}")
elif key:
    print(reply[key])
else:
    print(json.dumps(reply, indent=2))
EOF
}

step "Installing what is missing (scripts/install-deps.sh)"
"${repo}/scripts/install-deps.sh"

step "Building rampart (${build_dir}/)"
if [[ ! -f ${build_dir}/build.ninja ]]; then
  meson setup "${build_dir}" --buildtype=debugoptimized
fi
ninja -C "${build_dir}" apps/rampart/rampart
ok "${binary}"

if [[ -e /sys/class/net/${tap} ]] || ip netns list | grep -qw "${netns}"; then
  die "${tap} or the namespace ${netns} already exists: is another rampart (or demo) running? Stop it first."
fi

"${python}" - config/default.yaml "${config}" "${proxy_port}" "${peer_ip}:${backend_port}" <<'PY'
import sys, yaml
source, target, port, backend = sys.argv[1:]
with open(source) as f:
    config = yaml.safe_load(f)
config["listeners"].append({"port": int(port), "app": "proxy", "args": {"backends": backend}})
with open(target, "w") as f:
    yaml.safe_dump(config, f, sort_keys=False)
PY

step "Starting the engine: ${binary} --config ${config} (config/default.yaml plus a proxy listener on ${proxy_port})"
"${binary}" --config "${config}" >"${log}" 2>&1 </dev/null &
engine_pid=$!
for _ in $(seq 300); do
  [[ -e /sys/class/net/${tap} ]] && break
  kill -0 "${engine_pid}" 2>/dev/null || die "the engine exited during start-up"
  sleep 0.1
done
[[ -e /sys/class/net/${tap} ]] || die "no ${tap} interface after 30 s"
# net_tap attaches its queues to the interface by name when the port starts; moving the interface
# before that would leave the engine with a second, unconnected one. The engine answers
# /rampart/port on telemetry only once its port has started.
for _ in $(seq 300); do
  telemetry "${prefix}" /rampart/port >/dev/null 2>&1 && break
  kill -0 "${engine_pid}" 2>/dev/null || die "the engine exited during start-up"
  sleep 0.1
done
telemetry "${prefix}" /rampart/port >/dev/null || die "the engine's port did not start within 30 s"
engine_mac=$(telemetry "${prefix}" /rampart/port mac)
ok "engine running (pid ${engine_pid}); DPDK created the TAP interface ${tap}; port MAC ${engine_mac}"

step "Giving ${tap} a namespace of its own: ${netns}, ${peer_ip}/24"
ip netns add "${netns}"
ns_created=1
# No IPv6 in the namespace: router solicitations would only show up as drops in the counters.
in_ns sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set dev "${tap}" netns "${netns}"
in_ns ip link set lo up
in_ns ip address add "${peer_ip}/24" dev "${tap}"
in_ns ip link set dev "${tap}" up
ok "$(in_ns ip -brief address show dev "${tap}")"

step "ping -c 3 ${engine_ip}  (ARP, then ICMP echo, answered by rampart's worker lcore)"
ping_ok=0
for _ in $(seq 10); do
  # The engine may still be bringing its port up: the first ARP request can go unanswered.
  if in_ns ping -c 1 -W 1 "${engine_ip}" >/dev/null 2>&1; then
    ping_ok=1
    break
  fi
done
[[ ${ping_ok} -eq 1 ]] || die "${engine_ip} does not answer ping"
in_ns ping -c 3 -i 0.3 -w 10 "${engine_ip}"

step "ip neigh: the namespace learned rampart's MAC (${engine_mac}) through ARP"
in_ns ip neigh show dev "${tap}"
in_ns ip neigh show dev "${tap}" | grep -qi "lladdr ${engine_mac}" || die "the neighbour entry does not hold ${engine_mac}"

step "TCP: handshakes completed through the SYN backlog (mode auto; cookies past its threshold)"
for port in 80 7 9; do
  in_ns nc -z -w 3 "${engine_ip}" "${port}" || die "no TCP handshake on port ${port}"
  ok "nc -z ${engine_ip} ${port}: connected"
done
if in_ns nc -z -w 3 "${engine_ip}" 81; then
  die "port 81 has no listener, yet the handshake succeeded"
fi
ok "nc -z ${engine_ip} 81: refused (RST, RFC 9293 §3.10.7.1): nobody listens there"

step "Streams: the http app answers curl, the echo app sends back what it gets"
in_ns curl -sS -i -m 5 "http://${engine_ip}/" | sed 's/^/    /' || die "curl got no HTTP response"
echoed=$(printf 'hello, rampart\n' | in_ns nc -N -w 3 "${engine_ip}" 7) || die "no echo on port 7"
[[ ${echoed} == "hello, rampart" ]] || die "echo sent back '${echoed}'"
ok "nc ${engine_ip} 7: \"hello, rampart\" came back"

step "proxy: curl to ${engine_ip}:${proxy_port} is relayed to ${peer_ip}:${backend_port} (docs/proxy.md)"
mkdir -p "${workdir}/www"
echo "hello from the backend" >"${workdir}/www/index.html"
# Started by ip itself (no shell function in between), so $! is the server's own pid.
ip netns exec "${netns}" "${python}" -m http.server "${backend_port}" --bind "${peer_ip}" \
  --directory "${workdir}/www" >"${workdir}/backend.log" 2>&1 &
backend_pid=$!
for _ in $(seq 50); do
  in_ns ss -Htln "sport = :${backend_port}" | grep -q . && break
  sleep 0.1
done
body=$(in_ns curl -sS -m 5 "http://${engine_ip}:${proxy_port}/") || die "curl through the proxy failed"
[[ ${body} == "hello from the backend" ]] || die "curl through the proxy got '${body}'"
ok "curl http://${engine_ip}:${proxy_port}/: \"${body}\" (rampart completed the handshake, then connected to the backend)"
echo "    the backend's log: the connection came from rampart (with proxy_protocol: v1 it learns the client's address)"
sed 's/^/    /' "${workdir}/backend.log"
echo "    /rampart/backends:"
telemetry "${prefix}" /rampart/backends | sed 's/^/    /'

step "Telemetry: /rampart/port, and the counters of /rampart/stats that are not zero"
echo "    (every counter: echo /rampart/stats | dpdk-telemetry.py -f ${prefix}; meanings: docs/stats.md)"
telemetry "${prefix}" /rampart/port | sed 's/^/    /'
telemetry "${prefix}" /rampart/stats --nonzero | sed 's/^/    /'
echo "    (any drop.eth_not_for_us: IPv6 multicast the kernel sent while ${tap} was still outside ${netns})"

step "Stopping the engine with SIGTERM; its final counters:"
lines_before=$(wc -l <"${log}")
kill -TERM "${engine_pid}"
status=0
wait "${engine_pid}" || status=$?
engine_pid=
tail -n "+$((lines_before + 1))" "${log}" | sed 's/^/    /'
[[ ${status} -eq 0 ]] || die "the engine exited with status ${status}"
ok "engine exited with status 0"

printf '\n%sDone.%s Next: sudo scripts/test.sh runs every test; docs/stats.md explains each counter.\n' \
  "${bold}" "${reset}"
