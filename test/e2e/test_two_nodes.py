#!/usr/bin/python3
"""Two nodes, one secret (docs/syncookies.md, "Several nodes"): two rampart processes behind one
address, a router in front that sends every SYN to node A and every other frame to node B
(perf/load/testbed.py TwoNodeBed: veth pairs and tc mirred rules in a namespace the test creates).
rampart-load's legitimate clients therefore get their SYN-ACK from A and send their ACK, their
HTTP request and their FIN to B.

  * Same master secret: every legitimate connection completes and is answered by B's http app,
    with and without a SYN flood (which A takes); A opens no connection and B answers no SYN,
    so each handshake really crossed the nodes.
  * Different secrets (the control that shows the test can fail): B refuses every cookie ACK
    (tcp_cookie_bad_hash) and no connection completes.

Environment: RAMPART_BIN, RAMPART_LOAD_BIN (set by meson).
"""

from __future__ import annotations

import secrets
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "perf" / "load"))

import rampart_harness as h  # noqa: E402
import testbed  # noqa: E402

LOAD_BIN = testbed.LOAD_BIN
SECONDS = 3
LEGIT_RATE = 50
SYN_RATE = 5000
OPTIONS = "mss=1460,ts,ws=7,sack;mss=536,nots,nows,nosack"


def delta(after: dict[str, int], before: dict[str, int], key: str) -> int:
    return after.get(key, 0) - before.get(key, 0)


class TwoNodes(unittest.TestCase):
    def run_clients(self, bed: testbed.TwoNodeBed, syn_rate: int) -> tuple[dict, dict, dict]:
        """One rampart-load run: legitimate clients (one GET each), and a flood when syn_rate > 0.
        Returns the final report and both nodes' counter deltas."""
        before = bed.node_counters()
        args = ["--legit-rate", str(LEGIT_RATE), "--requests", "1", "--client-options", OPTIONS,
                "--timeout", "3", "--drain", "3.5"]
        if syn_rate:
            args += ["--syn-rate", str(syn_rate)]
        run = bed.run_load(LOAD_BIN, args, SECONDS)
        after = bed.node_counters()
        a = {k: delta(after["a"], before["a"], k) for k in after["a"]}
        b = {k: delta(after["b"], before["b"], k) for k in after["b"]}
        return run["final"], a, b

    def check_crossed(self, final: dict, a: dict, b: dict, syn_rate: int) -> None:
        legit = final["legit"]
        self.assertGreaterEqual(legit["attempted"], LEGIT_RATE * SECONDS * 0.95, legit)
        self.assertEqual(legit["completed"], legit["attempted"], legit)
        self.assertEqual(legit["responses"], legit["attempted"], legit)
        # A minted every cookie (the flood's and the clients') and opened nothing.
        self.assertGreaterEqual(a["tcp_syncookies_sent"], legit["attempted"] + final["traffic"]["syn_offered"], a)
        self.assertEqual(a["tcp_connections_opened"], 0, a)
        # B saw no SYN, validated A's cookies and opened every connection, then served it.
        self.assertEqual(b["tcp_syn_received"], 0, b)
        self.assertEqual(b["tcp_syncookies_validated"], legit["attempted"], b)
        self.assertEqual(b["tcp_connections_opened"], legit["attempted"], b)
        self.assertEqual(b["tcp_cookie_bad_hash"], 0, b)
        if syn_rate:
            # The flood's rate is the generator's business (test_load_smoke checks it); here it
            # only has to be there, and answered by A.
            self.assertGreaterEqual(final["traffic"]["syn_offered"], syn_rate * SECONDS * 0.9)
            self.assertGreaterEqual(final["traffic"]["syn_acks"], final["traffic"]["syn_offered"] * 0.99)

    def test_shared_secret_handshake_crosses_nodes(self) -> None:
        master = secrets.token_bytes(32)
        with testbed.TwoNodeBed("tn") as bed:
            bed.start_nodes(h.rampart_bin(), master, master)
            final, a, b = self.run_clients(bed, 0)
            self.check_crossed(final, a, b, 0)
            final, a, b = self.run_clients(bed, SYN_RATE)
            self.check_crossed(final, a, b, SYN_RATE)
            h.log(f"two nodes: {final['legit']['completed']}/{final['legit']['attempted']} under "
                  f"{final['traffic']['syn_offered'] / SECONDS:.0f} SYN/s, connect p99 "
                  f"{final['latency']['connect']['p99_us'] / 1000:.2f} ms")

    def test_different_secrets_refuse_the_handshake(self) -> None:
        with testbed.TwoNodeBed("tx") as bed:
            bed.start_nodes(h.rampart_bin(), secrets.token_bytes(32), secrets.token_bytes(32))
            final, a, b = self.run_clients(bed, 0)
        legit = final["legit"]
        self.assertGreater(legit["attempted"], 0)
        self.assertEqual(legit["completed"], 0, legit)
        self.assertGreaterEqual(a["tcp_syncookies_sent"], legit["attempted"], a)
        self.assertEqual(b["tcp_connections_opened"], 0, b)
        self.assertGreaterEqual(b["tcp_cookie_bad_hash"], legit["attempted"], b)


if __name__ == "__main__":
    h.require_environment()
    testbed.require_load_binary()
    unittest.main(verbosity=2)
