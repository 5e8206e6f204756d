#!/usr/bin/python3
"""SYN-cookie handshakes with real Linux clients and with scapy, on one worker lcore and on two.

Linux (Python sockets, nc, curl) must complete handshakes; the SYN-ACK must carry the options
the cookie scheme promises (RFC 7323, RFC 2018) with valid checksums; ISNs must differ per
connection; the RFC 9293 §3.10.7 reset rules must hold; closing must empty the table.

The engine runs with a non-default MSS and window scale so that the options checks prove the
values come from the config, not from constants that happen to match Linux's.

Segments crafted with scapy use a source address the namespace's kernel does not own
(SPOOFED_IP): the engine answers it through the link's neighbour, and the kernel, not being that
host, drops the answer silently instead of resetting a handshake it never started.
"""

from __future__ import annotations

import random
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402
from test_signals import unacked_bytes  # noqa: E402

# Cookie handshakes are what this file checks: mode always, not the default auto.
TCP_CONFIG = {"tcp": {"mss": 1400, "window_scale": 5, "syn_cookies": {"mode": "always"}}}
SPOOFED_IP = "10.77.0.66"
LISTEN_PORTS = (80, 7, 9)
CLOSED_PORT = 81
SEQUENTIAL = 200
CONCURRENT = 50


