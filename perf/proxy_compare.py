#!/usr/bin/python3
"""rampart's proxy app against HAProxy in TCP mode, on the same bed in the same run: the same
nginx backend, the same wrk, each proxy given one core. Run through perf/proxy_compare.sh.

    load namespace (CPU 0)                      target namespace (CPU 1)
      wrk         10.78.0.1  ─┐                 ┌─ rampart 10.78.0.2 (net_af_packet, proxy app)
      nginx       10.78.0.3  ─┴── veth pair ────┴─    or HAProxy 10.78.0.2 (kernel TCP, mode tcp)

Both proxies listen on 10.78.0.2:8000 and relay to nginx on 10.78.0.3:8080, reached through
the same veth (rampart resolves it by ARP). Two workloads per proxy, each pushed to what the
bed gives (wrk is a closed loop: it sends as fast as answers come back):

  keepalive    wrk, N connections opened once, HTTP/1.1 requests back to back on each: the
               relay's cost per request (nginx keeps each backend connection open as well)
  connections  the same with "Connection: close": nginx closes after each response, so every
               request is a new client connection and a new backend connection

The proxies' cost is the CPU time each used for the requests it relayed: HAProxy's process
time (user + system, /proc/<pid>/stat); rampart's worker lcore's whole busy time
(worker_cycles in /rampart/cost: every turn that received or sent, the AF_PACKET system calls,
the engine, timers and TX flush; empty polls left out). Requests per proxy CPU-second compare the two whatever else shares the
machine. Results: perf/runs/proxy-compare-<time>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
import testbed  # noqa: E402
from compare import fmt  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PROXY_IP = testbed.TARGET_IP
CLIENT_IP = testbed.LOAD_IP
BACKEND_IP = "10.78.0.3"
PROXY_PORT = 8000
BACKEND_PORT = 8080
LOAD_CPU = "0"   # wrk and nginx
PROXY_CPU = "1"  # the proxy under test (rampart's worker lcore 1 is pinned there by EAL)
WORKLOADS = {"keepalive": [], "connections": ["-H", "Connection: close"]}
BODY = testbed.NGINX_BODY


HAPROXY_CONFIG = f"""global
  nbthread 1
  maxconn 8000  # the hard FD limit here is 20000; HAProxy needs about 2 per connection
defaults
  mode tcp
  timeout connect 3s
  timeout client 300s
  timeout server 300s
frontend proxy
  bind {PROXY_IP}:{PROXY_PORT} backlog 4096
  default_backend nginx
backend nginx
  server nginx {BACKEND_IP}:{BACKEND_PORT}
"""


def process_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process, every thread (proc(5) fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    hz = 100.0
    return int(fields[11]) / hz, int(fields[12]) / hz


def cpu_busy() -> dict[str, float]:
    """Busy seconds (all but idle and iowait) of each CPU since boot (/proc/stat)."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if re.fullmatch(r"cpu\d+", name):
            v = [int(x) / 100.0 for x in values[:8]]
            out[name] = sum(v) - v[3] - v[4]
    return out


