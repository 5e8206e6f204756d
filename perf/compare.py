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

The generator runs with --drop-on-full unless --retry-refused: a frame the link refuses is lost,
as on a wire, and legitimate clients recover only by their own retransmission. Every step
reports the flood and the legitimate clients as attempted, accepted by the link, answered and
lost. At the `max` step each system is classified saturated or generator-limited, and ratios
between systems are printed only where perf/comparison.py's rules allow them.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
import testbed  # noqa: E402

import comparison  # noqa: E402  (perf/comparison.py: this script's folder is on the path)

REPO = Path(__file__).resolve().parents[1]


def cpu_times() -> dict[str, float]:
    """Host CPU seconds since boot by kind, all CPUs (/proc/stat, USER_HZ = 100)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
    return {n: int(v) / 100.0 for n, v in zip(names, fields)}


def systems(args: argparse.Namespace) -> list[tuple[str, Any, dict[str, Any]]]:
    rampart = args.build / "apps" / "rampart" / "rampart"
    master = secrets.token_bytes(32)
    # cost: how a step's cycles per answer is measured (COST_SCOPES). refusal_is_target_full:
    # over memif the ring is the target's to drain, so a refused frame means the target fell
    # behind; over a veth the generator's own kernel send path refuses.
    memif = {"refusal_is_target_full": True}
    kernel = {"telemetry": False, "cost": "host"}
    out: list[tuple[str, Any, dict[str, Any]]] = [
        ("rampart-af_packet", lambda bed: bed.start_rampart(rampart, "af_packet"), {}),
        ("rampart-af_packet-auto", lambda bed: bed.start_rampart(rampart, "af_packet", cookie_mode="auto"), {}),
        ("rampart-af_xdp", lambda bed: bed.start_rampart(rampart, "af_xdp"), {}),
        ("rampart-memif", lambda bed: bed.start_rampart(rampart, "memif"), memif),
        # Started by each step (run_load_zero_copy): the generator is the memif server there.
        ("rampart-memif-zc", check_zero_copy_hugepages, {"zero_copy": rampart, **memif}),
        ("rampart-2nodes", lambda bed: bed.start_nodes(rampart, master, master), {"bed": testbed.TwoNodeBed}),
        # The kernel answers in softirq context, outside the HTTP server's process: its cost is
        # the host kernel time, not the target process's CPU time.
        ("linux-syncookies=1", lambda bed: bed.start_linux(1), kernel),
        ("linux-syncookies=2", lambda bed: bed.start_linux(2), kernel),
        ("xdp-syncookie", lambda bed: bed.start_xdp_syncookie(), {**kernel, "cost": "xdp"}),
    ]
    if shutil.which("dpdk-testpmd"):
        testpmd = {"telemetry": False, "legit": False, "target_mac": testbed.RAMPART_MAC, "cost": None}
        out.append(("testpmd-macswap", lambda bed: bed.start_testpmd(), testpmd))
        out.append(("testpmd-memif-macswap", lambda bed: bed.start_testpmd(driver="memif"), {**testpmd, **memif}))
    return out


# What each kind of cost per answer includes and leaves out (printed under the table).
COST_SCOPES = {
    "worker": "rampart: the worker lcore's cycles in loop turns that received or sent (driver RX and TX, engine, "
              "timers, TX flush; empty polls not counted) ÷ frames the engine sent",
    "xdp": "XDP: the program's own run time (bpf_stats run_time_ns, converted at the TSC rate) ÷ SYN-ACKs; "
           "the driver and the kernel stack behind it are not in it",
    "host": "kernel: the whole host's kernel CPU time (system, irq and softirq on every CPU, so the generator's "
            "own kernel-side sends and receives too) plus the HTTP server's CPU time, converted at the TSC rate, "
            "÷ SYN-ACKs: an upper bound",
}


ZERO_COPY_PAGES = 512  # 2 MiB pages: rampart's 512 MB (eal.memory_mb) and EAL's own


def check_zero_copy_hugepages(bed: testbed.Bed) -> None:
    """rampart-memif-zc's start: nothing runs until a step starts the generator; only check
    that rampart will find its hugepages (compare.sh reserves them)."""
    free = testbed.harness.meminfo_hugepages("Free")
    if free < ZERO_COPY_PAGES:
        raise RuntimeError(f"needs {ZERO_COPY_PAGES} free 2 MiB hugepages, {free} free: "
                           f"sudo scripts/setup-hugepages.sh {ZERO_COPY_PAGES} (compare.sh does it)")


def step_record(system: str, rate: str, run: dict[str, Any], cpu: dict[str, float], opts: dict[str, Any]) -> dict[str, Any]:
    f = run["final"]
    t, lg, lat, flows = f["traffic"], f["legit"], f["latency"], f["flows"]
    seconds = f["duration_s"]
    syn = flows["syn_flood"]
    # testpmd answers with the same frame, MACs swapped: count every frame that came back.
    answers = syn["answered"] if opts.get("legit", True) else t["rx_frames"]
    engine = f["engine"]
    record = {
        "system": system, "flood_rate": rate, "seconds": seconds, "tsc_hz": f["tsc_hz"],
        "drop_on_full": f["config"]["drop_on_full"],
        "flood_attempted_per_s": syn["attempted"] / seconds, "flood_accepted_per_s": syn["accepted"] / seconds,
        "flood_answered_per_s": answers / seconds, "flood_lost_per_s": (syn["attempted"] - answers) / seconds,
        "flood_refused_per_s": syn["refused"] / seconds,
        "rate_check": f["syn_rate_check"],
        "refusal_is_target_full": opts.get("refusal_is_target_full", False),
        "legit_attempted": lg["attempted"], "legit_completed": lg["completed"], "legit_failed": lg["failed"],
        "legit_syn_refused": flows["legit"]["syn_refused"],
        "legit_success": lg["success_rate"],
        "connect_p50_us": lat["connect"]["p50_us"], "connect_p99_us": lat["connect"]["p99_us"],
        "connect_p999_us": lat["connect"]["p99_9_us"],
        "request_p99_us": lat["request"]["p99_us"], "responses": lg["responses"],
        "engine_cycles_per_packet": engine["cycles_per_packet"] if engine else None,
        "worker_busy": steady_worker_busy(run["seconds"]) if engine else None,
        "worker_turns_preempted_per_s": (f["engine_counters"]["worker_turns_interrupted"] / seconds
                                         if engine else None),
        "port_imissed": (f["engine_counters"] or {}).get("port.imissed"),
        "generator_rx_missed": t["rx_missed"], "generator_rx_missed_per_s": t["rx_missed"] / seconds,
        "host_cpu_s": cpu,
        "cost": opts.get("cost", "worker"),
        "cycles_per_answer": engine["worker_cycles_per_answer"] if engine and engine["answers"] else None,
        "report": f,
    }
    return record


def steady_worker_busy(seconds: list[dict[str, Any]]) -> float | None:
    """The worker's busy share while the traffic ran: the median over the whole seconds (the
    run's own figure also spans the drain, when nothing is sent)."""
    busy = [s["engine"]["worker_busy_fraction"] for s in seconds[:-1] if s["engine"]]
    return statistics.median(busy) if busy else None


