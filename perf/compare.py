#!/usr/bin/python3
"""perf/compare.sh's driver: one generator (rampart-load), the same traffic, several systems on
the same kind of link (a veth pair between two namespaces, perf/load/testbed.py), flood rates
stepped from none to as fast as the generator goes. Writes perf/runs/compare-<time>.json,
.md (the table) and .png (the plots), and prints the table.

Systems (each skipped with the reason when it cannot run here):
  rampart-af_packet    rampart, one worker, net_af_packet on its veth end, syn_cookies.mode always
  rampart-af_packet-auto  the same in mode auto (the default): a SYN backlog, cookies past 768
                       half-open entries
  rampart-af_xdp       the same over net_af_xdp
  linux-syncookies=1   the kernel's TCP stack, cookies when the SYN queue overflows
  linux-syncookies=2   the kernel's TCP stack, cookies always
  xdp-syncookie        the kernel's XDP SYN-cookie path (perf/xdp/xdp_syncookie.bpf.c, native XDP on
                       the veth, XDP_TX) in front of the same stack, which accepts the cookie ACKs
  rampart-2nodes       two rampart processes sharing a master secret behind one address, every SYN
                       steered to node A and every other frame to node B (testbed.TwoNodeBed): a
                       legitimate connection completes only if B accepts A's cookie (the ECMP case)
  rampart-memif        rampart over net_memif (shared memory, copy mode, no hugepages needed)
  rampart-memif-zc     rampart as a zero-copy memif client, the generator the server: the port
                       costs rampart almost nothing, and with 128-slot rings (--zc-ring-log2) the
                       flood can queue at most 128 frames ahead of a client's (needs hugepages;
                       compare.sh reserves 512 for the run and puts the reservation back)
  testpmd-macswap      dpdk-testpmd reflecting every frame (af_packet): the link's ceiling
  testpmd-memif-macswap  the same over memif: the ceiling for rampart-memif
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
import testbed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def cpu_times() -> dict[str, float]:
    """Host CPU seconds since boot by kind, all CPUs (/proc/stat, USER_HZ = 100)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
    return {n: int(v) / 100.0 for n, v in zip(names, fields)}


def tsc_hz_guess() -> float:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("cpu MHz"):
            return float(line.split(":")[1]) * 1e6
    return 0.0


def systems(args: argparse.Namespace) -> list[tuple[str, Any, dict[str, Any]]]:
    rampart = args.build / "apps" / "rampart" / "rampart"
    master = secrets.token_bytes(32)
    out: list[tuple[str, Any, dict[str, Any]]] = [
        ("rampart-af_packet", lambda bed: bed.start_rampart(rampart, "af_packet"), {}),
        ("rampart-af_packet-auto", lambda bed: bed.start_rampart(rampart, "af_packet", cookie_mode="auto"), {}),
        ("rampart-af_xdp", lambda bed: bed.start_rampart(rampart, "af_xdp"), {}),
        ("rampart-memif", lambda bed: bed.start_rampart(rampart, "memif"), {}),
        # Started by each step (run_load_zero_copy): the generator is the memif server there.
        ("rampart-memif-zc", check_zero_copy_hugepages, {"zero_copy": rampart}),
        ("rampart-2nodes", lambda bed: bed.start_nodes(rampart, master, master), {"bed": testbed.TwoNodeBed}),
        # The kernel answers in softirq context, outside the HTTP server's process: its cost is
        # the host kernel time, not the target process's CPU time.
        ("linux-syncookies=1", lambda bed: bed.start_linux(1), {"telemetry": False, "answers_in_process": False}),
        ("linux-syncookies=2", lambda bed: bed.start_linux(2), {"telemetry": False, "answers_in_process": False}),
        ("xdp-syncookie", lambda bed: bed.start_xdp_syncookie(), {"telemetry": False, "answers_in_process": False}),
    ]
    if shutil.which("dpdk-testpmd"):
        out.append(("testpmd-macswap", lambda bed: bed.start_testpmd(),
                    {"telemetry": False, "legit": False, "target_mac": testbed.RAMPART_MAC}))
        out.append(("testpmd-memif-macswap", lambda bed: bed.start_testpmd(driver="memif"),
                    {"telemetry": False, "legit": False, "target_mac": testbed.RAMPART_MAC}))
    return out


