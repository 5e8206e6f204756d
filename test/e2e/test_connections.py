#!/usr/bin/python3
"""/rampart/connections (docs/operations.md, "Listing connections"): live connections from Linux
clients appear with their 4-tuple, state, byte counts and lcore; filters and the limit select
them; scripts/rampart-ss prints them; with two workers both lcores answer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402
from test_signals import receive_exactly, unacked_bytes  # noqa: E402

ECHO = 7
HTTP = 80
AGE_S = 0.3
SS = Path(__file__).resolve().parents[2] / "scripts" / "rampart-ss"


def listing(engine: h.Engine, params: str = "") -> dict:
    reply = engine.telemetry("/rampart/connections" + (f",{params}" if params else ""))
    assert isinstance(reply, dict), reply
    return reply


def rows(reply: dict) -> list[dict]:
    return [reply["connections"][k] for k in sorted(reply.get("connections", {}), key=int)]


class OneWorker(unittest.TestCase):
    engine: h.Engine

    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = h.Engine(config={"stats": {"interval_seconds": 0}})
        cls.engine.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.engine.close()

    def connect(self, port: int) -> socket.socket:
        sock, _ = t.timed_connect(self.engine.netns, self.engine.engine_ip, port)
        self.addCleanup(sock.close)
        return sock

    def echo_bytes(self, sock: socket.socket, size: int) -> None:
        sock.sendall(b"y" * size)
        self.assertEqual(receive_exactly(sock, size), b"y" * size)
        h.wait_for(lambda: unacked_bytes(sock) == 0, 10, "the engine to ACK every byte")

    def wait_rows(self, params: str, count: int) -> list[dict]:
        return h.wait_for(lambda: len(rows(listing(self.engine, params))) == count and
                          rows(listing(self.engine, params)), 10, f"{count} row(s) for '{params}'")

    def test_1_live_connection_is_listed_with_its_bytes(self) -> None:
        before_connect = time.monotonic()
        sock = self.connect(ECHO)
        connected = time.monotonic()
        self.echo_bytes(sock, 1000)
        self.echo_bytes(sock, 234)
        local_port = sock.getsockname()[1]
        time.sleep(AGE_S)  # an age the listing must show
        # The engine's send queue empties once the client's ACK of the echo arrives.
        listed = time.monotonic()
        row = h.wait_for(lambda: [r for r in rows(listing(self.engine, f"rport={local_port}"))
                                  if r["send_q"] == 0], 10, "the echo acknowledged")[0]
        answered = time.monotonic()
        self.assertEqual(row["state"], "ESTABLISHED")
        self.assertEqual(row["local"], f"{self.engine.engine_ip}:{ECHO}")
        self.assertEqual(row["remote"], f"{self.engine.peer_ip}:{local_port}")
        self.assertEqual(row["bytes_in"], 1234)
        self.assertEqual(row["bytes_out"], 1234)
        self.assertEqual(row["lcore"], 1)
        self.assertEqual(row["recv_q"], 0)
        self.assertGreater(row["peer_wnd"], 0)
        self.assertGreater(row["rto_us"], 0)
        self.assertIn("srtt_us", row, "an RTT sample was taken from the echoed data's ACK")
        # RFC 6928's initial window (10 segments of 1448 or 1460 bytes: with or without timestamps);
        # 1234 bytes never fill it, so it has not grown (RFC 9438 §5.8, RFC 7661).
        self.assertIn(row["cwnd"], (14480, 14600), row)
        # The entry was created by the handshake's ACK, between the connect call and its return,
        # and read between the listing's request and its answer (the engine's TSC clock and
        # CLOCK_MONOTONIC agree within a millisecond here; ms are truncated).
        self.assertGreaterEqual(row["age_ms"], int((listed - connected) * 1000) - 1, row)
        self.assertLessEqual(row["age_ms"], int((answered - before_connect) * 1000) + 1, row)
        reply = listing(self.engine, f"rport={local_port}")
        self.assertEqual(reply["complete"], "yes")
        self.assertEqual(reply["lcores"], {"1": "ok"})
        self.assertEqual((reply["matched"], reply["shown"], reply["omitted"]), (1, 1, 0))

        out = subprocess.run([str(SS), "--prefix", self.engine.file_prefix, "--rport", str(local_port)],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        line = [l for l in out.stdout.splitlines() if l.startswith("ESTABLISHED")]
        self.assertEqual(len(line), 1, out.stdout)
        self.assertEqual(line[0].split()[3:9], [f"{self.engine.engine_ip}:{ECHO}",
                                                f"{self.engine.peer_ip}:{local_port}", "1",
                                                line[0].split()[6], "1234", "1234"], out.stdout)
        self.assertIn("1 shown of 1 matching (lcore 1 ok)", out.stdout)

    def test_2_filters_and_limit(self) -> None:
        echo = [self.connect(ECHO) for _ in range(3)]
        web = self.connect(HTTP)
        for sock in echo:
            self.echo_bytes(sock, 10)
        web_port = web.getsockname()[1]
        # Test 1's connection may still be closing (LAST-ACK): count the established ones.
        self.wait_rows(f"lport={ECHO},state=established", 3)
        by_port = rows(listing(self.engine, f"lport={HTTP}"))
        self.assertEqual([r["remote"] for r in by_port], [f"{self.engine.peer_ip}:{web_port}"])
        self.assertEqual(rows(listing(self.engine, f"rport={echo[1].getsockname()[1]},lport={ECHO}"))[0]["remote"],
                         f"{self.engine.peer_ip}:{echo[1].getsockname()[1]}")
        self.assertEqual(len(rows(listing(self.engine, f"remote={self.engine.peer_ip},lport={HTTP}"))), 1)
        self.assertEqual(listing(self.engine, "remote=10.77.0.99")["matched"], 0)
        self.assertEqual(listing(self.engine, "state=TIME-WAIT,lport=80")["matched"], 0)
        self.assertEqual(listing(self.engine, "state=fin_wait_2")["matched"], 0)
        limited = listing(self.engine, f"lport={ECHO},state=established,limit=2")
        self.assertEqual(limited["shown"], 2)
        self.assertEqual(len(rows(limited)), 2)
        self.assertEqual(limited["matched"], 3, "matched counts past the limit")
        self.assertEqual(limited["limit"], 2)
        self.assertEqual(listing(self.engine)["limit"], 50, "the default limit")

    def test_3_bad_parameters_name_the_fix(self) -> None:
        for params, text in (("limit=51", "limit= takes 1..50"), ("limit=0", "limit= takes 1..50"),
                             ("state=open", "state= takes an RFC 9293 state"),
                             ("remote=10.77.0", "remote= takes an IPv4 address"),
                             ("lport=70000", "lport= takes a port number"), ("color=red", "unknown parameter")):
            with self.subTest(params=params):
                self.assertIn(text, listing(self.engine, params)["error"])
        out = subprocess.run([str(SS), "--prefix", self.engine.file_prefix, "--limit", "51"],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 2)
        self.assertIn("limit= takes 1..50", out.stderr)
        out = subprocess.run([str(SS), "--prefix", "no-such-engine"], capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 1)
        self.assertIn("no telemetry socket at", out.stderr)

    def test_4_a_full_reply_fits_telemetry(self) -> None:
        # 55 connections, limit 50: DPDK 22.11 writes a reply into 16 KiB and silently drops what
        # does not fit; all 50 rows must arrive whole (the JSON parses, every row is there).
        socks = [self.connect(HTTP) for _ in range(55)]
        reply = h.wait_for(lambda: (r := listing(self.engine, f"lport={HTTP},limit=50"))["matched"] == 55 and r,
                           10, "55 connections listed")
        self.assertEqual((reply["shown"], reply["omitted"]), (50, 0))
        listed = rows(reply)
        self.assertEqual(len(listed), 50)
        self.assertEqual(len({r["remote"] for r in listed}), 50)
        self.assertTrue({r["remote"] for r in listed} <= {f"{self.engine.peer_ip}:{s.getsockname()[1]}" for s in socks})
        self.assertEqual(listing(self.engine, f"lport={HTTP}")["shown"], 50, "the default limit")


class TwoWorkers(unittest.TestCase):
    def test_both_lcores_answer_and_list_their_connections(self) -> None:
        with h.Engine(lcores="0@0,1@1,2@1", config={"stats": {"interval_seconds": 0}}) as engine:
            socks = []
            try:
                for _ in range(12):
                    sock, _ = t.timed_connect(engine.netns, engine.engine_ip, ECHO)
                    socks.append(sock)
                reply = h.wait_for(lambda: (r := listing(engine, f"lport={ECHO}"))["matched"] == 12 and r, 10,
                                   "12 connections listed")
                self.assertEqual(reply["lcores"], {"1": "ok", "2": "ok"})
                self.assertEqual(reply["complete"], "yes")
                lcores = {r["lcore"] for r in rows(reply)}
                per_lcore = {lcore: engine.counters(f"/rampart/lcore_stats,{lcore}")["tcp_connections_active"]
                             for lcore in (1, 2)}
                self.assertEqual(sum(per_lcore.values()), 12)
                # Each row comes from the lcore whose table holds it: the rows per lcore match its gauge.
                for lcore in (1, 2):
                    self.assertEqual(sum(1 for r in rows(reply) if r["lcore"] == lcore), per_lcore[lcore], reply)
                self.assertEqual(lcores, {l for l, n in per_lcore.items() if n}, reply)
                self.assertTrue(all(n > 0 for n in per_lcore.values()),
                                f"RSS spread 12 connections over both queues: {per_lcore}")
            finally:
                for sock in socks:
                    sock.close()


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
