#!/usr/bin/python3
"""A SYN flood (hping3 --flood --rand-source) at the engine while a Linux client opens 1,000
connections: every connection must complete, the flood must create no connection state, and the
engine's memory must be what it was before the flood.

Why these checks catch the failures that matter:
  * tcp_connections_opened moves by exactly the client's connections: a listener that kept state
    per SYN (or opened a connection on a SYN) would show more, or its table would fill.
  * tcp_connections_active returns to 0 once the client has closed everything: no leaked entry.
  * Mbufs: DPDK 22.11's /mempool/info reports sizes, not the in-use count, so a leak is caught
    by its consequence. The flood must push FLOOD_POOL_MULTIPLE times the pool's size through
    the engine (asserted), so leaking one mbuf in FLOOD_POOL_MULTIPLE frames would exhaust the
    pool: net_tap's RX refill would then fail (ethdev rx_nombuf > 0) and the engine would stop
    answering. Both are asserted: rx_nombuf does not move and handshakes still complete after.
  * DPDK heap: the Alloc_size and Alloc_count of every EAL malloc heap (/eal/heap_info) must be
    exactly what they were: the rules forbid allocation on the worker path, so any change is
    state created by the flood (or a leak). Exact, no tolerance: telemetry and logging use libc's
    allocator, not rte_malloc.
  * Process memory: VmRSS after the flood may exceed the pre-flood value by at most
    RSS_TOLERANCE_KIB. The mbuf pool and the connection tables are allocated and touched at
    start-up (rte_pktmbuf_init writes every mbuf header; the warm-up run touched the rest), so
    a steady engine does not grow; the tolerance covers libc and telemetry-thread noise, far
    less than any per-SYN state for the flood's hundreds of thousands of SYNs would take.

Known engine gaps this test can trip over:
  * No retransmission timer in lib/tcp: when the flood makes the tap drop a client's last ACK,
    the engine keeps that connection in LAST-ACK for ever and the "table empty" check fails,
    naming the client-side socket states (test_tcp_handshake.py test_12 reproduces it).
  * net_tap signals every RX event to the process with a queued real-time signal (F_SETSIG);
    they land on the control thread, which under a flood spends its time taking signals, so
    SIGTERM is honoured only tens of seconds later. STOP_TIMEOUT bounds that.

Figures (flood rate seen by the engine, connect latency p50/p99 without and with the flood) are
printed; on this 2-core machine hping3, the kernel and the busy-polling worker share the CPUs, so
the numbers describe the test bed more than the engine.
"""

from __future__ import annotations

import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

