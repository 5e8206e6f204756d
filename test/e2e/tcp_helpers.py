"""TCP helpers for the end-to-end tests: Linux client sockets opened inside an Engine's
namespace, a two-way frame capture on its tap, TCP option and checksum checks, percentiles.

Sockets are created inside the namespace (a socket's namespace is fixed when it is created) and
then used from any thread, so a test can time connect() with Python's own clock.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

import rampart_harness as h

# Linux's SYN retransmission backoff is 1 s, 2 s, 4 s ...: a connect that loses its SYN or
# SYN-ACK on this loaded 2-core machine still completes within a few seconds; one that never
# completes is a failure, not slowness.
CONNECT_TIMEOUT = 15.0


def tcp_socket(netns: str) -> socket.socket:
    """A TCP socket living in the namespace (usable from any thread afterwards)."""
    with h.in_netns(netns):
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def timed_connect(netns: str, ip: str, port: int,
                  timeout: float = CONNECT_TIMEOUT) -> tuple[socket.socket, float]:
    """Connects and returns the open socket and connect()'s duration in seconds (the whole
    three-way handshake as the client sees it). Raises OSError when the connect fails."""
    sock = tcp_socket(netns)
    sock.settimeout(timeout)
    start = time.perf_counter()
    try:
        sock.connect((ip, port))
    except BaseException:
        sock.close()
        raise
    return sock, time.perf_counter() - start


def http_get_until_close(netns: str, ip: str, port: int = 80) -> bytes:
    """One `GET /` with `Connection: close` from a Linux socket in the namespace; returns every
    byte until the server closes (status line, headers, body)."""
    sock, _ = timed_connect(netns, ip, port)
    with sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: rampart\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def connect_and_close(netns: str, ip: str, port: int, count: int, parallel: int = 1,
                      timeout: float = CONNECT_TIMEOUT) -> list[float]:
    """Opens `count` connections (at most `parallel` at a time), closing each right after its
    handshake (close() sends FIN). Returns every connect latency; raises on the first failure."""

    def one(_: int) -> float:
        sock, seconds = timed_connect(netns, ip, port, timeout)
        sock.close()
        return seconds

    if parallel <= 1:
        return [one(i) for i in range(count)]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, range(count)))


def open_concurrently(netns: str, ip: str, port: int, count: int,
                      timeout: float = CONNECT_TIMEOUT) -> list[socket.socket]:
    """`count` connections whose handshakes run at the same time (one thread each, released
    together), left open for the caller to close."""
    sockets = [tcp_socket(netns) for _ in range(count)]
    barrier = threading.Barrier(count)

    def connect(sock: socket.socket) -> None:
        sock.settimeout(timeout)
        barrier.wait()
        sock.connect((ip, port))

    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(connect, sockets))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


# ---------------------------------------------------------------------------------------------
# Frames on the tap, both directions.

class Capture:
    """An AF_PACKET socket on the namespace side of the tap that sees frames in both directions:
    what the kernel (Linux's TCP) sends to the engine as well as what the engine sends back.
    Opened before the traffic starts, so nothing is missed; frames queue in the socket buffer."""

    ETH_P_ALL = 0x0003

    def __init__(self, engine: h.Engine, rcvbuf: int = 8 << 20):
        with h.in_netns(engine.netns):
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                       socket.htons(self.ETH_P_ALL))
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self._sock.bind((engine.tap, self.ETH_P_ALL))
        self._sock.setblocking(False)

    def send(self, frame: bytes) -> None:
        if self._sock.send(frame) != len(frame):
            raise OSError("short send")

    def next(self, match: Callable[[Ether, bool], bool],
             timeout: float = 3.0) -> tuple[bytes, bool] | None:
        """The first (frame, outgoing) for which match(Ether(frame), outgoing) holds, or None.
        outgoing is True for frames the namespace sent towards the engine."""
        return h.receive_matching(self._sock, lambda frame, outgoing: match(Ether(frame), outgoing),
                                  timeout)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> "Capture":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_tcp(packet: Ether, src: str | None = None, dst: str | None = None,
           sport: int | None = None, dport: int | None = None, flags: str | None = None) -> bool:
    """True for a TCP segment with these fields (None: any). flags compares the exact set."""
    if IP not in packet or TCP not in packet:
        return False
    ip, tcp = packet[IP], packet[TCP]
    return ((src is None or ip.src == src) and (dst is None or ip.dst == dst)
            and (sport is None or tcp.sport == sport) and (dport is None or tcp.dport == dport)
            and (flags is None or tcp.flags == flags))


def tcp_options(packet: Ether) -> dict[str, object]:
    """The segment's options by scapy name ("MSS", "WScale", "SAckOK", "Timestamp"), NOPs and
    EOL left out."""
    return {name: value for name, value in packet[TCP].options if name not in ("NOP", "EOL")}


def _ones_complement_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksums_valid(frame: bytes) -> tuple[bool, bool]:
    """(IPv4 header checksum verifies, TCP checksum over the pseudo-header verifies), computed
    from the raw bytes (RFC 1071; RFC 9293 §3.1 pseudo-header) rather than trusting scapy."""
    ip_start = 14
    ihl = (frame[ip_start] & 0x0F) * 4
    total_length = struct.unpack("!H", frame[ip_start + 2:ip_start + 4])[0]
    ip_header = frame[ip_start:ip_start + ihl]
    segment = frame[ip_start + ihl:ip_start + total_length]
    pseudo = ip_header[12:20] + struct.pack("!BBH", 0, 6, len(segment))
    return (_ones_complement_sum(ip_header) == 0xFFFF,
            _ones_complement_sum(pseudo + segment) == 0xFFFF)


# ---------------------------------------------------------------------------------------------
# Counters.

def wait_counters(engine: h.Engine, predicate: Callable[[dict[str, int]], bool], timeout: float,
                  what: str) -> dict[str, int]:
    """Polls /rampart/stats until predicate(counters) holds; returns the counters that met it.
    On timeout raises AssertionError with the last counters, so the failure names the values."""
    last: dict[str, int] = {}

    def check() -> bool:
        nonlocal last
        last = engine.counters("/rampart/stats")
        return predicate(last)

    try:
        h.wait_for(check, timeout, what, interval=0.1)
    except TimeoutError as error:
        tcp = {k: v for k, v in last.items() if k.startswith("tcp_") and "." not in k}
        raise AssertionError(f"{error}; last counters: {tcp}") from None
    return last


def delta(after: dict[str, int], before: dict[str, int], *names: str) -> dict[str, int]:
    return {name: after[name] - before[name] for name in names}


@contextlib.contextmanager
def background(engine: h.Engine, cmd: list[str]) -> Iterator[object]:
    """Runs cmd inside the namespace for the duration of the block; always reaped."""
    process = engine.ns_popen(cmd)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except Exception:
                process.kill()
                process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def is_connection_refused(error: OSError) -> bool:
    return error.errno == errno.ECONNREFUSED


def close_diagnostics(engine: h.Engine, port: int) -> str:
    """What the client side knows when the engine's table does not empty: the states of the
    namespace's sockets to `port` (TIME-WAIT means the client finished its close: the engine
    missed the client's last ACK or FIN and has no timer to recover, RFC 9293 §3.8.1), and the
    tap qdisc's drop count (frames the kernel dropped on their way to the engine)."""
    sockets = engine.ns_run(["ss", "-Htan", f"dport = :{port}"], check=False).stdout
    states: dict[str, int] = {}
    for line in sockets.splitlines():
        if line.split():
            states[line.split()[0]] = states.get(line.split()[0], 0) + 1
    qdisc = engine.ns_run(["tc", "-s", "qdisc", "show", "dev", engine.tap], check=False).stdout
    dropped = sum(int(n) for n in re.findall(r"dropped (\d+)", qdisc))
    return (f"client sockets to port {port} by state: {states or 'none'}; "
            f"frames dropped by the tap's qdisc towards the engine: {dropped}")


def echo_roundtrip(sock: socket.socket, data: bytes, timeout: float = 120) -> bytes:
    """Sends `data` on a connection to an echo service while a second thread reads the echo
    (writing all before reading would deadlock once both directions' windows are full), and
    returns what came back: len(data) bytes unless the connection ended early."""
    received = bytearray()

    def reader() -> None:
        while len(received) < len(data):
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            received.extend(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    sock.sendall(data)
    thread.join(timeout)
    return bytes(received)


def parallel_echo(engine: h.Engine, port: int, size: int, connections: int,
                  timeout: float = 180) -> list[tuple[str, str]]:
    """`connections` clients in the engine's namespace each send `size` random bytes to the echo
    service on `port`, read the echo, half-close and expect the echo's close. Returns (SHA-256
    sent, SHA-256 echoed) per connection; raises the first error a client met (or
    AssertionError when a client did not finish)."""
    results: dict[int, tuple[str, str]] = {}
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            data = os.urandom(size)
            with h.in_netns(engine.netns):
                sock = socket.create_connection((engine.engine_ip, port), timeout=60)
            received = echo_roundtrip(sock, data)
            sock.shutdown(socket.SHUT_WR)
            if sock.recv(1) != b"":
                raise AssertionError("the echo must close after the client's FIN")
            sock.close()
            results[index] = (hashlib.sha256(data).hexdigest(), hashlib.sha256(received).hexdigest())
        except BaseException as error:  # noqa: BLE001 - re-raised below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    if len(results) != connections:
        raise AssertionError(f"{connections - len(results)} echo clients did not finish")
    return list(results.values())
