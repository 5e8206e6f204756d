"""Established streams over net_af_packet on a veth pair: the same engine code behind a different
PMD, with Linux as the peer in a second namespace.

Two namespaces of the test's own are joined by a veth pair; rampart runs inside one on
net_af_packet bound to its end, the clients run in the other. The client side's TX checksum
offload is turned off, since veth would otherwise hand AF_PACKET partial checksums
(drivers-notes/net_af_packet.md). Everything is removed afterwards, also on failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

ENGINE_IP = "10.79.0.2"
PEER_IP = "10.79.0.1"


class VethBed(h.SetUp):
    """rampart on net_af_packet in namespace `engine_ns`, clients in `peer_ns`; `config` is
    deep-merged over the engine's config (the proxy test's listeners); `before_engine(bed)` runs
    once the namespaces and the veth are up and before rampart starts (backends it will check)."""

    def __init__(self, config: dict | None = None,
                 before_engine: Callable[[VethBed], None] | None = None) -> None:
        self.config = config or {}
        self.before_engine = before_engine
        tag = f"{os.getpid() % 100000}"
        self.engine_ns, self.peer_ns = f"ra-{tag}-e", f"ra-{tag}-p"
        self.engine_if, self.peer_if = f"ra{tag}e", f"ra{tag}p"
        self.prefix = f"ra-{tag}"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"rampart-e2e-afp-{tag}-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.namespaces: list[str] = []
        h._active.append(self)  # the harness closes it at exit and on SIGTERM/SIGINT

    def ns(self, ns: str, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return h.run(["ip", "netns", "exec", ns, *cmd], check=check)

    def start(self) -> None:
        for ns in (self.engine_ns, self.peer_ns):
            h.run(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            self.ns(ns, ["ip", "link", "set", "lo", "up"])
        h.run(["ip", "link", "add", self.engine_if, "netns", self.engine_ns, "type", "veth",
               "peer", "name", self.peer_if, "netns", self.peer_ns])
        self.ns(self.engine_ns, ["ip", "link", "set", self.engine_if, "up"])
        self.ns(self.peer_ns, ["ip", "addr", "add", f"{PEER_IP}/24", "dev", self.peer_if])
        self.ns(self.peer_ns, ["ip", "link", "set", self.peer_if, "up"])
        self.ns(self.peer_ns, ["ethtool", "-K", self.peer_if, "tx", "off"])
        if self.before_engine is not None:
            self.before_engine(self)
        config = h._deep_merge(h._deep_merge(h.base_config(), {
            "eal": {"lcores": "0-1", "vdevs": [f"net_af_packet0,iface={self.engine_if},qpairs=1"],
                    "file_prefix": self.prefix},
            "port": {"device": "net_af_packet0", "ip": f"{ENGINE_IP}/24", "mac": "02:00:00:79:00:02"},
            "stats": {"interval_seconds": 0},
        }), self.config)
        path = self.workdir / "rampart.yaml"
        path.write_text(json.dumps(config))  # JSON is YAML
        with (self.workdir / "rampart.out").open("wb") as log:  # the engine keeps its own copy
            self.process = subprocess.Popen(["ip", "netns", "exec", self.engine_ns, str(h.rampart_bin()),
                                             "--config", str(path)], stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT)

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError("rampart exited: " + (self.workdir / "rampart.out").read_text())
            try:
                return self.telemetry("/rampart/port").get("link") is not None
            except Exception:  # noqa: BLE001 - not up yet
                return False

        h.wait_for(ready, 60, "rampart on net_af_packet")

    def telemetry(self, command: str) -> dict:
        return h.telemetry_query(h.telemetry_socket_path(self.prefix), command)

    def counters(self) -> dict[str, int]:
        return h.counters_of(self.telemetry("/rampart/stats"))

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for ns in self.namespaces:
            h.run(["ip", "netns", "delete", ns], check=False)  # takes the veth pair with it
        self.namespaces.clear()
        h.run(["rm", "-rf", f"/var/run/dpdk/{self.prefix}", str(self.workdir)], check=False)
        if self in h._active:
            h._active.remove(self)


class StreamsOverAfPacket(unittest.TestCase):
    def test_http_and_echo_over_af_packet(self) -> None:
        with VethBed() as bed:
            idle = int(bed.telemetry("/rampart/port")["mbufs_in_use"])
            out = bed.ns(bed.peer_ns, ["curl", "-sS", "-m", "10", f"http://{ENGINE_IP}/"])
            self.assertEqual(out.stdout, "ok\n")

            data = os.urandom(4 << 20)
            with h.in_netns(bed.peer_ns):
                sock = socket.create_connection((ENGINE_IP, 7), timeout=30)
            received = t.echo_roundtrip(sock, data)
            sock.close()
            self.assertEqual(hashlib.sha256(received).hexdigest(), hashlib.sha256(data).hexdigest())

            h.wait_for(lambda: bed.counters()["tcp_connections_active"] == 0, 20, "an empty table")
            h.wait_for(lambda: int(bed.telemetry("/rampart/port")["mbufs_in_use"]) == idle, 10,
                       "the mbuf pool back at its idle count")
            counters = bed.counters()
            self.assertEqual(counters["tcp_bad_checksum"], 0)  # offload off on the peer: full sums
            self.assertEqual(counters["tcp_connections_opened"], 2)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