CONNECTIONS = 1000
PARALLEL = 1              # sequential: each latency is one handshake, not client queueing
FLOOD_SECONDS = 60        # hping3's hard limit (timeout(1)); the test stops it earlier
MIN_FLOOD_SECONDS = 10
FLOOD_POOL_MULTIPLE = 20  # flood SYNs >= 20 x the mbuf pool: a 1-in-20 leak would exhaust it
RSS_TOLERANCE_KIB = 8 * 1024
STOP_TIMEOUT = 60


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class SynFlood(unittest.TestCase):
    def test_flood_creates_no_state_and_clients_still_connect(self) -> None:
        # Mode always: not even the default's bounded backlog, so the flood must leave no state.
        with h.Engine(config={"tcp": {"syn_cookies": {"mode": "always"}}}) as engine:
            self.run_flood(engine)

    def heaps(self, engine: h.Engine) -> dict[int, tuple[int, int]]:
        """(Alloc_size, Alloc_count) of every EAL malloc heap."""
        result = {}
        for heap_id in engine.telemetry("/eal/heap_list"):
            info = engine.telemetry(f"/eal/heap_info,{heap_id}")
            result[heap_id] = (info["Alloc_size"], info["Alloc_count"])
        return result

    def ethdev(self, engine: h.Engine) -> dict[str, int]:
        return h.counters_of(engine.telemetry("/ethdev/stats,0"))

    def settle(self, engine: h.Engine, opened: int, base: dict[str, int]) -> dict[str, int]:
        """Waits for `opened` connections since base to be opened and closed, the table empty,
        and the counters to stop moving (the flood's backlog drained)."""
        try:
            t.wait_counters(
                engine,
                lambda c: (c["tcp_connections_opened"] - base["tcp_connections_opened"] >= opened
                           and c["tcp_connections_closed"] - base["tcp_connections_closed"]
                           >= opened
                           and c["tcp_connections_active"] == 0),
                30, f"{opened} connections closed and the table empty")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{t.close_diagnostics(engine, 80)}") from None
        previous = engine.counters()
        while True:
            time.sleep(1.0)
            current = engine.counters()
            if current["rx_packets"] == previous["rx_packets"]:
                return current
            previous = current

    def run_flood(self, engine: h.Engine) -> None:
        ip, netns = engine.engine_ip, engine.netns
        pool = engine.telemetry("/mempool/list")
        pool_size = max(engine.telemetry(f"/mempool/info,{name}")["size"] for name in pool
                        if name.startswith("rampart"))

        # Without flood: the baseline latency, and it warms every path (ARP, caches, pages).
        start = engine.counters()
        quiet = t.connect_and_close(netns, ip, 80, CONNECTIONS, parallel=PARALLEL)
        before = self.settle(engine, CONNECTIONS, start)
        ethdev_before = self.ethdev(engine)
        rss_before = vm_rss_kib(engine.process.pid)
        heaps_before = self.heaps(engine)

        with t.background(engine, ["timeout", str(FLOOD_SECONDS), "hping3", "--flood", "-S",
                                   "--rand-source", "-p", "80", ip]) as flood:
            t.wait_counters(engine,
                            lambda c: c["tcp_syn_received"] - before["tcp_syn_received"] >= 10_000,
                            20, "the flood to reach the engine")
            flood_start = engine.counters()
            flood_t0 = time.monotonic()
            flooded = t.connect_and_close(netns, ip, 80, CONNECTIONS, parallel=PARALLEL)
            client_seconds = time.monotonic() - flood_t0
            # Keep flooding for a while and until enough frames went through to make the leak
            # check meaningful.
            t.wait_counters(engine,
                            lambda c: (c["tcp_syn_received"] - before["tcp_syn_received"]
                                       >= FLOOD_POOL_MULTIPLE * pool_size
                                       and time.monotonic() - flood_t0 >= MIN_FLOOD_SECONDS),
                            FLOOD_SECONDS, "enough flood SYNs")
            if flood.poll() is not None:
                self.fail("hping3 ended before the client finished: the connections did not "
                          f"all run under flood\n{flood.stderr.read()}")
            flood_end = engine.counters()
            flood_seconds = time.monotonic() - flood_t0

        after = self.settle(engine, CONNECTIONS, before)
        ethdev_after = self.ethdev(engine)
        rss_after = vm_rss_kib(engine.process.pid)
        heaps_after = self.heaps(engine)

        syn_rate = (flood_end["tcp_syn_received"] - flood_start["tcp_syn_received"]) / flood_seconds
        rx_rate = (flood_end["rx_packets"] - flood_start["rx_packets"]) / flood_seconds
        h.log(f"flood seen by the engine: {syn_rate:,.0f} SYN/s ({rx_rate:,.0f} frames/s) "
              f"over {flood_seconds:.1f} s; SYNs in total "
              f"{after['tcp_syn_received'] - before['tcp_syn_received']:,}; "
              f"ethdev imissed +{ethdev_after['imissed'] - ethdev_before['imissed']:,}")
        h.log(f"connect latency, {CONNECTIONS} sequential connections: "
              f"without flood p50 {t.percentile(quiet, 50) * 1e3:.2f} ms "
              f"p99 {t.percentile(quiet, 99) * 1e3:.2f} ms; "
              f"under flood p50 {t.percentile(flooded, 50) * 1e3:.2f} ms "
              f"p99 {t.percentile(flooded, 99) * 1e3:.2f} ms")
        h.log(f"{CONNECTIONS} connections took {client_seconds:.1f} s under flood")
        h.log(f"VmRSS {rss_before} KiB before the flood, {rss_after} KiB after; EAL heaps "
              f"(alloc bytes, count) {heaps_before} before, {heaps_after} after")

        self.assertEqual(len(flooded), CONNECTIONS)
        # The flood hit: many more SYNs than connections, each answered with a cookie.
        syns = after["tcp_syn_received"] - before["tcp_syn_received"]
        self.assertGreaterEqual(syns, FLOOD_POOL_MULTIPLE * pool_size)
        self.assertGreater(after["tcp_syncookies_sent"] - before["tcp_syncookies_sent"],
                           syns // 2)
        # ... and created no state: exactly the client's connections were opened and closed.
        self.assertEqual(t.delta(after, before, "tcp_connections_opened",
                                 "tcp_connections_closed", "tcp_syncookies_validated",
                                 "tcp_table_full_refusals"),
                         {"tcp_connections_opened": CONNECTIONS,
                          "tcp_connections_closed": CONNECTIONS,
                          "tcp_syncookies_validated": CONNECTIONS,
                          "tcp_table_full_refusals": 0})
        self.assertEqual(after["tcp_connections_active"], 0)
        self.assertEqual(ethdev_after["rx_nombuf"], ethdev_before["rx_nombuf"],
                         "RX refill failed: mbufs ran out (a leak, or the pool is too small)")
        self.assertTrue(heaps_before, "no EAL heap reported")
        self.assertEqual(heaps_after, heaps_before, "EAL heap allocations changed")
        self.assertLessEqual(rss_after, rss_before + RSS_TOLERANCE_KIB)

        # Still serving.
        check = engine.counters()
        t.connect_and_close(netns, ip, 80, 50, parallel=PARALLEL)
        self.settle(engine, 50, check)

        # And still stoppable: SIGTERM ends it cleanly. The bound is generous on purpose (see
        # the report in the log line): the control thread was seen to take 10-20 s to notice
        # SIGTERM after a flood on this 2-core machine; a hang still fails.
        stop_t0 = time.monotonic()
        self.assertEqual(engine.stop(timeout=STOP_TIMEOUT), 0, engine.output()[-2000:])
        h.log(f"SIGTERM to exit after the flood: {time.monotonic() - stop_t0:.1f} s")


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
