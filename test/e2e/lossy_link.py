"""A lossy link between Linux clients and a server under test, and an echo transfer that checks
every byte and watches for stalls. Used by test_loss.py (slow suite).

Three namespaces of the test's own, joined by two veth pairs:

    clients (<tag>-c)              wire (<tag>-w)                     server (<tag>-e)
    <tag>c 10.80.0.1 ──veth── <tag>wc  [impair.py]  <tag>we ──veth── <tag>e
                                                                       rampart (net_af_packet,
                                                                       10.80.0.2, own MAC) or
                                                                       Linux (10.80.0.3)

The wire namespace has no address: impair.py forwards frames between its two ends, each
direction impaired the same way, so the clients, the server and its port are untouched and both
servers under test sit behind exactly the same link. rampart's net_af_packet sets
PACKET_QDISC_BYPASS by default, so an impairment qdisc on rampart's own veth would have touched
the kernel's replies and not rampart's: the impairment lives between the two hosts instead.
The clients' and the Linux server's TX checksum offload is off: veth would otherwise hand
AF_PACKET readers (impair.py, rampart) partial checksums (drivers-notes/net_af_packet.md), and
with it TSO goes off, so every frame on the wire is at most one MTU.

Everything is removed by close(): on normal exit, on exceptions, at interpreter exit and on
SIGTERM/SIGINT (the harness's _active list).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rampart_harness as h

HERE = Path(__file__).resolve().parent
CLIENT_IP = "10.80.0.1"
RAMPART_IP = "10.80.0.2"
KERNEL_IP = "10.80.0.3"
RAMPART_MAC = "02:00:00:80:00:02"
ECHO_PORT = 7


@dataclass
class Impairment:
    """One direction's impairment, applied to both (impair.py's options)."""
    loss: float = 2.0          # percent of frames lost
    duplicate: float = 1.0     # percent duplicated
    reorder: float = 5.0       # percent sent at once, ahead of the delayed ones
    delay_ms: float = 10.0     # one-way delay ...
    jitter_ms: float = 2.0     # ... plus or minus this (uniform), never reordering by itself

    def args(self) -> list[str]:
        return ["--loss", str(self.loss), "--duplicate", str(self.duplicate), "--reorder", str(self.reorder),
                "--delay-ms", str(self.delay_ms), "--jitter-ms", str(self.jitter_ms)]

    def describe(self) -> str:
        return (f"{self.loss:g}% loss, {self.reorder:g}% reordering, {self.duplicate:g}% duplication, "
                f"{self.delay_ms:g} ms ± {self.jitter_ms:g} ms one-way delay, each direction")


_sequence = 0


class LossyBed(h.SetUp):
    def __init__(self) -> None:
        global _sequence
        _sequence += 1
        tag = f"rl{os.getpid() % 100000}{_sequence % 10}"
        self.ns_client, self.ns_wire, self.ns_server = f"{tag}-c", f"{tag}-w", f"{tag}-e"
        self.if_client, self.if_wire_client = f"{tag}c", f"{tag}wc"
        self.if_wire_server, self.if_server = f"{tag}we", f"{tag}e"
        self.prefix = f"{tag}-rampart"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"rampart-e2e-loss-{tag}-"))
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.impair_process: subprocess.Popen[bytes] | None = None
        self.rampart: subprocess.Popen[bytes] | None = None
        h._active.append(self)

    # -- lifecycle ------------------------------------------------------------------------------

    def ns(self, ns: str, cmd: list[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return h.run(["ip", "netns", "exec", ns, *cmd], check=check, timeout=timeout)

    def start(self) -> None:
        for ns in (self.ns_client, self.ns_wire, self.ns_server):
            h.run(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            # No IPv6: no router or neighbour solicitations on the wire.
            self.ns(ns, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                         "net.ipv6.conf.default.disable_ipv6=1"])
            self.ns(ns, ["ip", "link", "set", "lo", "up"])
        h.run(["ip", "link", "add", self.if_client, "netns", self.ns_client, "type", "veth",
               "peer", "name", self.if_wire_client, "netns", self.ns_wire])
        h.run(["ip", "link", "add", self.if_server, "netns", self.ns_server, "type", "veth",
               "peer", "name", self.if_wire_server, "netns", self.ns_wire])
        for ns, dev in ((self.ns_client, self.if_client), (self.ns_wire, self.if_wire_client),
                        (self.ns_wire, self.if_wire_server), (self.ns_server, self.if_server)):
            # tx off: full checksums (and no TSO); gro off: the relay reads frames, not aggregates.
            self.ns(ns, ["ethtool", "-K", dev, "tx", "off", "gro", "off"])
            self.ns(ns, ["ip", "link", "set", dev, "up"])
        self.ns(self.ns_client, ["ip", "addr", "add", f"{CLIENT_IP}/24", "dev", self.if_client])
        # The server side's kernel must neither route nor answer for rampart's frames.
        self.ns(self.ns_server, ["sysctl", "-qw", "net.ipv4.ip_forward=0"])

    def close(self) -> None:
        with contextlib.suppress(Exception):  # its counters do not matter any more
            self.stop_impairment()
        for p in reversed(self.processes):
            h.end_process(p)
        self.processes.clear()
        for ns in self.namespaces:
            h.run(["ip", "netns", "delete", ns], check=False)  # takes the veth pairs with it
        self.namespaces.clear()
        h.run(["rm", "-rf", f"/var/run/dpdk/{self.prefix}"], check=False)
        if os.environ.get("RAMPART_E2E_KEEP") != "1":
            h.run(["rm", "-rf", str(self.workdir)], check=False)
        if self in h._active:
            h._active.remove(self)

    def spawn(self, ns: str, cmd: list[str], log: str) -> subprocess.Popen[bytes]:
        out = (self.workdir / log).open("wb")
        p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        out.close()
        self.processes.append(p)
        return p

    def log(self, name: str) -> str:
        path = self.workdir / name
        return path.read_text(errors="replace") if path.exists() else ""

    # -- the impairment -------------------------------------------------------------------------

    def start_impairment(self, impairment: Impairment, seed: int) -> None:
        self.stop_impairment()
        self.impair_stats_path = self.workdir / f"impair-{seed}.json"
        self.impair_log = f"impair-{seed}.log"
        self.impair_process = self.spawn(
            self.ns_wire, ["/usr/bin/python3", str(HERE / "impair.py"), "--a", self.if_wire_client,
                           "--b", self.if_wire_server, *impairment.args(), "--seed", str(seed),
                           "--stats", str(self.impair_stats_path)], self.impair_log)
        h.wait_for(lambda: "impair:" in self.log(self.impair_log) or self.impair_process.poll() is not None,
                   20, "impair.py to start")
        if self.impair_process.poll() is not None:
            raise RuntimeError(f"impair.py exited with {self.impair_process.returncode}: "
                               f"{self.log(self.impair_log)}")

    def stop_impairment(self) -> dict[str, Any] | None:
        """Stops the relay; returns its counters ({"a_to_b": {...}, "b_to_a": {...}}): a_to_b is
        clients → server."""
        p, self.impair_process = self.impair_process, None
        if p is None:
            return None
        h.end_process(p)
        if p in self.processes:
            self.processes.remove(p)
        try:
            return json.loads(self.impair_stats_path.read_text())
        except (OSError, ValueError) as error:
            raise RuntimeError(f"impair.py left no counters ({error}): {self.log(self.impair_log)}") from None

    # -- servers under test ---------------------------------------------------------------------

    def start_kernel_echo(self, buffer: int, mss: int, extra: list[str] | None = None) -> subprocess.Popen[bytes]:
        self.ns(self.ns_server, ["ip", "addr", "add", f"{KERNEL_IP}/24", "dev", self.if_server])
        p = self.spawn(self.ns_server, ["/usr/bin/python3", str(HERE / "kernel_echo.py"), "--bind", KERNEL_IP,
                                        "--port", str(ECHO_PORT), "--buffer", str(buffer), "--mss", str(mss),
                                        *(extra or [])],
                       "kernel_echo.log")
        h.wait_for(lambda: "listening" in self.log("kernel_echo.log") or p.poll() is not None, 20,
                   "the kernel echo server to listen")
        if p.poll() is not None:
            raise RuntimeError(f"kernel_echo.py exited: {self.log('kernel_echo.log')}")
        return p

    def stop_kernel_echo(self, p: subprocess.Popen[bytes]) -> None:
        h.end_process(p)
        self.processes.remove(p)
        self.ns(self.ns_server, ["ip", "addr", "flush", "dev", self.if_server])
        # The clients must not keep the kernel's MAC for an address that is gone.
        self.ns(self.ns_client, ["ip", "neigh", "flush", "dev", self.if_client])

    def start_rampart(self, overrides: dict[str, Any] | None = None) -> None:
        config = h._deep_merge(h.base_config(), {
            "eal": {"lcores": "0-1", "vdevs": [f"net_af_packet0,iface={self.if_server},qpairs=1,framecnt=4096"],
                    "file_prefix": self.prefix},
            "port": {"device": "net_af_packet0", "ip": f"{RAMPART_IP}/24", "mac": RAMPART_MAC, "mtu": 1500},
            "tcp": {"drain_timeout_seconds": 0},
            "stats": {"interval_seconds": 0},
        })
        config = h._deep_merge(config, overrides or {})
        path = self.workdir / "rampart.yaml"
        path.write_text(json.dumps(config))  # JSON is YAML
        self.rampart_config = config
        self.rampart = self.spawn(self.ns_server, [str(h.rampart_bin()), "--config", str(path)], "rampart.log")

        def ready() -> bool:
            if self.rampart.poll() is not None:
                raise RuntimeError(f"rampart exited with {self.rampart.returncode}: {self.log('rampart.log')}")
            try:
                return self.telemetry("/rampart/port").get("link") is not None
            except Exception:  # noqa: BLE001 - not up yet
                return False

        h.wait_for(ready, 60, "rampart on net_af_packet")

    def stop_rampart(self) -> int:
        p, self.rampart = self.rampart, None
        assert p is not None
        h.end_process(p)
        self.processes.remove(p)
        self.ns(self.ns_client, ["ip", "neigh", "flush", "dev", self.if_client])
        return p.returncode

    def telemetry(self, command: str) -> Any:
        return h.telemetry_query(h.telemetry_socket_path(self.prefix), command)

    def counters(self) -> dict[str, int]:
        return h.counters_of(self.telemetry("/rampart/stats"))

    def client_sockets_report(self, ip: str) -> str:
        """`ss -tin` of the clients' connections to ip: state, queues, cwnd, retransmits."""
        return self.ns(self.ns_client, ["ss", "-tin", f"dst {ip}"], check=False).stdout


