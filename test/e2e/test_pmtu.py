#!/usr/bin/python3
"""Path MTU: ICMP "fragmentation needed" (RFC 1191) about one of rampart's segments, after RFC
5927's checks (docs/tcp.md, "Path MTU").

A crafted client (scapy, from SPOOFED_IP, MSS 1460, a 4380-byte window it never opens) asks the
http app for a 100 kB response and never acknowledges it, so rampart's first flight stays in
flight. A router (ROUTER_IP) then reports "fragmentation needed" quoting the IP header and 8
bytes of one of those segments, as RFC 792 says:
- quoting a sequence number that is not in flight changes nothing: counted, and the next segment
  rampart sends (its retransmission timeout's) is still 1460 bytes;
- quoting a segment in flight with MTU 1000 makes rampart send the flight again at once in
  segments that fit 1000 bytes (MSS 960), counted as icmp_frag_needed_applied.
"""

from __future__ import annotations

import random
import struct
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

BODY_BYTES = 100_000
CONFIG = {"listeners": [{"port": 80, "app": "http", "args": {"body_bytes": str(BODY_BYTES)}}]}
SPOOFED_IP = "10.77.0.66"
ROUTER_IP = "10.77.0.254"
CLIENT_PORT = 47000
WINDOW = 4380
PATH_MTU = 1000


