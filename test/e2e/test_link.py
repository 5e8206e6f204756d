#!/usr/bin/python3
"""The link goes down and comes back (docs/operations.md, "The link goes down and comes back").

rampart's tap stays in the engine's own namespace, so net_tap can read its state and report its
changes (it raises LSC); a bridge joins it to a veth whose other end is the test namespace's
interface, with the peer's address:

    rampart ── net_tap <tap> ── bridge <br> ── veth <v> ══ <tap> (test namespace, 10.77.0.1)
               (engine's namespace)

Two Linux clients send 4 MiB each through the echo app; once 1 MiB has arrived the tap is set
down for 2 s and up again. What comes back must hash as what was sent, the link's two changes
must be counted and logged, TCP's segments built while the link was down must be freed once
each (drop.tx_link_down) rather than offered to the driver every turn, and the engine must still
answer once the link is back.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers  # noqa: E402

ECHO_PORT = 7
SIZE = 16 << 20         # per connection: long enough that the outage lands inside the transfer
CONNECTIONS = 2
OUTAGE_SECONDS = 2.0


class BridgedEngine(h.Engine):
    """An Engine whose tap stays where rampart runs, bridged to the test namespace."""

    def _move_tap_into_namespace(self) -> None:
        suffix = f"{os.getpid() % 100000}x{h._sequence}"
        self.bridge, self.veth = f"lb{suffix}"[:15], f"lv{suffix}"[:15]
        h.run(["ip", "link", "add", self.bridge, "type", "bridge"])
        # The namespace's end takes the tap's name, so the harness's helpers (ns_run on
        # engine.tap, neighbour_mac) work unchanged.
        h.run(["ip", "link", "add", self.veth, "type", "veth", "peer", "name", self.tap, "netns", self.netns])
        for dev in (self.bridge, self.veth, self.tap):
            # No IPv6 on this side: no router or neighbour solicitations reach the engine.
            h.run(["sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1"])
        for dev in (self.tap, self.veth):
            h.run(["ip", "link", "set", "dev", dev, "master", self.bridge])
        for dev in (self.bridge, self.veth, self.tap):
            h.run(["ip", "link", "set", "dev", dev, "up"])
        self.ns_run(["ip", "link", "set", "dev", self.tap, "address", self.assigned_peer_mac])
        self.ns_run(["ip", "address", "add", f"{self.peer_ip}/{self.prefix_len}", "dev", self.tap])
        self.ns_run(["ip", "link", "set", "dev", self.tap, "up"])

    def set_tap(self, state: str) -> None:
        h.run(["ip", "link", "set", "dev", self.tap, state])

    def close(self) -> None:
        try:
            super().close()  # the namespace takes the veth pair with it, the engine its tap
        finally:
            if getattr(self, "bridge", None) and Path(f"/sys/class/net/{self.bridge}").exists():
                h.run(["ip", "link", "delete", self.bridge], check=False)


class LinkDownAndUp(unittest.TestCase):

    def test_transfer_survives_a_link_outage(self) -> None:
        with BridgedEngine(config={"stats": {"interval_seconds": 1}}) as engine:
            port = engine.telemetry("/rampart/port")
            self.assertEqual(port["link"], "up")
            self.assertEqual(port["link_changes"], 0)
            self.assertIn("changes reported by the driver (LSC interrupt)", engine.output())
            before = engine.counters()

            results: list[tuple[str, str]] = []
            errors: list[BaseException] = []

            def transfer() -> None:
                try:
                    results.extend(tcp_helpers.parallel_echo(engine, ECHO_PORT, SIZE, CONNECTIONS))
                except BaseException as error:  # noqa: BLE001 - reported by the test
                    errors.append(error)

            thread = threading.Thread(target=transfer)
            thread.start()
            h.wait_for(lambda: engine.counters()["rx_bytes"] - before["rx_bytes"] >= 1 << 20, 60,
                       "the first MiB of the transfer")
            engine.set_tap("down")
            down_at = time.monotonic()
            h.wait_for(lambda: engine.telemetry("/rampart/port")["link"] == "down", 1, "telemetry's link down")
            # The workers have been told within one control tick; from then on each segment TCP
            # builds is offered to the driver once.
            time.sleep(0.5)
            settled = engine.counters()
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
            outage_end = engine.counters()
            engine.set_tap("up")
            self.assertTrue(thread.is_alive(), "the transfer must still be running when the link comes back")
            thread.join(180)
            self.assertFalse(thread.is_alive(), "the transfer did not finish after the link came back")
            if errors:
                raise errors[0]
            self.assertEqual(len(results), CONNECTIONS)
            for sent, echoed in results:
                self.assertEqual(sent, echoed, "what came back differs from what was sent")

            port = engine.telemetry("/rampart/port")
            self.assertEqual(port["link"], "up")
            self.assertEqual(port["link_changes"], 2)
            self.assertGreater(port["link_last_change_unix"], time.time() - 120)
            output = engine.output()
            self.assertIn("link down (1 change since start)", output)
            self.assertIn("link up (2 changes since start)", output)
            after = engine.counters()
            self.assertGreater(after["drops.tx_link_down"], before["drops.tx_link_down"],
                               "segments TCP built while the link was down")
            # Once the workers know (a control tick after the change), each frame the down link
            # refuses is offered once and freed. net_tap counts a refused burst's frames in
            # port.oerrors plus one for the failed write, so at most two errors per frame freed;
            # offered again every turn instead, the errors would grow with every loop turn.
            def delta(name: str) -> int:
                return outage_end[name] - settled[name]

            freed = delta("drops.tx_link_down") + delta("drops.tx_refused")
            self.assertLessEqual(delta("port.oerrors"), 2 * freed + 10,
                                 "frames refused by the down link were offered again and again")
            h.wait_for(lambda: "; link up, 2 changes" in engine.output(), 5, "the stats line's link part")

            # Still answering: a fresh connection's echo.
            for sent, echoed in tcp_helpers.parallel_echo(engine, ECHO_PORT, 64 << 10, 1):
                self.assertEqual(sent, echoed)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
