#!/usr/bin/python3
"""A memif peer restarts (docs/operations.md, "A memif peer restarts").

rampart is a net_memif *client*; the server is dpdk-testpmd, forwarding between its memif port
and a net_tap port whose kernel side, in the test's namespace, is a Linux host:

    rampart (memif client, 10.78.0.2) ══ socket ══ testpmd (memif server, io forwarding)
                                                     └── net_tap <tap> (test namespace, 10.78.0.1)

A Linux client sends 1 MiB through the echo app; once 256 KiB has arrived testpmd is killed
(SIGKILL, as a crash), and started again half a second later. A DPDK 22.11 memif client connects only
when its port starts, so the transfer resumes only if rampart restarts its port: the echo must
come back whole (same SHA-256), the reconnect must be counted and logged, and a new connection
must be served after. The time from the reconnect to the transfer's end is printed: what rampart
had in flight goes again as soon as the link is up (lcore_tcp::link_restored), not at the RTO it
backed off to while the server was away.

Each testpmd start gives its tap another MAC (`mac=` of net_tap, which sets the kernel side too),
as a restarted peer may: rampart must ask ARP again when the link comes back
(neighbour_resolver::link_restored), or what it sends after the reconnect goes to the old MAC and
the Linux host drops it, and the transfer does not finish.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers  # noqa: E402

RAMPART_IP = "10.78.0.2"
PEER_IP = "10.78.0.1"
ECHO_PORT = 7
SIZE = 1 << 20
SERVER_AWAY_SECONDS = 0.5


class MemifBed(h.SetUp):
    """rampart as a memif client of testpmd; the Linux host behind testpmd's tap."""

    def __init__(self) -> None:
        tag = f"{os.getpid() % 100000}"
        self.netns = f"rm-{tag}"
        self.tap = f"rm{tag}t"[:15]
        self.file_prefix = f"rm-{tag}"
        self.peer_prefix = f"rm-{tag}-peer"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"rampart-e2e-memif-{tag}-"))
        self.socket_path = self.workdir / "memif.sock"
        self.output_path = self.workdir / "rampart.out"
        self.peer: subprocess.Popen[bytes] | None = None
        self.peer_starts = 0
        self.rampart: subprocess.Popen[bytes] | None = None
        self._ns_created = False
        # The harness's helpers (parallel_echo) need these.
        self.engine_ip = RAMPART_IP
        self.peer_ip = PEER_IP

    def start(self) -> None:
        h._active.append(self)
        h.run(["ip", "netns", "add", self.netns])
        self._ns_created = True
        self.ns_run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        self.ns_run(["ip", "link", "set", "lo", "up"])
        self.start_peer()  # a memif client whose server does not listen yet fails to start
        self.start_rampart()

    def ns_run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return h.run(["ip", "netns", "exec", self.netns, *cmd], check=check)

    def start_peer(self) -> None:
        """testpmd as the memif server (copy mode, no hugepages), forwarding every frame between
        its two ports; its tap's kernel side gets a MAC of its own at each start from net_tap's
        `mac=` (an `ip link set address` here would not last: testpmd's port start puts net_tap's
        MAC back) and the peer's address."""
        self.socket_path.unlink(missing_ok=True)  # left by a killed server: bind would fail
        self.peer_starts += 1
        log = (self.workdir / f"testpmd-{self.peer_starts}.out").open("wb")
        self.peer = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "dpdk-testpmd", "-l", "0-1", "--no-huge", "-m", "256", "--no-pci",
             "--file-prefix", self.peer_prefix, "--log-level", "notice",
             "--vdev", f"net_memif0,role=server,id=0,socket={self.socket_path},socket-abstract=no",
             "--vdev", f"net_tap0,iface={self.tap},mac=02:00:00:78:00:{self.peer_starts:02x}",
             "--", "--forward-mode=io", "--auto-start", "--stats-period", "0", "--total-num-mbufs", "4096"],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def ready() -> bool:
            if self.peer is not None and self.peer.poll() is not None:
                raise RuntimeError(f"testpmd exited with {self.peer.returncode}")
            tap_up = self.ns_run(["ip", "link", "show", "dev", self.tap], check=False).returncode == 0
            return tap_up and self.socket_path.exists()

        h.wait_for(ready, 30, "testpmd's memif socket and tap")
        self.ns_run(["ip", "address", "add", f"{PEER_IP}/24", "dev", self.tap])
        self.ns_run(["ip", "link", "set", "dev", self.tap, "up"])

    def kill_peer(self) -> None:
        assert self.peer is not None
        self.peer.send_signal(signal.SIGKILL)
        self.peer.wait(10)
        h.run(["rm", "-rf", str(h.TELEMETRY_DIR / self.peer_prefix)], check=False)

    def start_rampart(self) -> None:
        config = h._deep_merge(h.base_config(), {
            "eal": {"vdevs": [f"net_memif0,role=client,id=0,socket={self.socket_path},socket-abstract=no"],
                    "file_prefix": self.file_prefix},
            "port": {"device": "net_memif0", "ip": f"{RAMPART_IP}/24"},
            "tcp": {"drain_timeout_seconds": 0},
            "stats": {"interval_seconds": 0},
        })
        config_path = self.workdir / "rampart.yaml"
        config_path.write_text(json.dumps(config))  # JSON is YAML
        with self.output_path.open("wb") as out:
            self.rampart = subprocess.Popen([str(h.rampart_bin()), "--config", str(config_path)],
                                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

        def link_up() -> bool:
            if self.rampart is not None and self.rampart.poll() is not None:
                raise RuntimeError(f"rampart exited with {self.rampart.returncode}:\n{self.output()}")
            with contextlib.suppress(OSError, h.TelemetryError):
                port = self.telemetry("/rampart/port")  # None until the port has started
                return isinstance(port, dict) and port["link"] == "up"
            return False

        h.wait_for(link_up, 60, "rampart's memif link")

        def resolved() -> bool:
            self.ns_run(["ping", "-c", "1", "-W", "1", RAMPART_IP], check=False)
            return "lladdr" in self.ns_run(["ip", "neigh", "show", "to", RAMPART_IP]).stdout

        h.wait_for(resolved, 30, f"ARP for {RAMPART_IP} through testpmd")

    def telemetry(self, command: str):  # noqa: ANN201 - the reply's JSON value
        return h.telemetry_query(h.telemetry_socket_path(self.file_prefix), command)

    def output(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""

    def close(self) -> None:
        for p in (self.rampart, self.peer):
            if p is not None:
                with contextlib.suppress(Exception):
                    h.end_process(p)
        self.rampart = self.peer = None
        if self._ns_created:
            h.run(["ip", "netns", "delete", self.netns], check=False)
            self._ns_created = False
        for prefix in (self.file_prefix, self.peer_prefix):
            h.run(["rm", "-rf", str(h.TELEMETRY_DIR / prefix)], check=False)
        if os.environ.get("RAMPART_E2E_KEEP") != "1":
            h.run(["rm", "-rf", str(self.workdir)], check=False)
        if self in h._active:
            h._active.remove(self)


class MemifPeerRestart(unittest.TestCase):

    def test_transfer_resumes_after_the_server_restarts(self) -> None:
        with MemifBed() as bed:
            # Counts from here on: on a busy machine the memif handshake may outlast the port's
            # start, which the engine already reports as one reconnect.
            start = bed.telemetry("/rampart/port")
            self.assertEqual(start["driver"], "net_memif")
            reconnect_lines_before = bed.output().count("memif client reconnecting")
            before = h.counters_of(bed.telemetry("/rampart/stats"))

            results: list[tuple[str, str]] = []
            errors: list[BaseException] = []

            def transfer() -> None:
                try:
                    results.extend(tcp_helpers.parallel_echo(bed, ECHO_PORT, SIZE, 1))  # type: ignore[arg-type]
                except BaseException as error:  # noqa: BLE001 - reported by the test
                    errors.append(error)

            thread = threading.Thread(target=transfer)
            thread.start()
            h.wait_for(lambda: h.counters_of(bed.telemetry("/rampart/stats"))["rx_bytes"] - before["rx_bytes"]
                       >= 256 << 10, 60, "the first 256 KiB of the transfer")
            bed.kill_peer()
            h.wait_for(lambda: bed.telemetry("/rampart/port")["link"] == "down", 5, "rampart's link down")
            time.sleep(SERVER_AWAY_SECONDS)
            self.assertTrue(thread.is_alive(), "the transfer must still be running when the server comes back")
            h.wait_for(lambda: bed.telemetry("/rampart/port")["reconnect_attempts"] > start["reconnect_attempts"], 5,
                       "a reconnect attempt while the server is away")
            away = bed.telemetry("/rampart/port")
            self.assertEqual(away["reconnects"], start["reconnects"])
            bed.start_peer()
            h.wait_for(lambda: bed.telemetry("/rampart/port")["reconnects"] == start["reconnects"] + 1, 30,
                       "the reconnect")
            back = time.monotonic()

            thread.join(180)
            self.assertFalse(thread.is_alive(), "the transfer did not finish after the server came back")
            resumed_in = time.monotonic() - back
            print(f"\n[memif_restart] transfer finished {resumed_in:.2f} s after the reconnect", file=sys.stderr)
            # Under a second when quiet; a backed-off RTO alone would often take seconds more.
            self.assertLess(resumed_in, 5.0, "the transfer waited after the server came back")
            if errors:
                raise errors[0]
            self.assertEqual(len(results), 1)
            self.assertEqual(results[0][0], results[0][1], "what came back differs from what was sent")

            port = bed.telemetry("/rampart/port")
            self.assertEqual(port["link"], "up")
            self.assertGreaterEqual(port["link_changes"], 2)
            output = bed.output()
            self.assertIn("net_memif0: link down, memif client reconnecting (attempt 1): failed: ", output)
            self.assertIn("net_memif0: memif server back, link up after ", output)
            # One line per outcome, not one per attempt: the attempts while the server was away
            # failed alike, then one connected.
            self.assertLessEqual(output.count("memif client reconnecting") - reconnect_lines_before, 2, output)

            # A new connection is served too.
            for sent, echoed in tcp_helpers.parallel_echo(bed, ECHO_PORT, 64 << 10, 1):  # type: ignore[arg-type]
                self.assertEqual(sent, echoed)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
