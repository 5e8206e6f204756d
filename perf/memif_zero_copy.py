#!/usr/bin/python3
"""rampart as a zero-copy memif client, under the same generator and traffic as perf/compare.sh:
how close the engine comes to the generator's speed when its port costs almost nothing. A
memif client in zero-copy mode receives frames in the buffers its peer wrote and sends from
them, so neither side copies on rampart's behalf; compare.sh keeps copy mode, in which rampart
is the server and needs no hugepages (drivers-notes/net_memif.md).

Zero-copy needs hugepages: 512 2 MiB pages are reserved for the run with
scripts/setup-hugepages.sh when fewer are free, and the previous reservation is put back at the
end, also on failure. One row per rate: offered and answered SYN/s, legitimate connections,
connect p50/p99, and the engine's cycles per packet and busy fraction.

    sudo perf/memif_zero_copy.py [--rates 0,max] [--seconds 5] [--legit-rate 1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))
import testbed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PAGES = 512  # 1 GiB: rampart's 512 MB and room for EAL's own
NR_HUGEPAGES = Path("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")


def free_hugepages() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


def row(rate: str, report: dict) -> str:
    traffic, legit, connect = report["traffic"], report["legit"], report["latency"]["connect"]
    engine = report.get("engine") or {}
    return (f"| {rate} | {traffic['syn_offered_per_s']:,.0f} | {traffic['syn_acks_per_s']:,.0f} | "
            f"{legit['completed']}/{legit['attempted']} | {connect['p50_us']:.1f} / {connect['p99_us']:.1f} | "
            f"{engine.get('cycles_per_packet', 0):,.0f} | {engine.get('busy_fraction', 0):.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=REPO / "build")
    parser.add_argument("--rates", default="0,max", help="flood steps, SYN/s or max (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--legit-rate", type=int, default=1000)
    args = parser.parse_args()
    rampart = args.build / "apps" / "rampart" / "rampart"
    load = args.build / "perf" / "load" / "rampart-load"
    for binary in (rampart, load):
        if not binary.exists():
            print(f"memif_zero_copy: {binary} is missing: build first (ninja -C {args.build})", file=sys.stderr)
            return 1
    reserved_before = int(NR_HUGEPAGES.read_text()) if NR_HUGEPAGES.exists() else 0
    setup = REPO / "scripts" / "setup-hugepages.sh"
    try:
        if free_hugepages() < PAGES:
            testbed.run([str(setup), str(reserved_before + PAGES - free_hugepages())])
        print("| flood (SYN/s asked) | offered SYN/s | answered/s | legit ok | connect p50 / p99 µs "
              "| engine cycles/pkt | engine busy |")
        print("|---|---|---|---|---|---|---|")
        for rate in args.rates.split(","):
            with testbed.Bed("zc") as bed:
                result = bed.run_load_zero_copy(rampart, load, ["--syn-rate", rate, "--legit-rate",
                                                                str(args.legit_rate)], args.seconds)
            print(row(rate, result["final"]), flush=True)
    finally:
        if int(NR_HUGEPAGES.read_text()) != reserved_before:
            testbed.run([str(setup), str(reserved_before)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
