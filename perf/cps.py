#!/usr/bin/python3
"""perf/cps.sh's driver: the end-to-end connection rate, measured the CSIT way: each connection
carries one HTTP GET, and the client opens a new one as soon as one ends (rampart-load's closed
loop, --legit-rate max). Eight frames per connection: SYN, SYN-ACK, ACK, GET, response, the
client's FIN, the server's FIN, the client's last ACK. The client closes first (its GET keeps the
connection alive, and it sends FIN once the response is in), so no server holds TIME-WAIT; the
"frames per connection" column checks the eight on the server's side of each row.

Rows, each on a fresh test bed (perf/load/testbed.py), the generator on CPU 0:
  rampart   memif       rampart, one worker lcore (CPU 1), the http app, syn_cookies.mode auto
  rampart   af_packet   the same on a veth pair (net_af_packet on both ends)
  linux     af_packet   nginx (one worker process, CPU 1, `return 200`) on the kernel's TCP stack,
                        on the veth's other end; the kernel cannot use memif

CPU per connection: rampart's is its worker lcore's worker_cycles (whole loop turns that received
or sent: driver, engine, timers, TX flush; docs/stats.md) ÷ connections completed. The kernel's is
nginx's CPU time (master and worker, user + system) plus the host's softirq time over the run,
÷ connections completed. The kernel's TCP receive path runs in softirq, but so does the veth's
delivery to the generator's AF_PACKET socket, and any other softirq work on the host: the
softirq time of every row is recorded (host_softirq_s), so the kernel row's can be read against
rampart's af_packet row, whose worker cycles leave the veth's softirq work out. Busy fraction:
the worker's cycles over the run's cycles (nginx's CPU time over the run's wall time); below 0.5
the generator is the limit, and the table says so.

Writes perf/runs/cps-<time>.{json,md} and prints the table.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
import testbed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ROWS = [("rampart", "memif"), ("rampart", "af_packet"), ("linux", "af_packet")]
SERVER_CPU = "1"  # rampart's worker lcore 1 is pinned there by EAL; nginx is put there
GENERATOR_LIMITED_BELOW = 0.5  # the server's busy fraction under which the generator is the limit


def host_softirq_seconds() -> float:
    """Host softirq CPU seconds since boot, all CPUs (/proc/stat, USER_HZ = 100)."""
    return int(Path("/proc/stat").read_text().splitlines()[0].split()[7]) / 100.0


def process_tree_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (nginx's master and worker),
    every thread (proc(5) fields 14 and 15)."""
    total = 0.0
    pids = [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / 100.0
    return total


def link_frames(bed: testbed.Bed) -> int:
    """Frames the target's veth end has received and sent (its kernel counters)."""
    stats = f"/sys/class/net/{bed.veth_target}/statistics"
    out = bed.ns(bed.ns_target, ["cat", f"{stats}/rx_packets", f"{stats}/tx_packets"]).stdout.split()
    return int(out[0]) + int(out[1])


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's ended children (rampart-load, once run_load
    has waited for it: `ip netns exec` becomes it)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_load(bed: testbed.Bed, args: argparse.Namespace, telemetry_on: bool) -> dict[str, Any]:
    """rampart-load's closed loop for args.seconds; adds the share of a CPU the generator got
    over the call ("generator_cpu_share"; it polls without pause, so below 1 means the machine's
    other work took CPU time from it), the call's wall time and the host's softirq seconds."""
    cpu_before = children_cpu_seconds()
    softirq_before = host_softirq_seconds()
    started = time.monotonic()
    run = bed.run_load(args.load, load_args(args), args.seconds, telemetry_on=telemetry_on)
    run["wall_s"] = time.monotonic() - started
    run["host_softirq_s"] = round(host_softirq_seconds() - softirq_before, 2)
    run["generator_cpu_share"] = (children_cpu_seconds() - cpu_before) / run["wall_s"]
    return run


def load_args(args: argparse.Namespace) -> list[str]:
    return ["--legit-rate", "max", "--legit-concurrency", str(args.concurrency), "--requests", "1",
            "--timeout", "3", "--drain", "2", "--seed", "7"]


def run_rampart(bed: testbed.Bed, link: str, args: argparse.Namespace) -> dict[str, Any]:
    bed.start_rampart(args.build / "apps" / "rampart" / "rampart", link, cookie_mode="auto")
    assert bed.telemetry_path is not None
    tsc_hz = int(testbed.telemetry(bed.telemetry_path, "/rampart/cost")["tsc_hz"])
    run = run_load(bed, args, telemetry_on=True)
    f = run["final"]
    counters = f["engine_counters"] or {}
    # rampart-load reads the counters after resolving the target's MAC and again after the drain.
    window_s = f["duration_s"] + f["drain_s"]
    worker_cycles = counters.get("worker_cycles", 0)
    completed = f["legit"]["completed"]
    return {
        "report": f, "tsc_hz": tsc_hz, "generator_cpu_share": run["generator_cpu_share"],
        "host_softirq_s": run["host_softirq_s"],
        "frames": counters.get("rx_packets", 0) + counters.get("tx_packets", 0),
        "busy_fraction": worker_cycles / (window_s * tsc_hz),
        "cpu_per_connection_ns": worker_cycles * 1e9 / tsc_hz / completed if completed else None,
        "cpu_per_connection_cycles": worker_cycles / completed if completed else None,
        "cpu_counted": "worker lcore's worker_cycles (driver, engine, timers, TX flush)",
        "worker_turns_interrupted": counters.get("worker_turns_interrupted"),
    }


