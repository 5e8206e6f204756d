#!/usr/bin/python3
"""No reflector: the per-lcore budgets of RSTs (tcp.rst_per_second) and challenge ACKs
(tcp.challenge_acks_per_second_lcore, on top of RFC 5961's per-connection limit) hold against
bursts of spoofed segments, every segment past them is counted, and a real client is still
served.

Crafted segments come from SPOOFED_IP, an address the namespace's kernel does not own: the
engine answers through the link's neighbour and the kernel drops the answers silently, while the
capture on the tap sees each of them (docs/tcp.md, "Replies to unauthenticated segments").
"""

from __future__ import annotations

import random
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

RST_PER_SECOND = 20
CHALLENGE_PER_LCORE = 15
CHALLENGE_PER_CONNECTION = 10
CONFIG = {"tcp": {"rst_per_second": RST_PER_SECOND,
                  "challenge_acks_per_second_lcore": CHALLENGE_PER_LCORE,
                  "challenge_acks_per_second": CHALLENGE_PER_CONNECTION}}
SPOOFED_IP = "10.77.0.66"
FORGED_ACKS = 300
CONNECTIONS = 4
STORM_PER_CONNECTION = 40  # in-window RSTs, and as many SYNs


class Reflector(h.EngineTests):
    ENGINE_CONFIG = CONFIG

    def crafted(self, sport: int, flags: str, seq: int, ack: int = 0, options: list | None = None) -> bytes:
        return bytes(Ether(dst=self.engine_mac, src=self.peer_mac)
                     / IP(src=SPOOFED_IP, dst=self.engine.engine_ip)
                     / TCP(sport=sport, dport=80, flags=flags, seq=seq % 2**32, ack=ack % 2**32,
                           window=64240, options=options or []))

    def replies(self, cap: t.Capture, flags: str, quiet: float = 1.0) -> list[Ether]:
        """Every segment the engine sent to SPOOFED_IP with exactly these flags, until none came
        for `quiet` seconds."""
        found = []
        while True:
            got = cap.next(lambda p, out: not out and t.is_tcp(p, src=self.engine.engine_ip, dst=SPOOFED_IP,
                                                                 flags=flags), quiet)
            if got is None:
                return found
            found.append(Ether(got[0]))

    def assert_real_client_served(self) -> None:
        answer = t.http_get_until_close(self.engine.netns, self.engine.engine_ip)
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:80])

    def test_1_forged_cookie_ack_burst_gets_at_most_the_rst_budget(self) -> None:
        frames = [self.crafted(20000 + i, "A", random.getrandbits(32), random.getrandbits(32))
                  for i in range(FORGED_ACKS)]
        before = self.engine.counters()
        with t.Capture(self.engine) as cap:
            start = time.monotonic()
            for frame in frames:
                cap.send(frame)
            after = t.wait_counters(
                self.engine,
                lambda c: (c["tcp_rst_sent"] + c["tcp_rst_rate_limited"]
                           - before["tcp_rst_sent"] - before["tcp_rst_rate_limited"]) >= FORGED_ACKS,
                20, f"{FORGED_ACKS} forged ACKs answered or counted")
            elapsed = time.monotonic() - start
            rsts = self.replies(cap, "R")
        d = t.delta(after, before, "tcp_rst_sent", "tcp_rst_rate_limited", "tcp_connections_opened")
        h.log(f"{FORGED_ACKS} forged ACKs in {elapsed:.2f} s: {d}, {len(rsts)} RSTs on the wire")
        # Every ACK is either answered or counted, never both, never neither.
        self.assertEqual(d["tcp_rst_sent"] + d["tcp_rst_rate_limited"], FORGED_ACKS, d)
        self.assertEqual(d["tcp_connections_opened"], 0)
        # The bucket starts full (one second's worth) and refills at the rate while the burst runs.
        self.assertGreaterEqual(d["tcp_rst_sent"], RST_PER_SECOND, d)
        self.assertLessEqual(d["tcp_rst_sent"], RST_PER_SECOND * (1 + elapsed) + 1, d)
        self.assertEqual(len(rsts), d["tcp_rst_sent"])
        self.assert_real_client_served()

    def test_2_rst_and_syn_storm_on_live_connections_gets_at_most_the_challenge_budgets(self) -> None:
        # Live connections from SPOOFED_IP, handshakes crafted (cookie path).
        connections = []
        # The real client of test 1 may still be in TIME-WAIT (rampart closed first).
        active = self.engine.counters()["tcp_connections_active"]
        with t.Capture(self.engine) as cap:
            for i in range(CONNECTIONS):
                sport, isn = 30000 + i, random.getrandbits(32)
                cap.send(self.crafted(sport, "S", isn, options=[("MSS", 1460)]))
                got = cap.next(lambda p, out, sport=sport: not out and t.is_tcp(
                    p, src=self.engine.engine_ip, dport=sport, flags="SA"), 3)
                self.assertIsNotNone(got, "no SYN-ACK")
                iss = Ether(got[0])[TCP].seq
                cap.send(self.crafted(sport, "A", isn + 1, iss + 1))
                connections.append((sport, isn, iss))
        opened = t.wait_counters(self.engine, lambda c: c["tcp_connections_active"] == active + CONNECTIONS, 10,
                                 f"{CONNECTIONS} crafted connections open")

        frames = []
        for sport, isn, iss in connections:
            for j in range(STORM_PER_CONNECTION):
                # In the window but not RCV.NXT: a challenge ACK, never a reset (RFC 5961 §3.2).
                frames.append(self.crafted(sport, "R", isn + 2 + j))
                # A SYN, whatever its sequence number (RFC 5961 §4.2).
                frames.append(self.crafted(sport, "S", random.getrandbits(32)))
        storm = len(frames)
        names = ("tcp_challenge_acks_sent", "tcp_challenge_ack_limited", "tcp_challenge_ack_lcore_limited")
        with t.Capture(self.engine) as cap:
            start = time.monotonic()
            for frame in frames:
                cap.send(frame)
            after = t.wait_counters(
                self.engine, lambda c: sum(c[n] - opened[n] for n in names) >= storm, 20,
                f"{storm} storm segments answered or counted")
            elapsed = time.monotonic() - start
            acks = self.replies(cap, "A")
        d = t.delta(after, opened, *names, "tcp_closed_reset", "tcp_out_of_window_acks", "tcp_rst_sent")
        per_connection = {sport: sum(1 for a in acks if a[TCP].dport == sport) for sport, _, _ in connections}
        h.log(f"storm of {storm} in {elapsed:.2f} s: {d}, challenge ACKs on the wire per port {per_connection}")
        self.assertEqual(sum(d[n] for n in names), storm, d)
        self.assertEqual(len(acks), d["tcp_challenge_acks_sent"])
        # Both limits acted: the first connection hit its own, the others the lcore's.
        self.assertGreater(d["tcp_challenge_ack_limited"], 0, d)
        self.assertGreater(d["tcp_challenge_ack_lcore_limited"], 0, d)
        self.assertGreaterEqual(d["tcp_challenge_acks_sent"], CHALLENGE_PER_LCORE, d)
        self.assertLessEqual(d["tcp_challenge_acks_sent"], CHALLENGE_PER_LCORE * (1 + elapsed) + 1, d)
        for sport, count in per_connection.items():
            self.assertLessEqual(count, CHALLENGE_PER_CONNECTION * (1 + int(elapsed) + 1), (sport, count))
        # Each challenge ACK is <SEQ=SND.NXT><ACK=RCV.NXT>: it names the live connection's state.
        for a in acks:
            sport, isn, iss = next(c for c in connections if c[0] == a[TCP].dport)
            self.assertEqual((a[TCP].seq, a[TCP].ack), ((iss + 1) % 2**32, (isn + 1) % 2**32))
        # Nothing was reset, no unlimited out-of-window ACK answered the SYNs, no RST went out.
        self.assertEqual((d["tcp_closed_reset"], d["tcp_out_of_window_acks"], d["tcp_rst_sent"]), (0, 0, 0), d)
        self.assertEqual(after["tcp_connections_active"], active + CONNECTIONS)
        self.assert_real_client_served()


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