def seconds_of(text: str) -> float:
    """A wrk duration (850.00us, 1.20ms, 2.00s) in seconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"not a wrk duration: {text}")
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(2)]


def parse_wrk(out: str) -> dict[str, Any]:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if not done:
        raise RuntimeError(f"wrk printed no request count:\n{out}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    requests = int(done.group(1))
    return {"requests": requests, "seconds": seconds_of(done.group(2) + done.group(3)),
            "socket_errors": dict(zip(("connect", "read", "write", "timeout"),
                                      map(int, errors.groups()))) if errors else {},
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "p50_ms": seconds_of(latency["50"]) * 1e3 if "50" in latency else None,
            "p99_ms": seconds_of(latency["99"]) * 1e3 if "99" in latency else None}


class ProxyBed(testbed.Bed):
    def start(self) -> None:
        super().start()
        for ns in (self.ns_target, self.ns_load):
            self.ns(ns, ["sysctl", "-qw", "net.core.somaxconn=4096"])
        for ip in (CLIENT_IP, BACKEND_IP):
            self.ns(self.ns_load, ["ip", "addr", "add", f"{ip}/24", "dev", self.veth_load])
        self.start_nginx(self.ns_load, BACKEND_IP, BACKEND_PORT, LOAD_CPU)

    def listening(self, ns: str, port: int) -> bool:
        return "LISTEN" in self.ns(ns, ["ss", "-Hltn", f"sport = :{port}"], check=False).stdout

    def start_haproxy(self) -> subprocess.Popen[bytes]:
        self.ns(self.ns_target, ["ip", "addr", "add", f"{PROXY_IP}/24", "dev", self.veth_target])
        config = self.workdir / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG)
        p = self.spawn(self.ns_target, ["taskset", "-c", PROXY_CPU, "haproxy", "-db", "-f", str(config)],
                       "haproxy.log")
        self.wait(lambda: self.listening(self.ns_target, PROXY_PORT), 20, "HAProxy to listen")
        return p

    def stop(self, p: subprocess.Popen[bytes]) -> None:
        testbed.harness.end_process(p, 15)
        self.processes.remove(p)
        # The next proxy answers for 10.78.0.2 with another MAC.
        self.ns(self.ns_load, ["ip", "neigh", "flush", "dev", self.veth_load])

    def check_relay(self) -> None:
        """One request through the proxy, before any figure: the body nginx sends."""
        got = self.ns(self.ns_load, ["curl", "-s", "-m", "5", f"http://{PROXY_IP}:{PROXY_PORT}/"], check=False)
        if got.stdout != BODY:
            raise RuntimeError(f"a request through the proxy got {got.stdout!r} (curl exit {got.returncode})")

    def wrk(self, workload: str, seconds: float, connections: int) -> dict[str, Any]:
        out = self.ns(self.ns_load, ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}",
                                     f"-d{seconds:g}s", "--latency", *WORKLOADS[workload],
                                     f"http://{PROXY_IP}:{PROXY_PORT}/"], timeout=seconds + 60)
        return parse_wrk(out.stdout)


class RampartCost:
    """The worker's whole busy seconds and its engine's part (/rampart/cost), and the process's
    user and system seconds (shown beside: the worker's system calls are in both)."""

    def __init__(self, bed: ProxyBed, pid: int):
        self.bed, self.pid = bed, pid

    def sample(self) -> dict[str, float]:
        cost = testbed.telemetry(self.bed.telemetry_path, "/rampart/cost")
        user, system = process_times(self.pid)
        return {"worker": cost["worker_cycles"] / cost["tsc_hz"], "engine": cost["busy_cycles"] / cost["tsc_hz"],
                "user": user, "system": system}

    @staticmethod
    def proxy_seconds(d: dict[str, float]) -> float:
        return d["worker"]


class ProcessCost:
    def __init__(self, pid: int):
        self.pid = pid

    def sample(self) -> dict[str, float]:
        user, system = process_times(self.pid)
        return {"user": user, "system": system}

    @staticmethod
    def proxy_seconds(d: dict[str, float]) -> float:
        return d["user"] + d["system"]


def measure(bed: ProxyBed, system: str, cost: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    bed.check_relay()
    records = []
    for workload in WORKLOADS:
        bed.wrk(workload, 2, args.connections)  # warm-up: connections, caches, nginx's workers
        before, cpus_before = cost.sample(), cpu_busy()
        run = bed.wrk(workload, args.seconds, args.connections)
        after, cpus_after = cost.sample(), cpu_busy()
        spent = {k: after[k] - before[k] for k in after}
        proxy_s = cost.proxy_seconds(spent)
        lost = sum(run["socket_errors"].values()) + run["non_2xx"]
        answered = run["requests"] - run["non_2xx"]
        record = {"system": system, "workload": workload, **run, "answered": answered, "lost": lost,
                  "attempted": answered + lost, "per_second": answered / run["seconds"],
                  "proxy_cpu": spent, "proxy_cpu_seconds": proxy_s,
                  "per_proxy_cpu_second": answered / proxy_s if proxy_s > 0 else None,
                  "cpu_busy_fraction": {c: (cpus_after[c] - cpus_before[c]) / run["seconds"] for c in cpus_after}}
        records.append(record)
        print(f"  {workload}: {record['per_second']:,.0f}/s, proxy CPU {proxy_s:.2f} s, "
              f"{record['per_proxy_cpu_second'] or 0:,.0f} per proxy CPU-s, lost {lost}", flush=True)
    return records


def table(records: list[dict[str, Any]]) -> str:
    rows = ["| workload | proxy | attempted | answered | lost | answered/s | p50 / p99 ms "
            "| proxy CPU s (of which system) | answered per proxy CPU-s | CPU 0 / CPU 1 busy |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(records, key=lambda r: (r["workload"], r["system"])):
        busy = r["cpu_busy_fraction"]
        rows.append(f"| {r['workload']} | {r['system']} | {r['attempted']:,} | {r['answered']:,} | {r['lost']:,} "
                    f"| {fmt(r['per_second'])} | {fmt(r['p50_ms'], 2)} / {fmt(r['p99_ms'], 2)} "
                    f"| {fmt(r['proxy_cpu_seconds'], 2)} ({fmt(r['proxy_cpu']['system'], 2)}) "
                    f"| {fmt(r['per_proxy_cpu_second'])} "
                    f"| {busy.get('cpu0', 0):.0%} / {busy.get('cpu1', 0):.0%} |")
    return "\n".join(rows)


def ratios(records: list[dict[str, Any]]) -> str:
    rows = ["| workload | rampart ÷ HAProxy, answered/s | rampart ÷ HAProxy, per proxy CPU-s |", "|---|---|---|"]
    by = {(r["system"], r["workload"]): r for r in records}
    for workload in WORKLOADS:
        r, h = by.get(("rampart", workload)), by.get(("haproxy", workload))
        if r and h and h["per_second"] and h["per_proxy_cpu_second"] and r["per_proxy_cpu_second"]:
            rows.append(f"| {workload} | {r['per_second'] / h['per_second']:.2f} "
                        f"| {r['per_proxy_cpu_second'] / h['per_proxy_cpu_second']:.2f} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=REPO / "build")
    parser.add_argument("--out", type=Path, default=REPO / "perf" / "runs")
    parser.add_argument("--seconds", type=float, default=10, help="per workload and proxy (default %(default)s)")
    parser.add_argument("--connections", type=int, default=64, help="wrk's connections (default %(default)s)")
    args = parser.parse_args()
    rampart = args.build / "apps" / "rampart" / "rampart"
    if not rampart.exists():
        print(f"proxy-compare: {rampart} is missing: build first (ninja -C {args.build})", file=sys.stderr)
        return 1
    started = datetime.now(timezone.utc)
    records: list[dict[str, Any]] = []
    with ProxyBed("pc") as bed:
        print("proxy-compare: rampart", flush=True)
        bed.start_rampart_proxy(rampart, PROXY_PORT, f"{BACKEND_IP}:{BACKEND_PORT}")
        rampart_process = bed.processes[-1]
        records += measure(bed, "rampart", RampartCost(bed, rampart_process.pid), args)
        bed.stop(rampart_process)
        print("proxy-compare: haproxy", flush=True)
        haproxy = bed.start_haproxy()
        records += measure(bed, "haproxy", ProcessCost(haproxy.pid), args)
        bed.stop(haproxy)

    stem, about = testbed.run_record(args.out, "proxy-compare", started)
    haproxy_version = testbed.run(["haproxy", "-v"]).stdout.splitlines()[0]
    result = {**about, "seconds": args.seconds, "connections": args.connections, "haproxy": haproxy_version,
              "runs": records}
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1))
    md = [f"# perf/proxy_compare.sh, {started.strftime('%Y-%m-%d %H:%M UTC')}", "",
          f"wrk -t1 -c{args.connections}, {args.seconds:g} s per workload and proxy, wrk and nginx on CPU "
          f"{LOAD_CPU}, the proxy on CPU {PROXY_CPU}; {haproxy_version}; commit {about['commit']}; "
          f"load average at the end {' '.join(about['load_average_at_end'])}.", "",
          table(records), "", ratios(records), ""]
    stem.with_suffix(".md").write_text("\n".join(md))
    print("\n".join(md))
    print(f"proxy-compare: wrote {stem}.json, .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