def host_cycles_per_answer(rec: dict[str, Any], target_cpu_s: float) -> float | None:
    """The kernel's cost per SYN-ACK: host kernel time plus the HTTP server's (COST_SCOPES)."""
    answers = rec["flood_answered_per_s"] * rec["seconds"]
    cpu = rec["host_cpu_s"]
    kernel_s = cpu["system"] + cpu["softirq"] + cpu["irq"] + target_cpu_s
    return kernel_s * rec["tsc_hz"] / answers if answers else None


def xdp_cycles_per_answer(rec: dict[str, Any], xdp: dict[str, int]) -> float | None:
    """The XDP program's run time per SYN-ACK, in TSC cycles (COST_SCOPES)."""
    answers = rec["flood_answered_per_s"] * rec["seconds"]
    return xdp["run_time_ns"] * rec["tsc_hz"] / 1e9 / answers if answers else None


def run_system(name: str, start: Any, opts: dict[str, Any], args: argparse.Namespace) -> tuple[list[dict[str, Any]], str | None]:
    records: list[dict[str, Any]] = []
    try:
        with opts.get("bed", testbed.Bed)(name[:2]) as bed:
            start(bed)
            for rate in args.rates:
                load_args = ["--timeout", "3", "--drain", "3.5", "--legit-concurrency", "512",
                             "--burst", "32", "--seed", "7"] + ([] if args.retry_refused else ["--drop-on-full"])
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
                rec = step_record(name, rate, run, cpu, opts)
                rec["target_link_rx"] = link_rx
                # The target's own threads' CPU time (the kernel's softirq work is not in it).
                rec["target_cpu_s"] = round(target_cpu, 2)
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
                        # The program's own cost per packet it ran on (helpers included): the
                        # counterpart of rampart's engine cycles per packet.
                        rec["engine_cycles_per_packet"] = xdp["run_time_ns"] * rec["tsc_hz"] / 1e9 / xdp["run_cnt"]
                    if rec["cost"] == "xdp":
                        rec["cycles_per_answer"] = xdp_cycles_per_answer(rec, xdp)
                if rec["cost"] == "host":
                    rec["cycles_per_answer"] = host_cycles_per_answer(rec, target_cpu)
                records.append(rec)
                print(f"  {name:20s} flood {rate:>7s}: attempted {rec['flood_attempted_per_s']:9.0f}/s accepted "
                      f"{rec['flood_accepted_per_s']:9.0f}/s answered {rec['flood_answered_per_s']:9.0f}/s legit "
                      f"{rec['legit_completed']}/{rec['legit_attempted']} connect p99 {rec['connect_p99_us'] / 1000:7.2f} ms"
                      + (f" {rec['cycles_per_answer']:.0f} cycles/answer" if rec["cycles_per_answer"] else ""),
                      flush=True)
    except Exception as error:  # noqa: BLE001 - a system that cannot run here is reported, not fatal
        lines = str(error).strip().splitlines()
        return records, f"{type(error).__name__}: {' / '.join(lines[:1] + lines[-2:])[:400]}"
    return records, None


