#!/usr/bin/python3
"""Markdown tables from timer_bench's JSON output (--benchmark_out=FILE --benchmark_out_format=json).

Table 1: ns per operation (the median of the repetitions when there are any) and bytes per timer
for each subject, with each figure relative to rte_timer in the same run (below 1.00 = cheaper).
Table 2: the ACK loop on a fake clock (rte_timer cannot take part), relative to std::multimap.
Usage: summarize.py bench.json
"""
import json
import sys

SUBJECTS = ["rampart_wheel", "rte_timer", "std_multimap"]
OPS = ["rearm", "rearm_pushed", "cancel", "advance_idle", "fire"]
BASE = "rte_timer"


def medians(path):
    with open(path) as f:
        data = json.load(f)
    out = {}  # (op, subject) -> benchmark entry
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if b.get("error_occurred"):
            print(f"error in {b['name']}: {b.get('error_message')}", file=sys.stderr)
            continue
        op, subject = b["run_name"].split("/")[:2]
        out[(op, subject)] = b
    return out


def cell(value, base, digits=1):
    if value is None:
        return "—"
    if base is None or base == 0:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({value / base:.2f}x)"


def main(path):
    fig = medians(path)

    def ns(op, subject):
        b = fig.get((op, subject))
        return None if b is None else b["ns_per_op"]

    print(f"| per operation | " + " | ".join(SUBJECTS) + " |")
    print("|---|" + "---:|" * len(SUBJECTS))
    for op in OPS:
        base = ns(op, BASE)
        print(f"| {op} (ns) | " + " | ".join(cell(ns(op, s), None if s == BASE else base) for s in SUBJECTS) + " |")
    given = ns("advance_idle_given_now", "rampart_wheel")
    print(f"| advance_idle, now given (ns) | {cell(given, ns('advance_idle', BASE))} | — | — |")
    sizes = [fig.get(("rearm", s), {}).get("bytes_per_timer") for s in SUBJECTS]
    base = sizes[SUBJECTS.index(BASE)]
    print("| memory per timer (bytes) | " + " | ".join(
        cell(v, None if s == BASE else base) for s, v in zip(SUBJECTS, sizes)) + " |")

    print("\n| ACK loop, fake clock | ns per ACK | fired per 1k ACKs | cascaded per 1k ACKs |")
    print("|---|---:|---:|---:|")
    base = ns("ack_loop", "std_multimap")
    for (op, subject), b in sorted(fig.items()):
        if op != "ack_loop":
            continue
        ratio = None if subject == "std_multimap" else base
        cascaded = b.get("cascaded_per_1k_acks")
        print(f"| {subject} | {cell(b['ns_per_op'], ratio)} | {b['fired_per_1k_acks']:.0f} | "
              + ("—" if cascaded is None else f"{cascaded:.0f}") + " |")


if __name__ == "__main__":
    main(sys.argv[1])