class HandshakeTests:
    """The test body, run by one subclass per worker layout (mixed into rampart_harness.EngineTests)."""

    ENGINE_CONFIG = TCP_CONFIG
    WORKERS: tuple[int, ...] = ()
    engine: h.Engine
    engine_mac: str
    peer_mac: str

    # -- helpers -------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        return self.engine.counters("/rampart/stats")

    def wait_idle(self, before: dict[str, int], opened: int, what: str) -> dict[str, int]:
        """Waits until `opened` more connections were opened and closed again and the table is
        empty; the engine closes on the client's FIN (then the last ACK) or on its RST."""
        return t.wait_counters(
            self.engine,
            lambda c: (c["tcp_connections_opened"] - before["tcp_connections_opened"] >= opened
                       and c["tcp_connections_closed"] - before["tcp_connections_closed"] >= opened
                       and c["tcp_connections_active"] == 0),
            20, what)

    def crafted(self, sport: int, dport: int, flags: str, seq: int, ack: int = 0,
                options: list | None = None) -> bytes:
        return bytes(Ether(dst=self.engine_mac, src=self.peer_mac)
                     / IP(src=SPOOFED_IP, dst=self.engine.engine_ip)
                     / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack,
                           window=64240, options=options or []))

    def reply_to(self, cap: t.Capture, sport: int, dport: int, timeout: float = 3.0) -> Ether | None:
        got = cap.next(lambda p, out: not out and t.is_tcp(p, src=self.engine.engine_ip,
                                                            dst=SPOOFED_IP, sport=dport,
                                                            dport=sport), timeout)
        return Ether(got[0]) if got else None

    def syn_ack_for(self, cap: t.Capture, sport: int, dport: int = 80, seq: int = 1000,
                    options: list | None = None) -> Ether:
        cap.send(self.crafted(sport, dport, "S", seq, options=options or [("MSS", 1460)]))
        reply = self.reply_to(cap, sport, dport)
        self.assertIsNotNone(reply, f"no SYN-ACK for crafted SYN from port {sport}")
        self.assertEqual(reply[TCP].flags, "SA", reply.summary())
        return reply

    # -- Linux clients -------------------------------------------------------------------------

    def test_01_sequential_python_connections(self) -> None:
        before = self.stats()
        latencies = t.connect_and_close(self.engine.netns, self.engine.engine_ip, 80, SEQUENTIAL)
        for port in LISTEN_PORTS:
            latencies += t.connect_and_close(self.engine.netns, self.engine.engine_ip, port, 5)
        total = SEQUENTIAL + 5 * len(LISTEN_PORTS)
        self.assertEqual(len(latencies), total)
        after = self.wait_idle(before, total, f"{total} connections opened and closed")
        # Exactly: nothing else talks TCP in this namespace, and a cookie handshake opens one
        # connection per validated ACK, never two.
        self.assertEqual(t.delta(after, before, "tcp_connections_opened", "tcp_syncookies_sent",
                                 "tcp_syncookies_validated", "tcp_connections_closed"),
                         {"tcp_connections_opened": total, "tcp_syncookies_sent": total,
                          "tcp_syncookies_validated": total, "tcp_connections_closed": total})
        h.log(f"{total} sequential connects: p50 {t.percentile(latencies, 50) * 1e3:.2f} ms, "
              f"p99 {t.percentile(latencies, 99) * 1e3:.2f} ms")

    def test_02_concurrent_connections_held_open(self) -> None:
        before = self.stats()
        sockets = t.open_concurrently(self.engine.netns, self.engine.engine_ip, 80, CONCURRENT)
        try:
            held = t.wait_counters(self.engine,
                                   lambda c: c["tcp_connections_active"] == CONCURRENT, 10,
                                   f"{CONCURRENT} connections in the table")
            self.assertEqual(held["tcp_connections_opened"] - before["tcp_connections_opened"],
                             CONCURRENT)
            # The table holds them: data sent now is taken and ACKed, so every client's send
            # queue drains (the http app waits for the rest of a request line that never ends).
            for sock in sockets:
                sock.sendall(b"x" * 100)
            h.wait_for(lambda: all(unacked_bytes(sock) == 0 for sock in sockets), 10,
                       f"the engine to ACK the 100 bytes of each of {CONCURRENT} connections")
            received = t.wait_counters(
                self.engine, lambda c: c["tcp_bytes_in"] - before["tcp_bytes_in"] >= CONCURRENT * 100, 10,
                "the bytes counted")
            self.assertEqual(received["tcp_bytes_in"] - before["tcp_bytes_in"], CONCURRENT * 100)
        finally:
            for sock in sockets:
                sock.close()
        self.wait_idle(before, CONCURRENT, f"{CONCURRENT} concurrent connections closed")

    def test_03_nc_and_curl_connect(self) -> None:
        before = self.stats()
        for port in LISTEN_PORTS:
            result = self.engine.ns_run(["nc", "-z", "-w", "5", self.engine.engine_ip, str(port)],
                                        check=False)
            self.assertEqual(result.returncode, 0, f"nc -z port {port}: {result.stderr}")
        # curl completes the handshake (%{time_connect} > 0) and the http app answers it.
        result = self.engine.ns_run(["curl", "-s", "-o", "/dev/null", "--connect-timeout", "10",
                                     "-m", "3", "-w", "%{time_connect} %{http_code}",
                                     f"http://{self.engine.engine_ip}/"], check=False)
        connect_time, _, code = result.stdout.partition(" ")
        self.assertGreater(float(connect_time or 0), 0.0, f"curl did not connect (exit {result.returncode})")
        self.assertEqual(code, "200", result.stdout)
        # The counter-check: to a port nobody listens on curl cannot connect (exit 7, refused).
        refused = self.engine.ns_run(["curl", "-s", "-o", "/dev/null", "--connect-timeout", "10",
                                      "-w", "%{time_connect}",
                                      f"http://{self.engine.engine_ip}:{CLOSED_PORT}/"],
                                     check=False)
        self.assertEqual(refused.returncode, 7, refused.stdout)
        self.wait_idle(before, len(LISTEN_PORTS) + 1, "nc and curl connections closed")

    def test_04_linux_syn_ack_options(self) -> None:
        with t.Capture(self.engine) as cap:
            sock, _ = t.timed_connect(self.engine.netns, self.engine.engine_ip, 80)
            sport = sock.getsockname()[1]
            sock.close()
            syn = cap.next(lambda p, out: out and t.is_tcp(p, dport=80, sport=sport, flags="S"))
            syn_ack = cap.next(lambda p, out: not out and t.is_tcp(p, sport=80, dport=sport,
                                                                    flags="SA"))
        self.assertIsNotNone(syn, "the client's SYN was not captured")
        self.assertIsNotNone(syn_ack, "no SYN-ACK captured")
        client = t.tcp_options(Ether(syn[0]))
        # Linux's default SYN (the premise of this test; sysctls of a fresh namespace).
        self.assertTrue({"MSS", "WScale", "SAckOK", "Timestamp"} <= client.keys(), client)
        packet = Ether(syn_ack[0])
        ours = t.tcp_options(packet)
        self.assertEqual(ours.get("MSS"), TCP_CONFIG["tcp"]["mss"], ours)
        self.assertEqual(ours.get("WScale"), TCP_CONFIG["tcp"]["window_scale"], ours)
        self.assertIn("SAckOK", ours)
        self.assertIn("Timestamp", ours)
        # RFC 7323 §4.3: TSecr echoes the TSval of the segment being acknowledged.
        self.assertEqual(ours["Timestamp"][1], client["Timestamp"][0])
        self.assertEqual(packet[TCP].ack, (Ether(syn[0])[TCP].seq + 1) % 2**32)
        self.assertEqual(t.checksums_valid(syn_ack[0]), (True, True))

    # -- crafted segments ----------------------------------------------------------------------

    def test_05_syn_without_timestamps_gets_mss_only_and_completes(self) -> None:
        before = self.stats()
        sport, isn = 41005, 0x01020304
        with t.Capture(self.engine) as cap:
            syn_ack = self.syn_ack_for(cap, sport, seq=isn,
                                       options=[("MSS", 1460), ("SAckOK", b""), ("WScale", 7)])
            # Without Timestamps a cookie has nowhere to keep WS and SACK-permitted (they ride
            # in TSval), so the engine must not offer them: offering WS would make both sides
            # scale windows while the engine, after the ACK, could not know the client's shift.
            self.assertEqual(t.tcp_options(syn_ack), {"MSS": TCP_CONFIG["tcp"]["mss"]})
            self.assertEqual(syn_ack[TCP].ack, isn + 1)
            self.assertEqual(t.checksums_valid(bytes(syn_ack)), (True, True))
            cap.send(self.crafted(sport, 80, "A", isn + 1, syn_ack[TCP].seq + 1))
            opened = t.wait_counters(
                self.engine,
                lambda c: c["tcp_connections_opened"] == before["tcp_connections_opened"] + 1,
                10, "the hand-made handshake to open a connection")
            self.assertEqual(opened["tcp_connections_active"], 1)
            # RST at exactly RCV.NXT closes it (RFC 9293 §3.10.7.4 first check, RFC 5961 §3.2).
            cap.send(self.crafted(sport, 80, "R", isn + 1))
            t.wait_counters(self.engine, lambda c: c["tcp_connections_active"] == 0, 10,
                            "the RST to close the hand-made connection")

    def test_06_isns_differ_per_connection(self) -> None:
        count = 128
        isns = []
        with t.Capture(self.engine) as cap:
            for i in range(count):
                isns.append(self.syn_ack_for(cap, 42000 + i, seq=5000 + i)[TCP].seq)
        self.assertEqual(len(set(isns)), count, f"repeated ISNs among {count}")
        # A cookie is a MAC: its low 24 bits must not be a counter or a constant.
        self.assertGreater(len({isn & 0xFFFFFF for isn in isns}), count - 2)

    def test_07_syn_to_closed_port_gets_rst_ack(self) -> None:
        before = self.stats()
        seq = 0x11223344
        with t.Capture(self.engine) as cap:
            cap.send(self.crafted(43001, CLOSED_PORT, "S", seq, options=[("MSS", 1460)]))
            reply = self.reply_to(cap, 43001, CLOSED_PORT)
        self.assertIsNotNone(reply, "no answer to a SYN for a closed port")
        # RFC 9293 §3.10.7.1: no ACK in the segment, so <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
        # where a SYN counts as one octet.
        self.assertEqual(reply[TCP].flags, "RA")
        self.assertEqual(reply[TCP].seq, 0)
        self.assertEqual(reply[TCP].ack, seq + 1)
        self.assertEqual(t.checksums_valid(bytes(reply)), (True, True))
        after = self.stats()
        self.assertEqual(after["tcp_rst_sent"] - before["tcp_rst_sent"], 1)
        self.assertEqual(after["tcp_connections_opened"], before["tcp_connections_opened"])

    def test_08_forged_cookie_ack_gets_rst_and_no_connection(self) -> None:
        with t.Capture(self.engine) as cap:
            # The public part of a fresh cookie (tick and MSS index, top 8 bits) makes the forgery
            # reach the MAC comparison instead of failing the age check.
            genuine = self.syn_ack_for(cap, 44000, seq=777)[TCP].seq
            before = self.stats()
            forged_ack = ((genuine & 0xFF000000) | (random.getrandbits(24) ^ 0x5A5A5A)) + 1
            if (forged_ack - 1) == genuine:
                forged_ack ^= 1
            # A bare ACK from a connection that never sent a SYN.
            cap.send(self.crafted(44001, 80, "A", 9999, forged_ack % 2**32))
            reply = self.reply_to(cap, 44001, 80)
        self.assertIsNotNone(reply, "no RST for an ACK with a forged cookie")
        # RFC 9293 §3.10.7.2 (LISTEN, ACK present): <SEQ=SEG.ACK><CTL=RST>.
        self.assertEqual(reply[TCP].flags, "R")
        self.assertEqual(reply[TCP].seq, forged_ack % 2**32)
        after = t.wait_counters(self.engine,
                                lambda c: c["tcp_cookie_bad_hash"] > before["tcp_cookie_bad_hash"],
                                5, "tcp_cookie_bad_hash to count the forgery")
        self.assertEqual(t.delta(after, before, "tcp_cookie_bad_hash", "tcp_connections_opened",
                                 "tcp_syncookies_validated", "tcp_connections_active"),
                         {"tcp_cookie_bad_hash": 1, "tcp_connections_opened": 0,
                          "tcp_syncookies_validated": 0, "tcp_connections_active": 0})

    def test_09_rst_to_listening_port_is_dropped_silently(self) -> None:
        before = self.engine.drops()
        stats_before = self.stats()
        with t.Capture(self.engine) as cap:
            cap.send(self.crafted(45001, 80, "R", 123456))
            # RFC 9293 §3.10.7.2: in LISTEN an incoming RST is ignored; no answer may come.
            self.assertIsNone(self.reply_to(cap, 45001, 80, timeout=1.0))
        after = self.engine.drops()
        self.assertEqual(after["tcp_rst_no_connection"] - before["tcp_rst_no_connection"], 1)
        self.assertEqual(self.stats()["tcp_rst_sent"], stats_before["tcp_rst_sent"])

    # When the client's last ACK is lost, Linux sits in TIME-WAIT and never repeats its FIN: the
    # engine's retransmission timer must resend its own (RFC 9293 §3.8.1, RFC 6298).
    def test_12_fin_is_retransmitted_when_the_last_ack_is_lost(self) -> None:
        before = self.stats()
        sport, isn = 46001, 0x0A0B0C0D
        with t.Capture(self.engine) as cap:
            cookie = self.syn_ack_for(cap, sport, seq=isn)[TCP].seq
            cap.send(self.crafted(sport, 80, "A", isn + 1, cookie + 1))
            t.wait_counters(self.engine, lambda c: c["tcp_connections_active"]
                            == before["tcp_connections_active"] + 1, 10, "the connection")
            try:
                cap.send(self.crafted(sport, 80, "FA", isn + 1, cookie + 1))
                first = self.reply_to(cap, sport, 80)
                self.assertIsNotNone(first, "no answer to our FIN")
                self.assertTrue(first[TCP].flags.F, first.summary())
                # We withhold the last ACK. RFC 9293 §3.8.1 and RFC 6298 §2 (initial RTO 1 s,
                # §5.5 doubling) say the FIN comes again; 4 s allows the first retransmission on
                # any sane RTO, the second on a 1 s one.
                again = self.reply_to(cap, sport, 80, timeout=4.0)
                self.assertIsNotNone(again, "FIN not retransmitted: the connection would stay "
                                     "in LAST-ACK for ever")
                self.assertTrue(again[TCP].flags.F)
                self.assertEqual(again[TCP].seq, first[TCP].seq)
            finally:
                # Close it either way so later tests start from an empty table.
                cap.send(self.crafted(sport, 80, "A", isn + 2, cookie + 2))
                t.wait_counters(self.engine, lambda c: c["tcp_connections_active"]
                                == before["tcp_connections_active"], 10, "the close")

    def test_10_still_serving_after_the_bad_segments(self) -> None:
        # The bad segments of the tests above, sent here again so that this test stands alone: a
        # forged cookie ACK and a SYN to a closed port (each answered by a RST), a RST to a
        # listening port (dropped).
        before = self.stats()
        with t.Capture(self.engine) as cap:
            cap.send(self.crafted(47001, 80, "A", 9999, random.getrandbits(32)))
            cap.send(self.crafted(47002, 80, "R", 123456))
            cap.send(self.crafted(47003, CLOSED_PORT, "S", 0x11223344, options=[("MSS", 1460)]))
            dropped = "drops.tcp_rst_no_connection"
            after = t.wait_counters(
                self.engine, lambda c: (c["tcp_rst_sent"] - before["tcp_rst_sent"] >= 2
                                        and c[dropped] > before[dropped]),
                5, "the two RSTs and the dropped one")
        self.assertEqual(t.delta(after, before, "tcp_rst_sent", dropped, "tcp_connections_opened"),
                         {"tcp_rst_sent": 2, dropped: 1, "tcp_connections_opened": 0})
        before = after
        latencies = t.connect_and_close(self.engine.netns, self.engine.engine_ip, 80, 20,
                                        parallel=4)
        self.assertEqual(len(latencies), 20)
        self.wait_idle(before, 20, "20 more connections after the bad segments")