# -------------------------------------------------------------------------------------------------
# The echo transfer.

@dataclass
class Stream:
    index: int
    data: bytes
    sock: socket.socket
    received: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    first_mismatch: int | None = None
    ended_early: bool = False
    error: str | None = None
    last_progress: float = 0.0
    done_at: float | None = None


@dataclass
class TransferResult:
    streams: list[Stream]
    seconds: float
    total_bytes: int
    stalled: list[int]          # indices of streams with no byte for stall_seconds
    timed_out: bool
    sent_digests: list[str]
    received_digests: list[str]

    @property
    def goodput(self) -> float:
        """Echoed payload bytes per second: what came back, over the time from the first connect
        to the last byte."""
        return self.total_bytes / self.seconds

    def failures(self) -> list[str]:
        """Everything that went wrong, one line each; [] when every byte came back intact."""
        problems = []
        for s in self.streams:
            size = len(s.data)
            if s.index in self.stalled:
                problems.append(f"stream {s.index}: stalled, no byte received for the watchdog's limit "
                                f"({s.received} of {size} bytes back)")
            if s.error:
                problems.append(f"stream {s.index}: {s.error}")
            if s.ended_early and s.index not in self.stalled:
                problems.append(f"stream {s.index}: the server closed after {s.received} of {size} bytes")
            if s.first_mismatch is not None:
                problems.append(f"stream {s.index}: byte {s.first_mismatch} differs from what was sent")
            if s.received == size and self.sent_digests[s.index] != self.received_digests[s.index]:
                problems.append(f"stream {s.index}: SHA-256 {self.received_digests[s.index]} != sent "
                                f"{self.sent_digests[s.index]}")
        if self.timed_out:
            problems.append("the transfer ran past its deadline")
        return problems


