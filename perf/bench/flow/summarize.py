#!/usr/bin/python3
"""Markdown tables from flow_bench's JSON output (--benchmark_out=FILE --benchmark_out_format=json).

Per table size: ns per key for each subject (the median of the repetitions when there are any),
and each subject's time relative to rte_hash (below 1.00 = faster than rte_hash).
Usage: summarize.py bench.json
"""
import json
import sys

SUBJECTS = ["rampart_50", "rampart_80", "rampart_90", "rte_hash", "unordered_map"]
OPS = ["lookup_hit", "lookup_hit_prehashed", "lookup_miss", "lookup_bulk32", "insert", "erase"]


def main(path):
    with open(path) as f:
        data = json.load(f)
    figures = {}  # (size, op, subject) -> (ns, load)
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if "error_occurred" in b and b["error_occurred"]:
            print(f"error in {b['name']}: {b.get('error_message')}", file=sys.stderr)
            continue
        op, subject, size = b["run_name"].split("/")[:3]
        figures[(size, op, subject)] = (b["ns_per_op"], b["load"])
    for size in sorted({k[0] for k in figures}, key=lambda s: float(s.rstrip("M"))):
        loads = {s: figures.get((size, "lookup_hit", s), (0, 0))[1] for s in SUBJECTS}
        print(f"\n#### {size} entries\n")
        print("| ns per key | " + " | ".join(f"{s} (load {loads[s]:.2f})" for s in SUBJECTS) + " |")
        print("|---|" + "---:|" * len(SUBJECTS))
        for op in OPS:
            row = []
            base = figures.get((size, op, "rte_hash"), (None,))[0]
            for s in SUBJECTS:
                ns = figures.get((size, op, s), (None,))[0]
                if ns is None:
                    row.append("—")
                elif base and s != "rte_hash":
                    row.append(f"{ns:.1f} ({ns / base:.2f}x)")
                else:
                    row.append(f"{ns:.1f}")
            print(f"| {op} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