class OneWorker(HandshakeTests, h.EngineTests):
    ENGINE_LCORES = "0-1"
    WORKERS = (1,)


class TwoWorkers(HandshakeTests, h.EngineTests):
    # Both workers on CPU 1 (as test_workers.py does) so this runs on a 2-core machine.
    ENGINE_LCORES = "0@0,1@1,2@1"
    WORKERS = (1, 2)

    def test_11_both_workers_handled_handshakes(self) -> None:
        # 100 connections from as many source ports: net_tap's kernel side spreads flows over its
        # queues by flow hash, so each worker must complete handshakes (more than 20 each: fewer
        # would take a hash far from even, odds below 1e-9). If the engine ran one queue only (or
        # dropped ACKs landing on the "wrong" worker), one of these would stay at zero or the
        # exact total would fail.
        # What this layout cannot show: an ACK validated by another worker than its SYN's. The
        # tun driver steers a flow to the queue its replies were written on (automq flow table),
        # so SYN and ACK of one flow always meet the same worker here; that case needs RSS on a
        # real NIC or the unit tests of the cookie key sharing.
        port = self.engine.telemetry("/rampart/port")
        self.assertEqual(port.get("rx_queues"), 2, port)

        def per_lcore() -> dict[int, dict[str, int]]:
            return {lcore: h.counters_of(self.engine.telemetry(f"/rampart/lcore_stats,{lcore}"))
                    for lcore in self.WORKERS}

        before, before_total = per_lcore(), self.stats()
        connections = 100
        self.assertEqual(len(t.connect_and_close(self.engine.netns, self.engine.engine_ip, 80, connections)),
                         connections)
        self.wait_idle(before_total, connections, f"{connections} connections opened and closed")
        after = per_lcore()
        opened = {lcore: after[lcore]["tcp_connections_opened"] - before[lcore]["tcp_connections_opened"]
                  for lcore in self.WORKERS}
        for lcore in self.WORKERS:
            syns = after[lcore]["tcp_syn_received"] - before[lcore]["tcp_syn_received"]
            self.assertGreater(syns, 20, f"lcore {lcore}: {syns} SYNs of {connections}")
            self.assertGreater(opened[lcore], 20, f"lcore {lcore}: {opened[lcore]} of {connections}")
        self.assertEqual(sum(opened.values()), connections)
        total = self.stats()
        for name in ("tcp_syn_received", "tcp_connections_opened", "tcp_connections_closed"):
            self.assertEqual(sum(c[name] for c in after.values()), total[name], name)
        h.log("per-worker handshakes: " + ", ".join(f"lcore {lcore} {n}" for lcore, n in opened.items()))


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
