#!/usr/bin/python3
"""Two worker lcores, one RX/TX queue pair each: the datapath answers on whichever queue a frame
arrives, and the counters of every lcore add up to what /rampart/stats reports.

The two workers share one CPU (EAL lcores 1 and 2 both on CPU 1) so the test also runs on a
2-core machine; that costs latency, not correctness.
"""

from __future__ import annotations

import sys
import time
import unittest
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import frames  # noqa: E402
import rampart_harness as h  # noqa: E402

LCORES = "0@0,1@1,2@1"
WORKERS = (1, 2)


class TwoWorkers(unittest.TestCase):
    engine: h.Engine

    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = h.Engine(lcores=LCORES)
        cls.engine.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.engine.close()

    def lcore(self, lcore_id: int) -> dict[str, int]:
        reply = self.engine.telemetry(f"/rampart/lcore_stats,{lcore_id}")
        self.assertIsInstance(reply, dict, f"/rampart/lcore_stats,{lcore_id} gave {reply!r}")
        return h.counters_of(reply)

    def test_1_port_has_one_queue_pair_per_worker(self) -> None:
        port = self.engine.telemetry("/rampart/port")
        self.assertEqual(port.get("rx_queues"), len(WORKERS), port)
        self.assertEqual(port.get("tx_queues"), len(WORKERS), port)

    def test_2_ping_is_answered(self) -> None:
        result = self.engine.ns_run(h.ping_command(self.engine.engine_ip, 5), check=False)
        self.assertGreaterEqual(h.parse_ping(result.stdout)[1], 5, result.stdout)

    def test_3_malformed_burst_is_counted_exactly_across_workers(self) -> None:
        port = self.engine.telemetry("/rampart/port")
        from_mac = self.engine.peer_mac()
        bad = frames.malformed_frames(port["mac"], from_mac, self.engine.engine_ip,
                                      self.engine.peer_ip)
        expected = Counter(frame.reason for frame in bad)
        reasons = frames.drop_reason_names()
        before = self.engine.drops()
        before_stats = self.engine.counters()
        with self.engine.packet_socket() as sock:
            for frame in bad:
                sock.send(frame.data)

        def delta() -> dict[str, int]:
            after = self.engine.drops()
            return {r: after[r] - before[r] for r in reasons if after[r] != before[r]}

        total = sum(expected.values())
        try:
            h.wait_for(lambda: sum(delta().values()) >= total, 10, f"{total} drops")
        except TimeoutError:
            pass  # the comparison below names the reasons that fell short
        time.sleep(0.3)
        self.assertEqual(delta(), dict(expected))
        # Every frame received ended as exactly one outcome, on whichever worker (docs/stats.md).
        self.assertEqual(h.accounting_gaps(before_stats, self.engine.counters()), {})

    def test_4_lcore_counters_add_up_to_the_totals(self) -> None:
        # Quiet link: nothing is sent while the counters are read, so the sums are exact.
        time.sleep(0.3)
        total = self.engine.counters("/rampart/stats")
        per_lcore = [self.lcore(lcore_id) for lcore_id in WORKERS]
        for name in ("rx_packets", "rx_bytes", "tx_packets", "dropped", "icmp_echo_replied",
                     "arp_requests_answered"):
            self.assertEqual(sum(c[name] for c in per_lcore), total[name], name)
        for reason in frames.drop_reason_names():
            self.assertEqual(sum(c[reason] for c in per_lcore), self.engine.drops()[reason], reason)
        self.assertGreater(total["rx_packets"], 0)

    def test_5_sigterm_exits_zero(self) -> None:
        self.assertEqual(self.engine.stop(), 0, self.engine.output())
        self.assertIn("final counters", self.engine.output())


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