ZERO_COPY_PAGES = 512  # 2 MiB pages: rampart's 512 MB (eal.memory_mb) and EAL's own


def check_zero_copy_hugepages(bed: testbed.Bed) -> None:
    """rampart-memif-zc's start: nothing runs until a step starts the generator; only check
    that rampart will find its hugepages (compare.sh reserves them)."""
    free = testbed.harness.meminfo_hugepages("Free")
    if free < ZERO_COPY_PAGES:
        raise RuntimeError(f"needs {ZERO_COPY_PAGES} free 2 MiB hugepages, {free} free: "
                           f"sudo scripts/setup-hugepages.sh {ZERO_COPY_PAGES} (compare.sh does it)")


def step_record(system: str, rate: str, run: dict[str, Any], cpu: dict[str, float], legit: bool,
                tsc_hz: float) -> dict[str, Any]:
    f = run["final"]
    t, lg, lat = f["traffic"], f["legit"], f["latency"]
    seconds = f["duration_s"]
    # testpmd answers with the same frame, MACs swapped: count every frame that came back.
    answers = t["syn_acks"] if legit else t["rx_frames"]
    kernel_s = cpu["system"] + cpu["softirq"] + cpu["irq"]
    record = {
        "system": system, "flood_rate": rate, "seconds": seconds,
        "syn_offered_per_s": t["syn_offered"] / seconds, "answered_per_s": answers / seconds,
        "answered_fraction": answers / t["syn_offered"] if t["syn_offered"] else None,
        "rate_check": f["syn_rate_check"],
        "legit_attempted": lg["attempted"], "legit_completed": lg["completed"], "legit_failed": lg["failed"],
        "legit_success": lg["success_rate"],
        "connect_p50_us": lat["connect"]["p50_us"], "connect_p99_us": lat["connect"]["p99_us"],
        "connect_p999_us": lat["connect"]["p99_9_us"],
        "request_p99_us": lat["request"]["p99_us"], "responses": lg["responses"],
        "engine_cycles_per_packet": f["engine"]["cycles_per_packet"] if f["engine"] else None,
        "port_imissed": (f["engine_counters"] or {}).get("port.imissed"),
        "generator_rx_missed": t.get("rx_missed"),
        "engine_busy_fraction": f["engine"]["busy_fraction"] if f["engine"] else None,
        "host_cpu_s": cpu,
        "host_kernel_ns_per_answer": kernel_s * 1e9 / answers if answers else None,
        "engine_ns_per_packet": (f["engine"]["cycles_per_packet"] * 1e9 / tsc_hz
                                 if f["engine"] and tsc_hz else None),
        "report": f,
    }
    return record