def run_linux(bed: testbed.Bed, args: argparse.Namespace) -> dict[str, Any]:
    nginx = bed.start_linux_nginx(SERVER_CPU)
    frames_before = link_frames(bed)
    nginx_before = process_tree_seconds(nginx.pid)
    run = run_load(bed, args, telemetry_on=False)
    nginx_s = process_tree_seconds(nginx.pid) - nginx_before
    f = run["final"]
    completed = f["legit"]["completed"]
    cpu_s = nginx_s + run["host_softirq_s"]
    return {
        "report": f, "generator_cpu_share": run["generator_cpu_share"],
        "frames": link_frames(bed) - frames_before,
        # nginx's share of its CPU over the whole call (generator start-up included: a lower bound).
        "busy_fraction": nginx_s / run["wall_s"],
        "nginx_cpu_s": round(nginx_s, 2), "host_softirq_s": run["host_softirq_s"],
        "cpu_per_connection_ns": cpu_s * 1e9 / completed if completed else None,
        "cpu_per_connection_cycles": None,  # at the TSC rate rampart reports, once a rampart row ran
        "cpu_counted": "nginx (master + worker, user + system) + host softirq",
    }


def run_row(system: str, link: str, args: argparse.Namespace) -> dict[str, Any]:
    with testbed.Bed("cp") as bed:
        measured = run_rampart(bed, link, args) if system == "rampart" else run_linux(bed, args)
    f = measured.pop("report")
    legit = f["legit"]
    seconds = f["duration_s"]
    completed = legit["completed"]
    busy = measured["busy_fraction"]
    return {
        "system": system, "link": link, "seconds": seconds, "concurrency": args.concurrency,
        "attempted": legit["attempted"], "completed": completed, "failed": legit["failed"],
        "failures": legit.get("failures"),
        "connections_per_s": completed / seconds,
        "frames_per_connection": measured.pop("frames") / completed if completed else None,
        "host_softirq_per_connection_ns": measured["host_softirq_s"] * 1e9 / completed if completed else None,
        "limit": "generator" if busy < GENERATOR_LIMITED_BELOW else "server",
        "connection_p50_us": f["latency"]["connection"]["p50_us"],
        "connection_p99_us": f["latency"]["connection"]["p99_us"],
        **measured, "rampart_load_report": f,
    }


def fmt(v: Any, digits: int = 0) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| server | link | attempted | completed | failed | connections/s | frames/conn | server busy | "
             "CPU per connection | CPU counted | host softirq per connection | limit | generator's CPU share |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cpu = (f"{fmt(r['cpu_per_connection_ns'])} ns ({fmt(r['cpu_per_connection_cycles'])} cycles)"
               if r["cpu_per_connection_ns"] is not None else "–")
        lines.append(f"| {r['system']} | {r['link']} | {r['attempted']:,} | {r['completed']:,} | {r['failed']:,} | "
                     f"{fmt(r['connections_per_s'])} | {fmt(r['frames_per_connection'], 2)} | "
                     f"{r['busy_fraction']:.2f} | {cpu} | {r['cpu_counted']} | "
                     f"{fmt(r['host_softirq_per_connection_ns'])} ns | {r['limit']} | "
                     f"{r['generator_cpu_share']:.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=REPO / "build")
    parser.add_argument("--out", type=Path, default=REPO / "perf" / "runs")
    parser.add_argument("--seconds", type=float, default=10, help="traffic time per row (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=1024,
                        help="connections open at once, each replaced as it ends (default %(default)s)")
    parser.add_argument("--only", default="", help="comma-separated rows, e.g. rampart-memif,linux-af_packet")
    args = parser.parse_args()
    args.load = args.build / "perf" / "load" / "rampart-load"
    for binary in (args.load, args.build / "apps" / "rampart" / "rampart"):
        if not binary.exists():
            print(f"cps: {binary} is missing: build first (ninja -C {args.build})", file=sys.stderr)
            return 1
    only = set(filter(None, args.only.split(",")))
    started = datetime.now(timezone.utc)
    rows: list[dict[str, Any]] = []
    for system, link in ROWS:
        if only and f"{system}-{link}" not in only:
            continue
        print(f"cps: {system} over {link}", flush=True)
        rows.append(run_row(system, link, args))
        r = rows[-1]
        print(f"  {r['completed']:,}/{r['attempted']:,} completed, {r['connections_per_s']:,.0f}/s, "
              f"busy {r['busy_fraction']:.2f}, limit: {r['limit']}", flush=True)

    tsc_hz = next((r["tsc_hz"] for r in rows if "tsc_hz" in r), None)
    for r in rows:
        if r["cpu_per_connection_cycles"] is None and r["cpu_per_connection_ns"] is not None and tsc_hz:
            r["cpu_per_connection_cycles"] = r["cpu_per_connection_ns"] * tsc_hz / 1e9
    stem, about = testbed.run_record(args.out, "cps", started)
    result = {**about, "seconds": args.seconds, "concurrency": args.concurrency, "rows": rows}
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1))
    md = [f"# perf/cps.sh, {started.strftime('%Y-%m-%d %H:%M UTC')}", "",
          f"{args.seconds:g} s per row; {args.concurrency} connections open at once, one GET each, a new one as "
          f"each ends; generator on CPU 0, server on CPU 1; load average at the end "
          f"{' '.join(about['load_average_at_end'])}; commit {about['commit']}. "
          f"Server busy under {GENERATOR_LIMITED_BELOW}: the generator is the limit.", "",
          table(rows), ""]
    stem.with_suffix(".md").write_text("\n".join(md))
    print("\n".join(md))
    print(f"cps: wrote {stem}.json, .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
