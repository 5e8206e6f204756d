"""Out-of-order data end to end, on real mbufs: rampart queues what arrives beyond a hole (a
reference on the mbuf, no copy), SACKs it, and delivers the stream to the echo app once.

- a crafted peer (scapy, from an address the namespace's kernel does not own) sends its stream
  out of order, a duplicate, then the fills: every ACK is checked whole (ACK number, SACK and
  D-SACK blocks, most recent first), the echo returns the stream exactly, and after its RST the
  mbuf pool is back at its idle in-use count;
- the same peer in cookie mode always sends its second data segment ahead of the handshake's ACK
  and first segment: the connection opens from the cookie with the ISN rampart remembered from
  the SYN, the segment is queued and SACKed, the late ACK passes PAWS, the echo is exact
  (tcp_syncookies_reordered);
- Linux sends through netem (delay with reordering and 1 % loss on the namespace's side of the
  tap, so only segments towards rampart are disturbed): 4 MiB echoed over 2 connections,
  SHA-256 equal, tcp_ooo_queued and tcp_sack_blocks_sent above 0, no mbuf left held. Where the
  kernel has no netem (sch_netem), the same through the slow suite's user-space relay
  (lossy_link.py), both directions disturbed.
"""

from __future__ import annotations

import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402
from lossy_link import ECHO_PORT, RAMPART_IP, Impairment, LossyBed, echo_transfer  # noqa: E402

SPOOFED_IP = "10.77.0.66"  # the crafted peer: the namespace's kernel does not own it (no RST back)

CONFIG = {
    "listeners": [{"port": 7, "app": "echo"}],
    # Mode always: test_3 is the cookie path's (a backlog entry would need no remembered ISN).
    "tcp": {"time_wait_seconds": 1, "syn_cookies": {"mode": "always"}},
}
# 25 % of the segments skip the 4 ms delay (netem's reordering), 1 % are lost.
NETEM = ["delay", "4ms", "reorder", "25%", "50%", "loss", "1%"]


class CraftedPeer:
    """A client crafted with scapy from SPOOFED_IP (SACK-permitted, timestamps): its segments,
    and checks of what the engine answers. Offsets count from the ISN (the SYN is 0)."""

    def __init__(self, test: "Reordering", sport: int, isn: int, stream: bytes):
        self.test = test
        self.engine = test.engine
        self.sport = sport
        self.isn = isn
        self.stream = stream
        self.tsval = 100
        self.their_tsval = 0
        self.cookie = 0
        self.echoed: dict[int, bytes] = {}

    def crafted(self, flags: str, offset: int, ack: int = 0, payload: bytes = b"", tsval: int | None = None) -> bytes:
        """A segment at ISN + offset; TSval the next of the peer's clock unless given."""
        self.tsval = tsval if tsval is not None else self.tsval + 1
        options: list[tuple[str, object]] = [("Timestamp", (self.tsval, self.their_tsval))]
        if flags == "S":
            options = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (self.tsval, 0))]
        return bytes(Ether(dst=self.test.engine_mac, src=self.test.peer_mac)
                     / IP(src=SPOOFED_IP, dst=self.engine.engine_ip)
                     / TCP(sport=self.sport, dport=7, flags=flags, seq=(self.isn + offset) & 0xFFFFFFFF, ack=ack,
                           window=64240, options=options)
                     / payload)

    def from_engine(self, p: Ether, out: bool) -> bool:
        return not out and t.is_tcp(p, src=self.engine.engine_ip, dst=SPOOFED_IP, sport=7, dport=self.sport)

    def handshake_syn(self, cap: t.Capture) -> int:
        """Sends the SYN; checks the SYN-ACK keeps SACK; returns the ACK number that answers it."""
        cap.send(self.crafted("S", 0))
        got = cap.next(self.from_engine)
        self.test.assertIsNotNone(got, "no SYN-ACK")
        syn_ack = Ether(got[0])
        self.cookie = syn_ack[TCP].seq
        self.test.assertIn("SAckOK", t.tcp_options(syn_ack))
        self.their_tsval = t.tcp_options(syn_ack)["Timestamp"][0]
        return (self.cookie + 1) & 0xFFFFFFFF

    def expect_ack(self, cap: t.Capture, ack_offset: int, blocks: list[tuple[int, int]]) -> None:
        """Reads the engine's segments (keeping echoed data): the first ACK, alone or on
        echoed data with room for the blocks, must acknowledge ack_offset and carry exactly
        these SACK blocks (offsets in the stream, most recent first)."""
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            got = cap.next(self.from_engine, timeout=1.0)
            if got is None:
                continue
            seg = Ether(got[0])[TCP]
            if "R" in str(seg.flags):
                self.test.fail(f"a RST where an ACK for {ack_offset} was due: {seg.summary()}")
            options = t.tcp_options(Ether(got[0]))
            self.their_tsval = options["Timestamp"][0]
            if bytes(seg.payload):
                self.echoed[seg.seq] = bytes(seg.payload)
                if len(options.get("SAck", ())) < 2 * len(blocks):
                    continue  # no room beside the data: the ACK follows alone with them all
            self.test.assertEqual(seg.ack, (self.isn + 1 + ack_offset) & 0xFFFFFFFF, seg.summary())
            edges = tuple(x for left, right in blocks
                          for x in ((self.isn + 1 + left) & 0xFFFFFFFF, (self.isn + 1 + right) & 0xFFFFFFFF))
            self.test.assertEqual(options.get("SAck", ()), edges, seg.summary())
            return
        self.test.fail(f"no ACK for {ack_offset} with blocks {blocks}")

    def expect_echo_then_reset(self, cap: t.Capture) -> None:
        """Everything echoed, in order, once (acknowledged as it comes: Nagle holds a short
        tail while data is unacknowledged); then the peer resets the connection."""
        end = 1 + len(self.stream)
        deadline = time.monotonic() + 5
        while sum(len(v) for v in self.echoed.values()) < len(self.stream) and time.monotonic() < deadline:
            got_bytes = sum(len(v) for v in self.echoed.values())
            cap.send(self.crafted("A", end, (self.cookie + 1 + got_bytes) & 0xFFFFFFFF))
            got = cap.next(self.from_engine, timeout=0.5)
            if got is not None and bytes(Ether(got[0])[TCP].payload):
                self.echoed[Ether(got[0])[TCP].seq] = bytes(Ether(got[0])[TCP].payload)
        joined = b"".join(self.echoed[k]
                          for k in sorted(self.echoed, key=lambda k: (k - self.cookie - 1) & 0xFFFFFFFF))
        self.test.assertEqual(joined, self.stream)
        cap.send(self.crafted("R", end, 0))