def run_system(name: str, start: Any, opts: dict[str, Any], args: argparse.Namespace,
               tsc_hz: float) -> tuple[list[dict[str, Any]], str | None]:
    records: list[dict[str, Any]] = []
    try:
        with opts.get("bed", testbed.Bed)(name[:2]) as bed:
            start(bed)
            for rate in args.rates:
                load_args = ["--timeout", "3", "--drain", "3.5", "--legit-concurrency", "512",
                             "--burst", "32", "--seed", "7"]
                if rate != "0":
                    load_args += ["--syn-rate", rate]
                if opts.get("legit", True):
                    # One GET per connection: rampart's http app and http_server.py answer it.
                    load_args += ["--legit-rate", str(args.legit_rate), "--requests", "1"]
                if rate == "0" and not opts.get("legit", True):
                    continue  # testpmd: nothing to send without a flood
                before = cpu_times()
                xdp_before = bed.xdp_program_stats()
                target_cpu_before = bed.target_cpu_seconds()
                nodes_before = bed.node_counters() if isinstance(bed, testbed.TwoNodeBed) else None
                link_before = bed.target_link_rx()
                if opts.get("zero_copy"):
                    run = bed.run_load_zero_copy(opts["zero_copy"], args.load, load_args, args.step_seconds,
                                                 ring_log2=args.zc_ring_log2)
                else:
                    run = bed.run_load(args.load, load_args, args.step_seconds,
                                       telemetry_on=opts.get("telemetry", True), target_mac=opts.get("target_mac"))
                after = cpu_times()
                xdp_after = bed.xdp_program_stats()
                # A zero-copy step's rampart has ended with its step: the run measured its CPU.
                target_cpu = run.get("target_cpu_s", bed.target_cpu_seconds() - target_cpu_before)
                nodes_after = bed.node_counters() if isinstance(bed, testbed.TwoNodeBed) else None
                link_after = bed.target_link_rx()
                link_rx = link_after - link_before if link_after is not None else None
                cpu = {k: round(after[k] - before[k], 2) for k in before}
                rec = step_record(name, rate, run, cpu, opts.get("legit", True), tsc_hz)
                rec["target_link_rx"] = link_rx
                # The target's own threads' CPU time: on a shared machine a busy-polling process
                # gets a share of a core, and answers per CPU-second compares such processes
                # fairly whatever share each got (the kernel's softirq work is not in it).
                rec["target_cpu_s"] = round(target_cpu, 2)
                answers = rec["answered_per_s"] * rec["seconds"]
                rec["answers_per_target_cpu_s"] = (answers / target_cpu if opts.get("answers_in_process", True)
                                                   and target_cpu > 0 and answers else None)
                engine_rx = (run["final"]["engine_counters"] or {}).get("rx_packets")
                # Reached the target's veth but not the engine: dropped in the AF_PACKET/AF_XDP
                # socket ring (the worker did not poll in time); the PMD does not count these.
                rec["ring_drops"] = link_rx - engine_rx if engine_rx is not None and link_rx is not None else None
                if nodes_before is not None and nodes_after is not None:
                    # Which node did what: A should mint every cookie, B open every connection.
                    keys = ("tcp_syn_received", "tcp_syncookies_sent", "tcp_syncookies_validated",
                            "tcp_connections_opened", "tcp_cookie_bad_hash")
                    rec["nodes"] = {n: {k: nodes_after[n].get(k, 0) - nodes_before[n].get(k, 0)
                                        for k in (*keys, "rx_packets")} for n in nodes_after}
                    if link_rx is not None:  # the frames reach two engines
                        rec["ring_drops"] = link_rx - sum(n["rx_packets"] for n in rec["nodes"].values())
                if xdp_before is not None and xdp_after is not None:
                    xdp = {k: xdp_after[k] - xdp_before.get(k, 0) for k in xdp_after}
                    rec["xdp"] = xdp
                    if xdp["run_cnt"]:
                        # The program's own cost (bpf_stats: time inside it, helpers included),
                        # the counterpart of rampart's busy cycles per packet.
                        rec["engine_ns_per_packet"] = xdp["run_time_ns"] / xdp["run_cnt"]
                        rec["engine_cycles_per_packet"] = rec["engine_ns_per_packet"] * tsc_hz / 1e9
                records.append(rec)
                print(f"  {name:20s} flood {rate:>7s}: offered {rec['syn_offered_per_s']:9.0f}/s answered "
                      f"{rec['answered_per_s']:9.0f}/s legit {rec['legit_completed']}/{rec['legit_attempted']} "
                      f"connect p99 {rec['connect_p99_us'] / 1000:7.2f} ms"
                      + (f" engine {rec['engine_cycles_per_packet']:.0f} cyc/pkt"
                         if rec["engine_cycles_per_packet"] is not None else ""), flush=True)
    except Exception as error:  # noqa: BLE001 - a system that cannot run here is reported, not fatal
        lines = str(error).strip().splitlines()
        return records, f"{type(error).__name__}: {' / '.join(lines[:1] + lines[-2:])[:400]}"
    return records, None