def echo_transfer(netns: str, ip: str, port: int, streams: int, bytes_per_stream: int,
                  stall_seconds: float, deadline_seconds: float) -> TransferResult:
    """Sends bytes_per_stream random bytes on each of `streams` connections to an echo server
    and reads the echo back at the same time (a thread each way per connection). Every chunk
    read is compared with what was sent at that offset and hashed (SHA-256). A watchdog ends
    the transfer when a connection has received nothing for stall_seconds, or when the whole
    transfer passes deadline_seconds: it shuts every socket down, so no thread hangs. Each
    connection then half-closes and must see the server's FIN."""
    payloads = [os.urandom(bytes_per_stream) for _ in range(streams)]
    sent_digests = [hashlib.sha256(p).hexdigest() for p in payloads]
    lock = threading.Lock()
    aborting = threading.Event()  # the watchdog's shutdown: errors after it are its doing
    started = time.monotonic()
    all_streams: list[Stream] = []
    for i, payload in enumerate(payloads):
        with h.in_netns(netns):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(30)
        try:
            sock.connect((ip, port))
        except OSError as error:
            sock.close()
            for s in all_streams:
                s.sock.close()
            raise AssertionError(f"connection {i} to {ip}:{port} failed: {error}") from None
        sock.settimeout(None)
        all_streams.append(Stream(i, payload, sock, last_progress=time.monotonic()))

    def sender(s: Stream) -> None:
        try:
            s.sock.sendall(s.data)
        except OSError as error:
            with lock:
                if s.error is None and s.received < len(s.data) and not aborting.is_set():
                    s.error = f"send failed: {error}"

    def receiver(s: Stream) -> None:
        buffer = bytearray(1 << 18)
        view = memoryview(buffer)
        size = len(s.data)
        expected = memoryview(s.data)
        try:
            while s.received < size:
                n = s.sock.recv_into(view, min(len(buffer), size - s.received))
                if n == 0:
                    s.ended_early = not aborting.is_set()
                    return
                chunk = view[:n]
                if s.first_mismatch is None and chunk != expected[s.received:s.received + n]:
                    at = next(k for k in range(n) if chunk[k] != expected[s.received + k])
                    s.first_mismatch = s.received + at
                s.digest.update(chunk)
                s.received += n
                s.last_progress = time.monotonic()
            s.done_at = time.monotonic()
            # Everything came back: half-close; the echo server must close in turn.
            s.sock.shutdown(socket.SHUT_WR)
            s.sock.settimeout(30)
            if s.sock.recv(1):
                s.error = "the server sent bytes beyond the echo"
        except OSError as error:
            with lock:
                if aborting.is_set():
                    pass
                elif s.error is None and s.done_at is None and not s.ended_early:
                    s.error = f"receive failed after {s.received} bytes: {error}"
                elif s.error is None and s.done_at is not None:
                    s.error = f"no FIN from the server after the echo: {error}"

    threads = []
    for s in all_streams:
        for target in (sender, receiver):
            thread = threading.Thread(target=target, args=(s,), daemon=True)
            thread.start()
            threads.append(thread)

    stalled: list[int] = []
    timed_out = False
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        now = time.monotonic()
        for s in all_streams:
            if s.done_at is None and not s.ended_early and s.error is None and now - s.last_progress > stall_seconds:
                stalled.append(s.index)
        if now - started > deadline_seconds:
            timed_out = True
        if stalled or timed_out:
            h.log(f"watchdog: stalled streams {stalled}, past the deadline: {timed_out}; shutting down")
            break
    finished = time.monotonic()
    if stalled or timed_out:
        aborting.set()
        for s in all_streams:
            with contextlib.suppress(OSError):
                s.sock.shutdown(socket.SHUT_RDWR)
    for thread in threads:
        thread.join(40)
    for s in all_streams:
        s.sock.close()
    last_byte = max((s.done_at for s in all_streams if s.done_at is not None), default=finished)
    if stalled or timed_out or any(s.done_at is None for s in all_streams):
        last_byte = finished
    return TransferResult(
        streams=all_streams, seconds=last_byte - started,
        total_bytes=sum(s.received for s in all_streams), stalled=stalled, timed_out=timed_out,
        sent_digests=sent_digests, received_digests=[s.digest.hexdigest() for s in all_streams])