def fmt(v: Any, digits: int = 0) -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


COST_TAGS = {"worker": "worker", "xdp": "XDP program", "host": "host kernel", None: "–"}


def table(records: list[dict[str, Any]]) -> str:
    lines = ["| system | flood asked (SYN/s) | flood attempted/s | accepted by the link/s | answered/s | lost/s "
             "| legit attempted / completed / failed (SYNs refused) | connect p50 / p99 ms | cycles per answer (scope) "
             "| worker busy | worker turns preempted/s | engine (XDP: program) cycles/pkt | target ring drops "
             "| generator rx_missed | at max |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        legit = (f"{r['legit_attempted']} / {r['legit_completed']} / {r['legit_failed']} ({r['legit_syn_refused']})"
                 if r["legit_attempted"] else "–")
        connect = (f"{r['connect_p50_us'] / 1000:.2f} / {r['connect_p99_us'] / 1000:.2f}"
                   if r["legit_attempted"] else "–")
        cost = f"{fmt(r['cycles_per_answer'])} ({COST_TAGS[r['cost']]})" if r["cycles_per_answer"] else "–"
        limit = comparison.classify(r) if r["flood_rate"] == "max" else None
        verdict = f"**{limit.verdict}**: {limit.why}" if limit else ""
        lines.append(f"| {r['system']} | {r['flood_rate']} | {fmt(r['flood_attempted_per_s'])} | "
                     f"{fmt(r['flood_accepted_per_s'])} | {fmt(r['flood_answered_per_s'])} | {fmt(r['flood_lost_per_s'])} | "
                     f"{legit} | {connect} | {cost} | {fmt(r['worker_busy'], 2)} | {fmt(r['worker_turns_preempted_per_s'])} | "
                     f"{fmt(r['engine_cycles_per_packet'])} | "
                     f"{fmt(r['ring_drops'])} | {fmt(r['generator_rx_missed'])} | {verdict} |")
    return "\n".join(lines)