def fmt(v: Any, digits: int = 0) -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def table(records: list[dict[str, Any]]) -> str:
    lines = ["| system | flood (SYN/s asked) | offered SYN/s | answered/s | legit ok | connect p50 / p99 ms | request p99 ms "
             "| engine (XDP: program) cycles/pkt | target ring drops | generator rx_missed | host kernel ns/answer "
             "| target CPU s | answers per target CPU-s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        legit = f"{r['legit_completed']}/{r['legit_attempted']}" if r["legit_attempted"] else "–"
        connect = (f"{r['connect_p50_us'] / 1000:.2f} / {r['connect_p99_us'] / 1000:.2f}"
                   if r["legit_attempted"] else "–")
        request = f"{r['request_p99_us'] / 1000:.2f}" if r["legit_attempted"] else "–"
        lines.append(f"| {r['system']} | {r['flood_rate']} | {fmt(r['syn_offered_per_s'])} | "
                     f"{fmt(r['answered_per_s'])} | {legit} | {connect} | {request} | {fmt(r['engine_cycles_per_packet'])} | "
                     f"{fmt(r['ring_drops'])} | {fmt(r['generator_rx_missed'])} | "
                     f"{fmt(r['host_kernel_ns_per_answer'])} | {fmt(r['target_cpu_s'], 2)} | "
                     f"{fmt(r['answers_per_target_cpu_s'])} |")
    return "\n".join(lines)


def nodes_table(records: list[dict[str, Any]]) -> str:
    """Per step of rampart-2nodes: what each node did (counter deltas over the step)."""
    rows = [r for r in records if r.get("nodes")]
    if not rows:
        return ""
    lines = ["| flood (SYN/s asked) | legit ok | A: SYNs / cookies sent / connections opened "
             "| B: SYNs / cookies validated / connections opened / bad cookie hash |", "|---|---|---|---|"]
    for r in rows:
        a, b = r["nodes"]["a"], r["nodes"]["b"]
        lines.append(f"| {r['flood_rate']} | {r['legit_completed']}/{r['legit_attempted']} | "
                     f"{a['tcp_syn_received']:,} / {a['tcp_syncookies_sent']:,} / {a['tcp_connections_opened']:,} | "
                     f"{b['tcp_syn_received']:,} / {b['tcp_syncookies_validated']:,} / {b['tcp_connections_opened']:,} / "
                     f"{b['tcp_cookie_bad_hash']:,} |")
    return "\n".join(lines)


def plots(records: list[dict[str, Any]], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    by_system: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_system.setdefault(r["system"], []).append(r)
    for system, rs in by_system.items():
        x = [r["syn_offered_per_s"] / 1000 for r in rs]
        legit = [r for r in rs if r["legit_attempted"]]
        if legit:
            axes[0][0].plot([r["syn_offered_per_s"] / 1000 for r in legit],
                            [100 * r["legit_success"] for r in legit], "o-", label=system)
            axes[0][1].plot([r["syn_offered_per_s"] / 1000 for r in legit],
                            [r["connect_p99_us"] / 1000 for r in legit], "o-", label=system)
        axes[1][0].plot(x, [r["answered_per_s"] / 1000 for r in rs], "o-", label=system)
        line = axes[1][0].get_lines()[-1]
        host = [r for r in rs if r["host_kernel_ns_per_answer"]]
        if host:
            axes[1][1].plot([r["syn_offered_per_s"] / 1000 for r in host], [r["host_kernel_ns_per_answer"] for r in host],
                            "o-", color=line.get_color(), label=system + " (host kernel)")
        own = [r for r in rs if r["engine_ns_per_packet"]]
        if own:
            axes[1][1].plot([r["syn_offered_per_s"] / 1000 for r in own], [r["engine_ns_per_packet"] for r in own],
                            "s--", color=line.get_color(),
                            label=system + (" (XDP program)" if system.startswith("xdp") else " (engine)"))
    titles = [("legitimate success %", "flood offered (kSYN/s)"), ("connect p99 (ms)", "flood offered (kSYN/s)"),
              ("answered (k/s)", "flood offered (kSYN/s)"), ("CPU ns per SYN-ACK (solid) / per packet (dashed)", "flood offered (kSYN/s)")]
    for ax, (ylabel, xlabel) in zip(axes.flat, titles):
        ax.set_ylabel(ylabel)
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[1][1].set_yscale("log")
    fig.suptitle("rampart-load: same generator, same traffic, veth pair (perf/compare.sh)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=REPO / "build")
    parser.add_argument("--out", type=Path, default=REPO / "perf" / "runs")
    parser.add_argument("--rates", default="0,20000,50000,100000,max",
                        help="flood steps, SYN/s or max (default %(default)s)")
    parser.add_argument("--step-seconds", type=float, default=4)
    parser.add_argument("--legit-rate", type=int, default=100)
    parser.add_argument("--only", default="", help="comma-separated system names to run")
    parser.add_argument("--zc-ring-log2", type=int, default=7,
                        help="rampart-memif-zc's ring size as log2, 6..14 (default %(default)s: 128 slots)")
    args = parser.parse_args()
    if not 6 <= args.zc_ring_log2 <= 14:
        parser.error("--zc-ring-log2 must be 6..14 (64 to 16,384 slots)")
    args.rates = args.rates.split(",")
    args.load = args.build / "perf" / "load" / "rampart-load"
    for binary in (args.load, args.build / "apps" / "rampart" / "rampart"):
        if not binary.exists():
            print(f"compare: {binary} is missing: build first (ninja -C {args.build})", file=sys.stderr)
            return 1
    tsc_hz = tsc_hz_guess()
    started = datetime.now(timezone.utc)
    records: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    only = set(filter(None, args.only.split(",")))
    for name, start, opts in systems(args):
        if only and name not in only:
            continue
        print(f"compare: {name}", flush=True)
        t0 = time.monotonic()
        rs, error = run_system(name, start, opts, args, tsc_hz)
        records += rs
        if error:
            skipped[name] = error
            print(f"  {name}: stopped: {error}", flush=True)
        print(f"  ({time.monotonic() - t0:.0f} s)", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"compare-{started.strftime('%Y%m%dT%H%M%SZ')}"
    load_avg = Path("/proc/loadavg").read_text().split()[:3]
    commit = testbed.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], check=False).stdout.strip()
    result = {"started": started.isoformat(), "commit": commit, "rates": args.rates, "step_seconds": args.step_seconds,
              "legit_rate": args.legit_rate, "zc_ring_log2": args.zc_ring_log2, "tsc_hz_estimate": tsc_hz,
              "load_average_at_end": load_avg,
              "cpus": len([l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("processor")]),
              "skipped": skipped, "steps": records}
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1))
    md = [f"# perf/compare.sh, {started.strftime('%Y-%m-%d %H:%M UTC')}", "",
          f"Steps of {args.step_seconds:g} s; legitimate clients {args.legit_rate}/s, one HTTP GET each, then close; "
          f"{result['cpus']} CPUs, load average at the end {' '.join(load_avg)}; commit {commit}; "
          f"rampart-memif-zc rings {2 ** args.zc_ring_log2} slots.", "",
          table(records), ""]
    if nodes_table(records):
        md += ["rampart-2nodes, per node (every SYN to A, every other frame to B):", "", nodes_table(records), ""]
    for name, why in skipped.items():
        md.append(f"- {name}: {why}")
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")
    if records:
        plots(records, stem.with_suffix(".png"))
    print("\n".join(md))
    print(f"compare: wrote {stem}.json, .md, .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
