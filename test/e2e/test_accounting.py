#!/usr/bin/python3
"""Every frame accounted for (docs/stats.md, "Every frame accounted for").

The namespace's side of the tap gets a 9000-byte MTU so it can send frames the engine's port
(MTU 1500) must not take: a frame over the MTU that fits one mbuf is dropped as rx_oversized; a
frame longer than the mbuf's data room never reaches rampart (net_tap drops it and counts
port.ierrors). Alongside, ordinary echo requests are answered. Then every frame the namespace
sent is found again: port.ipackets + port.ierrors, and rx_packets = replies + consumed + dropped.
A second test makes net_tap refuse replies (its interface went down) and finds them as
tx_refused, not tx_ring_full.
"""

from __future__ import annotations

import signal
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import ICMP, IP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import rampart_harness as h  # noqa: E402

NORMAL, OVERSIZED, TOO_LONG = 20, 7, 5
REFUSED = 50
OVERSIZED_LENGTH = 1700   # > 1514 (MTU 1500 + 14), < the 2048-byte data room
TOO_LONG_LENGTH = 4000    # beyond the data room


class Accounting(unittest.TestCase):

    def test_every_frame_sent_is_counted_once(self) -> None:
        with h.Engine(config={"stats": {"interval_seconds": 0}}) as engine:
            engine.ns_run(["ip", "link", "set", "dev", engine.tap, "mtu", "9000"])
            engine_mac = engine.telemetry("/rampart/port")["mac"]
            peer_mac = engine.peer_mac()
            sent_path = f"/sys/class/net/{engine.tap}/statistics/tx_packets"

            def peer_sent() -> int:
                return int(engine.ns_run(["cat", sent_path]).stdout)

            def echo(length: int, seq: int) -> bytes:
                head = Ether(src=peer_mac, dst=engine_mac) / IP(src=engine.peer_ip, dst=engine.engine_ip) \
                    / ICMP(id=0x4242, seq=seq)
                return bytes(head / (b"p" * (length - len(head))))

            def quiet() -> tuple[dict[str, int], int] | None:
                """Counters and the peer's sent count once neither moved for 300 ms (nothing in
                flight between them: the harness's own pings and ARP are done)."""
                first = engine.counters(), peer_sent()
                time.sleep(0.3)
                second = engine.counters(), peer_sent()
                return second if first == second else None

            before, sent_before = h.wait_for(quiet, 10, "the link to be quiet")
            with engine.packet_socket() as sock:
                for i in range(NORMAL):
                    sock.send(echo(98, i))
                for i in range(OVERSIZED):
                    sock.send(echo(OVERSIZED_LENGTH, 100 + i))
                for i in range(TOO_LONG):
                    sock.send(echo(TOO_LONG_LENGTH, 200 + i))

            def settled() -> dict[str, int] | None:
                now = engine.counters()
                arrived = now["port.ipackets"] + now["port.ierrors"] + now["port.imissed"]
                expected = before["port.ipackets"] + before["port.ierrors"] + before["port.imissed"] \
                    + peer_sent() - sent_before
                return now if arrived == expected and h.frame_outcomes(now) == now["rx_packets"] else None

            try:
                h.wait_for(settled, 10, "every frame the namespace sent to be counted")
                after, _ = h.wait_for(quiet, 10, "the link to be quiet again")
            except TimeoutError as error:
                raise AssertionError(f"{error}: {engine.counters()}, peer sent "
                                     f"{peer_sent() - sent_before}") from None

            def moved(name: str) -> int:
                return after[name] - before[name]

            sent = peer_sent() - sent_before
            self.assertGreaterEqual(sent, NORMAL + OVERSIZED + TOO_LONG)
            self.assertEqual(moved("drops.rx_oversized"), OVERSIZED)
            self.assertEqual(moved("port.ierrors"), TOO_LONG, "net_tap drops what the data room cannot hold")
            self.assertGreaterEqual(moved("icmp_echo_replied"), NORMAL)
            self.assertEqual(moved("port.ipackets") + moved("port.ierrors") + moved("port.imissed"), sent)
            self.assertEqual(h.accounting_gaps(before, after), {})
            self.assertEqual(moved("drops.tx_ring_full") + moved("drops.tx_refused"), 0)
            h.log(f"namespace sent {sent}: engine received {moved('rx_packets')} "
                  f"(replied {moved('tx_packets')}, consumed {moved('consumed')}, "
                  f"dropped {moved('dropped')}), driver dropped {moved('port.ierrors')}")

            # The tap lives in the namespace now: net_tap cannot read its state any more, and the
            # engine says so instead of reporting the link down (drivers-notes/net_tap.md).
            self.assertEqual(engine.telemetry("/rampart/port")["link"], "unknown")
            self.assertIn("rampart: link unknown (the kernel interface is in another network namespace",
                          engine.output())

            # The final report shows the driver's counters beside rampart's.
            self.assertEqual(engine.stop(), 0)
            output = engine.output()
            self.assertIn(f"rampart:   drop.rx_oversized {after['drops.rx_oversized']}", output)
            self.assertRegex(output, r"rampart:   port\.ierrors [1-9]")


    def test_replies_the_driver_refuses_are_not_a_full_ring(self) -> None:
        """net_tap refuses to write to an interface that is down (the kernel answers EIO): the
        engine is paused (SIGSTOP) while frames queue in the tap, the interface goes down, and
        on SIGCONT every reply is refused: tx_refused, not tx_ring_full."""
        with h.Engine(config={"stats": {"interval_seconds": 0}}) as engine:
            engine_mac = engine.telemetry("/rampart/port")["mac"]
            frame = bytes(Ether(src=engine.peer_mac(), dst=engine_mac)
                          / IP(src=engine.peer_ip, dst=engine.engine_ip) / ICMP(id=7) / (b"r" * 56))
            before = engine.counters()
            engine.process.send_signal(signal.SIGSTOP)
            try:
                with engine.packet_socket() as sock:
                    for _ in range(REFUSED):
                        sock.send(frame)
                engine.ns_run(["ip", "link", "set", "dev", engine.tap, "down"])
            finally:
                engine.process.send_signal(signal.SIGCONT)
            after = h.wait_for(lambda: (c := engine.counters())["rx_packets"] - before["rx_packets"] >= REFUSED
                               and h.frame_outcomes(c) == c["rx_packets"] and c, 10, "the queued frames")
            refused = after["drops.tx_refused"] - before["drops.tx_refused"]
            self.assertEqual(refused, REFUSED, "every reply to a frame queued before the link went down")
            self.assertEqual(after["drops.tx_ring_full"], before["drops.tx_ring_full"])
            self.assertGreater(after["port.oerrors"], before["port.oerrors"], "net_tap counts the failed writes")
            self.assertEqual(h.accounting_gaps(before, after), {})


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