def ratio_lines(records: list[dict[str, Any]], order: list[str]) -> list[str]:
    """The ratios comparison.py allows, each saying where it was measured, and a note for each
    system the generator could not outrun."""
    rs = comparison.ratios(records, order)
    lines = ["Ratios between systems (only between two saturated systems at max, or at the same offered rate):", ""]
    if rs:
        lines += ["| A | B | A ÷ B | of | where |", "|---|---|---|---|---|"]
        lines += [f"| {r.a} | {r.b} | {r.value:.2f} | {r.figure} | {r.where} |" for r in rs]
    else:
        lines.append("none: no two systems were both saturated at max or both measured at the same offered rate.")
    notes = comparison.generator_limited_notes(records)
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return lines


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
        x = [r["flood_attempted_per_s"] / 1000 for r in rs]
        legit = [r for r in rs if r["legit_attempted"]]
        if legit:
            axes[0][0].plot([r["flood_attempted_per_s"] / 1000 for r in legit],
                            [100 * r["legit_success"] for r in legit], "o-", label=system)
            axes[0][1].plot([r["flood_attempted_per_s"] / 1000 for r in legit],
                            [r["connect_p99_us"] / 1000 for r in legit], "o-", label=system)
        axes[1][0].plot(x, [r["flood_answered_per_s"] / 1000 for r in rs], "o-", label=system)
        costed = [r for r in rs if r["cycles_per_answer"]]
        if costed:
            axes[1][1].plot([r["flood_attempted_per_s"] / 1000 for r in costed], [r["cycles_per_answer"] for r in costed],
                            "o-", color=axes[1][0].get_lines()[-1].get_color(),
                            label=f"{system} ({COST_TAGS[costed[0]['cost']]})")
    titles = [("legitimate success %", "flood attempted (kSYN/s)"), ("connect p99 (ms)", "flood attempted (kSYN/s)"),
              ("answered (k/s)", "flood attempted (kSYN/s)"), ("cycles per answer", "flood attempted (kSYN/s)")]
    for ax, (ylabel, xlabel) in zip(axes.flat, titles):
        ax.set_ylabel(ylabel)
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[1][1].set_yscale("log")
    fig.suptitle("rampart-load: same generator, same traffic (perf/compare.sh)")
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
    parser.add_argument("--retry-refused", action="store_true",
                        help="the generator retries frames the link refuses (no --drop-on-full): "
                             "only to compare with results from before drop-on-full")
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
    started = datetime.now(timezone.utc)
    records: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    only = set(filter(None, args.only.split(",")))
    order: list[str] = []
    for name, start, opts in systems(args):
        if only and name not in only:
            continue
        print(f"compare: {name}", flush=True)
        t0 = time.monotonic()
        rs, error = run_system(name, start, opts, args)
        order.append(name)
        records += rs
        if error:
            skipped[name] = error
            print(f"  {name}: stopped: {error}", flush=True)
        print(f"  ({time.monotonic() - t0:.0f} s)", flush=True)

    stem, run_facts = testbed.run_record(args.out, "compare", started)
    load_avg, commit = run_facts["load_average_at_end"], run_facts["commit"]
    result = {**run_facts, "rates": args.rates, "step_seconds": args.step_seconds,
              "legit_rate": args.legit_rate, "zc_ring_log2": args.zc_ring_log2,
              "drop_on_full": not args.retry_refused,
              "cpus": len([l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("processor")]),
              "skipped": skipped, "steps": records}
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1))
    md = [f"# perf/compare.sh, {started.strftime('%Y-%m-%d %H:%M UTC')}", "",
          f"Steps of {args.step_seconds:g} s; legitimate clients {args.legit_rate}/s, one HTTP GET each, then close; "
          f"{result['cpus']} CPUs, load average at the end {' '.join(load_avg)}; commit {commit}; "
          f"rampart-memif-zc rings {2 ** args.zc_ring_log2} slots; "
          + ("frames the link refused were dropped and counted (--drop-on-full)."
             if not args.retry_refused else "frames the link refused were retried (--retry-refused)."), "",
          "Attempted: frames the generator built; accepted: those the link (its TX queue) took; lost: attempted "
          "− answered. A system is saturated at max when it answered clearly less than the link accepted, its "
          "worker was busy ≥ 0.95, or (memif) the link refused frames because its ring was full. Worker busy: "
          "the median over the step's whole seconds; turns preempted (over 1 ms) are left out of it, so many "
          "of them mean the worker's core was shared and its busy share understates what it had to do.", "",
          table(records), "", "Cycles per answer, by scope:", ""]
    md += [f"- {COST_SCOPES[c]}" for c in dict.fromkeys(r["cost"] for r in records) if c]
    md += ["", *ratio_lines(records, order), ""]
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