class PathMtu(unittest.TestCase):
    def setUp(self) -> None:
        self.engine = h.Engine(config=CONFIG)
        self.engine.__enter__()
        self.addCleanup(self.engine.close)
        self.engine_mac = self.engine.telemetry("/rampart/port")["mac"]
        self.peer_mac = self.engine.peer_mac()

    def crafted(self, flags: str, seq: int, ack: int = 0, options: list | None = None, payload: bytes = b"") -> bytes:
        return bytes(Ether(dst=self.engine_mac, src=self.peer_mac)
                     / IP(src=SPOOFED_IP, dst=self.engine.engine_ip)
                     / TCP(sport=CLIENT_PORT, dport=80, flags=flags, seq=seq % 2**32, ack=ack % 2**32,
                           window=WINDOW, options=options or [])
                     / Raw(payload))

    def frag_needed(self, quoted: bytes, mtu: int) -> bytes:
        """An ICMP type 3 code 4 from ROUTER_IP quoting `quoted` (the IP header and 8 bytes)."""
        message = bytearray(struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quoted)
        message[2:4] = struct.pack("!H", checksum(bytes(message)))
        return bytes(Ether(dst=self.engine_mac, src=self.peer_mac)
                     / IP(src=ROUTER_IP, dst=self.engine.engine_ip, proto=1) / Raw(bytes(message)))

    def data_segments(self, cap: t.Capture, count: int, timeout: float) -> list[bytes]:
        """The next `count` data segments rampart sends to the client (raw frames), fewer if
        none comes for `timeout` seconds."""
        found: list[bytes] = []
        while len(found) < count:
            got = cap.next(lambda p, out: (not out and t.is_tcp(p, src=self.engine.engine_ip, dst=SPOOFED_IP,
                                                               dport=CLIENT_PORT)
                                           and len(p[TCP].payload) > 0), timeout)
            if got is None:
                break
            found.append(got[0])
        return found

    def test_frag_needed_in_flight_lowers_the_mss_and_one_not_in_flight_changes_nothing(self) -> None:
        isn = random.getrandbits(32)
        with t.Capture(self.engine) as cap:
            cap.send(self.crafted("S", isn, options=[("MSS", 1460)]))
            got = cap.next(lambda p, out: not out and t.is_tcp(p, dport=CLIENT_PORT, flags="SA"), 3)
            self.assertIsNotNone(got, "no SYN-ACK")
            iss = Ether(got[0])[TCP].seq
            request = b"GET / HTTP/1.1\r\nHost: rampart\r\n\r\n"
            cap.send(self.crafted("PA", isn + 1, iss + 1, payload=request))
            # The first flight: the client's window holds three full segments.
            flight = self.data_segments(cap, 3, 3)
            self.assertEqual([len(Ether(f)[TCP].payload) for f in flight], [1460, 1460, 1460])
            self.assertEqual(Ether(flight[0])[TCP].seq, (iss + 1) % 2**32)
            before = self.engine.counters()

            # Not in flight (beyond anything sent): nothing changes.
            quote = bytearray(flight[1][14:14 + 28])
            quote[24:28] = struct.pack("!I", (iss + 1 + 10 * BODY_BYTES) % 2**32)
            cap.send(self.frag_needed(bytes(quote), PATH_MTU))
            ignored = t.wait_counters(self.engine, lambda c: c["icmp_frag_needed_not_in_flight"]
                                      > before["icmp_frag_needed_not_in_flight"], 5, "the bogus error counted")
            self.assertEqual(ignored["icmp_frag_needed_applied"], before["icmp_frag_needed_applied"])
            # The next segment is the retransmission timeout's (1 s initial RTO): still 1460 bytes.
            retransmitted = self.data_segments(cap, 1, 5)
            self.assertEqual(len(retransmitted), 1, "no retransmission after the RTO")
            self.assertEqual(Ether(retransmitted[0])[TCP].seq, (iss + 1) % 2**32)
            self.assertEqual(len(Ether(retransmitted[0])[TCP].payload), 1460)
            self.data_segments(cap, 10, 0.3)  # the rest of the go-back-N flight, if any

            # In flight: the second segment of the flight was too big for the path.
            sent_at = time.monotonic()
            cap.send(self.frag_needed(flight[1][14:14 + 28], PATH_MTU))
            recut = self.data_segments(cap, 4, 0.8)
            elapsed = time.monotonic() - sent_at
            # The timeout above left cwnd at one segment (RFC 5681 §3.1), so the resend is one
            # 960-byte segment; its ACK lets the next ones out, at the new size too.
            if recut:
                acked = Ether(recut[-1])[TCP].seq + len(Ether(recut[-1])[TCP].payload)
                cap.send(self.crafted("A", isn + 1 + len(request), acked))
                recut += self.data_segments(cap, 2, 0.8)
        after = self.engine.counters()
        sizes = [(len(Ether(f)[TCP].payload), Ether(f)[IP].len) for f in recut]
        h.log(f"after frag-needed (MTU {PATH_MTU}): {len(recut)} segments in {elapsed:.2f} s, "
              f"(payload, IP length): {sizes}")
        self.assertEqual(after["icmp_frag_needed_applied"] - before["icmp_frag_needed_applied"], 1)
        self.assertEqual(after["icmp_frag_needed_not_in_flight"] - before["icmp_frag_needed_not_in_flight"], 1)
        # Sent again at once (not at the next RTO, which backed off to 2 s), from SND.UNA, each
        # segment fitting the reported MTU, back to back: cwnd's one segment, then after its ACK
        # at least two more (slow start).
        # (data_segments gives up after 0.8 s of silence, well before that 2 s RTO.)
        self.assertGreaterEqual(len(recut), 3, sizes)
        self.assertEqual(Ether(recut[0])[TCP].seq, (iss + 1) % 2**32)
        for payload, ip_length in sizes:
            self.assertEqual(payload, PATH_MTU - 40)
            self.assertLessEqual(ip_length, PATH_MTU)
        for a, b in zip(recut, recut[1:]):
            self.assertEqual(Ether(b)[TCP].seq, (Ether(a)[TCP].seq + len(Ether(a)[TCP].payload)) % 2**32)
        # A real client still gets the whole response at the port's MTU.
        answer = t.http_get_until_close(self.engine.netns, self.engine.engine_ip)
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:80])
        self.assertEqual(len(answer.split(b"\r\n\r\n", 1)[1]), BODY_BYTES)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