class Reordering(h.EngineTests):
    ENGINE_CONFIG = CONFIG  # closing the engine deletes the namespace, its tap and the tap's qdisc

    def assert_idle(self, what: str) -> None:
        t.wait_counters(self.engine, lambda c: c["tcp_connections_active"] == 0 and c["tcp_ooo_buffers_held"] == 0,
                        20, f"{what}: empty table, no out-of-order mbuf held")
        self.assert_pool_idle(what)

    def test_1_crafted_peer_holes_sack_dsack_and_fill(self) -> None:
        before = self.engine.counters("/rampart/stats")
        peer = CraftedPeer(self, 47101, 0x50607080, bytes((i * 7 + i // 251) & 0xFF for i in range(4000)))
        with t.Capture(self.engine) as cap:
            ack = peer.handshake_syn(cap)
            cap.send(peer.crafted("A", 1, ack))
            # Two holes: [0, 1000) and [2000, 3000).
            cap.send(peer.crafted("A", 1 + 1000, ack, peer.stream[1000:2000]))
            peer.expect_ack(cap, 0, [(1000, 2000)])
            cap.send(peer.crafted("A", 1 + 3000, ack, peer.stream[3000:4000]))
            peer.expect_ack(cap, 0, [(3000, 4000), (1000, 2000)])
            # A duplicate of queued data: D-SACK first, then the block holding it.
            cap.send(peer.crafted("A", 1 + 1200, ack, peer.stream[1200:1500]))
            peer.expect_ack(cap, 0, [(1200, 1500), (1000, 2000), (3000, 4000)])
            # The first hole fills: ACK up to 2000 at once, the block beyond still reported.
            cap.send(peer.crafted("A", 1, ack, peer.stream[0:1000]))
            peer.expect_ack(cap, 2000, [(3000, 4000)])
            cap.send(peer.crafted("A", 1 + 2000, ack, peer.stream[2000:3000]))
            peer.expect_ack(cap, 4000, [])
            peer.expect_echo_then_reset(cap)
        self.assert_idle("crafted peer")
        after = self.engine.counters("/rampart/stats")
        self.assertEqual(after["tcp_ooo_queued"] - before["tcp_ooo_queued"], 2)
        self.assertEqual(after["tcp_dsack_sent"] - before["tcp_dsack_sent"], 1)

    def test_3_crafted_peer_data_overtakes_the_cookie_ack(self) -> None:
        """syn_cookies.mode always: the peer's second data segment arrives before
        the handshake's ACK and its first segment. The listener checks its cookie with the ISN
        it remembered from the SYN, opens the connection with the segment queued (a duplicate
        ACK for ISN + 1 with its SACK block), and the late ACK, whose TSval is older than the
        overtaking segment's, is not refused by PAWS: the echo returns both segments once."""
        before = self.engine.counters("/rampart/stats")
        peer = CraftedPeer(self, 47103, 0x0A0B0C0D, bytes((i * 13 + 5) & 0xFF for i in range(2000)))
        with t.Capture(self.engine) as cap:
            ack = peer.handshake_syn(cap)  # TSval 101
            cap.send(peer.crafted("A", 1 + 1000, ack, peer.stream[1000:2000], tsval=104))
            peer.expect_ack(cap, 0, [(1000, 2000)])
            cap.send(peer.crafted("A", 1, ack, tsval=102))  # the handshake's ACK, sent first
            cap.send(peer.crafted("A", 1, ack, peer.stream[0:1000], tsval=103))
            peer.expect_ack(cap, 2000, [])
            peer.expect_echo_then_reset(cap)
        self.assert_idle("overtaken cookie ACK")
        moved = t.delta(self.engine.counters("/rampart/stats"), before, "tcp_syncookies_reordered",
                        "tcp_syncookies_validated", "tcp_cookie_bad_hash", "tcp_paws_rejected", "tcp_ooo_queued")
        self.assertEqual(moved, {"tcp_syncookies_reordered": 1, "tcp_syncookies_validated": 1,
                                 "tcp_cookie_bad_hash": 0, "tcp_paws_rejected": 0, "tcp_ooo_queued": 1})

    def test_2_linux_through_netem_reordering_and_loss(self) -> None:
        result = h.run(["ip", "netns", "exec", self.engine.netns, "tc", "qdisc", "add", "dev", self.engine.tap,
                        "root", "netem", *NETEM], check=False)
        if result.returncode != 0:
            h.log(f"netem unavailable ({result.stderr.strip()}): the slow suite's user-space relay instead")
            self.echo_through_relay()
            return
        try:
            self.echo_through_netem()
        finally:
            h.run(["ip", "netns", "exec", self.engine.netns, "tc", "qdisc", "del", "dev", self.engine.tap, "root"],
                  check=False)

    def echo_through_relay(self) -> None:
        """The same transfer where the kernel has no sch_netem: Linux and rampart (net_af_packet on a
        veth) on either side of impair.py, netem's semantics in user space (lossy_link.py), both
        directions disturbed as NETEM disturbs one; cookies stay on (mode always), so the
        handshakes go through reordering too."""
        with LossyBed() as bed:
            bed.start_impairment(Impairment(loss=1.0, duplicate=0.0, reorder=25.0, delay_ms=4.0, jitter_ms=0.0), seed=25)
            bed.start_rampart({"tcp": {"syn_cookies": {"mode": "always"}}})
            idle = int(bed.telemetry("/rampart/port")["mbufs_in_use"])
            started = time.monotonic()
            result = echo_transfer(bed.ns_client, RAMPART_IP, ECHO_PORT, 2, 2 << 20, 20, 240)
            self.assertEqual(result.failures(), [], bed.client_sockets_report(RAMPART_IP))
            self.check_reordering_seen("the relay", started, bed.counters())
            h.wait_for(lambda: bed.counters()["tcp_connections_active"] == 0, 60, "rampart's connection table to empty")
            h.wait_for(lambda: int(bed.telemetry("/rampart/port")["mbufs_in_use"]) == idle, 20,
                       "the mbuf pool back at its idle count")
            self.assertEqual(bed.stop_rampart(), 0, bed.log("rampart.log"))
            bed.stop_impairment()

    def echo_through_netem(self) -> None:
        size = 2 << 20
        started = time.monotonic()
        for sent, echoed in t.parallel_echo(self.engine, 7, size, 2, timeout=240):
            self.assertEqual(sent, echoed)
        self.check_reordering_seen("netem", started, self.engine.counters("/rampart/stats"))
        self.assert_idle("netem echo")

    def check_reordering_seen(self, link: str, started: float, stats: dict[str, int]) -> None:
        """The echo went through reordering: segments were queued beyond a hole and SACKed."""
        h.log(f"reordering echo through {link}: 4 MiB over 2 connections in {time.monotonic() - started:.1f} s; "
              f"queued {stats['tcp_ooo_queued']}, SACK blocks {stats['tcp_sack_blocks_sent']}, "
              f"D-SACK {stats['tcp_dsack_sent']}, duplicates {stats['tcp_duplicate_segments']}, "
              f"refused {stats['tcp_ooo_lcore_budget_refused'] + stats['tcp_ooo_connection_budget_refused']}, "
              f"cookies opened by an overtaking segment {stats['tcp_syncookies_reordered']}")
        self.assertGreater(stats["tcp_ooo_queued"], 0)
        self.assertGreater(stats["tcp_sack_blocks_sent"], 0)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
