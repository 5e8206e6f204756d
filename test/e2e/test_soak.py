#!/usr/bin/python3
"""Soak: one engine under a mixed load for RAMPART_SOAK_SECONDS (120 in the slow suite, 1800 for
`scripts/test.sh soak`), sampled every second.

The bed is test_streams_af_packet.py's (rampart on net_af_packet on a veth, Linux in the peer
namespace), for the reason test_proxy_shield.py gives: on net_af_packet the kernel copies the
flood into the engine's ring in the sender's time, as a NIC would. All at once, from the peer
namespace:

- legitimate clients with churn, each connection checked: HTTP_CLIENTS threads each open a
  connection, GET / with `Connection: close`, read to the end and check the whole response;
  ECHO_CLIENTS threads each open a connection, echo ECHO_BYTES random bytes, compare, close.
  Each paced to CLIENT_RATE connections per second; every failure counted and its first
  reasons logged;
- rampart-load's SYN flood and forged ACKs (FLOOD_RATE per second each, spoofed sources) at
  nice 19: it stands in for attackers elsewhere and yields the CPUs to the clients;
- hostile peers, HOSTILE_PEERS of each kind, each held HOSTILE_HOLD_SECONDS then replaced:
  clients that ask the http app on BIG_PORT for a BIG_BODY-byte body with a 4 KiB receive buffer
  and never read (the zero window held, rampart probing it), and clients that send half a
  request and stall;
- in the middle, a SIGHUP reload (a harmless change: the stats line's interval) and a capture of
  CAPTURE_FRAMES frames into stats.capture_directory.

Each second: the engine's RSS (/proc/<pid>/status), mbufs in use (/rampart/port), the
connection gauges and every counter (/rampart/stats, /rampart/listeners). Asserted:

- memory flat after warm-up: the last third's highest RSS and mbufs in use exceed the first
  third's highest by at most RSS_SLACK_KIB and MBUF_SLACK (below, with why);
- no counter went backwards between two samples (gauges excepted: counters.hh marks them with
  a description starting "gauge:");
- every frame accounted for over the whole run, once the link is quiet again
  (rampart_harness.accounting_gaps, docs/stats.md "Every frame accounted for");
- every legitimate client served (no failure among the HTTP and echo connections, and some of
  each made), and the engine still answering both afterwards;
- the attacks took hold: zero-window probes sent, SYN cookies sent, hostile peers replaced.

RAMPART_SOAK_FLOOD_RATE sets the flood's rates (2000 each). RAMPART_SOAK_OUT=DIR writes the samples to DIR/soak.csv and, when gnuplot is installed, the
plot of mbufs in use and connections over time to DIR/soak.png.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import test_streams_af_packet as afp  # noqa: E402

SECONDS = int(os.environ.get("RAMPART_SOAK_SECONDS", "120"))
OUT_DIR = os.environ.get("RAMPART_SOAK_OUT")
LOAD_BIN = Path(os.environ.get("RAMPART_LOAD_BIN", str(h.REPO_ROOT / "build" / "perf" / "load" / "rampart-load")))
COUNTERS_HH = h.REPO_ROOT / "lib" / "stats" / "include" / "stats" / "counters.hh"

HTTP_PORT, ECHO_PORT, BIG_PORT = 80, 7, 8080
BIG_BODY = 1 << 20
HTTP_CLIENTS = ECHO_CLIENTS = 3
CLIENT_RATE = 40            # connections per second per client thread
ECHO_BYTES = 4096
CLIENT_TIMEOUT = 10.0       # seconds a legitimate client waits for any step before it fails
FLOOD_RATE = int(os.environ.get("RAMPART_SOAK_FLOOD_RATE", "2000"))
FLOOD_EXTRA_SECONDS = 5
GENERATOR_IP = "10.79.0.9"
HOSTILE_PEERS = 24          # of each kind
HOSTILE_HOLD_SECONDS = 20
CAPTURE_FRAMES = 1000
TIME_WAIT_SECONDS = 10
# Memory flat after warm-up. RSS: the engine allocates its pool and tables at start-up; what
# still comes and goes is the control thread's heap (telemetry replies, the capture's file
# buffer, the reload's parsed config): 2 MiB is far above that, and below what a leak of 128
# bytes per connection would add over the last two thirds of the CI run (about 19,000
# connections). mbufs: besides a steady base, those the connections hold (send queues within
# the send budget, out-of-order data) and the bursts in flight, all of which churn: 256 is
# eight bursts of 32, and a leak of one mbuf in fifty connections (about 390 over the same
# span) would exceed it.
RSS_SLACK_KIB = 2048
MBUF_SLACK = 256


def gauge_names() -> set[str]:
    """Counters that are gauges: counters.hh gives each a description starting "gauge:"."""
    return set(re.findall(r'X\((\w+),\s*"gauge:', COUNTERS_HH.read_text()))


GAUGES = gauge_names()


class Clients:
    """Client threads in the peer namespace, each running `one()` (one connection, raising on any
    failure) CLIENT_RATE times a second until stopped; successes and failures counted."""

    def __init__(self, name: str, netns: str, count: int, one: Callable[[], None]) -> None:
        self.name, self.netns, self.one = name, netns, one
        self.served = 0
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT * 3)

    def _run(self) -> None:
        with h.in_netns(self.netns):  # sockets opened by this thread belong to the namespace
            period = 1.0 / CLIENT_RATE
            next_start = time.monotonic()
            while not self._stop.is_set():
                try:
                    self.one()
                    with self._lock:
                        self.served += 1
                except Exception as error:  # noqa: BLE001 - every failure is counted, whatever it is
                    with self._lock:
                        self.failures.append(f"{time.strftime('%H:%M:%S')} {type(error).__name__}: {error}")
                next_start = max(next_start + period, time.monotonic())
                self._stop.wait(next_start - time.monotonic())


def connect(port: int) -> socket.socket:
    return socket.create_connection((afp.ENGINE_IP, port), timeout=CLIENT_TIMEOUT)


def read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def http_once() -> None:
    with connect(HTTP_PORT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
        response = read_to_end(sock)
    if not response.startswith(b"HTTP/1.1 200 ") or not response.endswith(b"\r\n\r\nok\n"):
        raise AssertionError(f"unexpected response {response[:200]!r}")


def echo_once() -> None:
    payload = random.randbytes(ECHO_BYTES)
    with connect(ECHO_PORT) as sock:
        sock.sendall(payload)
        echoed = b""
        while len(echoed) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError(f"closed after {len(echoed)} of {len(payload)} bytes")
            echoed += chunk
    if echoed != payload:
        raise AssertionError("echoed bytes differ from those sent")


class HostilePeers:
    """HOSTILE_PEERS never-reading and HOSTILE_PEERS half-request connections, each held
    HOSTILE_HOLD_SECONDS (staggered) and then replaced, by one thread in the peer namespace.
    Closing a never-reading socket with unread data makes Linux send a RST."""

    def __init__(self, netns: str) -> None:
        self.netns = netns
        self.opened = 0
        self.open_failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _open(self, never_reads: bool) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(5)
            if never_reads:
                # Before connect: the window scale offered in the SYN follows the buffer.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.connect((afp.ENGINE_IP, BIG_PORT))
                sock.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n")
            else:
                sock.connect((afp.ENGINE_IP, HTTP_PORT))
                sock.sendall(b"GET / HTTP/1.1\r\nHost: so")
            self.opened += 1
            return sock
        except OSError:
            sock.close()
            self.open_failures += 1
            return None

    def _run(self) -> None:
        with h.in_netns(self.netns):
            slots: list[tuple[bool, socket.socket | None, float]] = []
            now = time.monotonic()
            for i in range(2 * HOSTILE_PEERS):
                # Staggered ends: the peers are replaced a few at a time, all through the run.
                slots.append((i % 2 == 0, None, now + HOSTILE_HOLD_SECONDS * i / (2 * HOSTILE_PEERS)))
            for i, (never_reads, _, ends) in enumerate(slots):
                slots[i] = (never_reads, self._open(never_reads), ends)
            while not self._stop.wait(0.5):
                now = time.monotonic()
                for i, (never_reads, sock, ends) in enumerate(slots):
                    if now >= ends:
                        if sock is not None:
                            sock.close()
                        slots[i] = (never_reads, self._open(never_reads), now + HOSTILE_HOLD_SECONDS)
            for _, sock, _ in slots:
                if sock is not None:
                    sock.close()


class Soak(unittest.TestCase):
    def test_mixed_load_stays_flat(self) -> None:
        capture_dir = Path(tempfile.mkdtemp(prefix="rampart-soak-capture-"))
        self.addCleanup(shutil.rmtree, capture_dir, ignore_errors=True)
        listeners = [{"port": HTTP_PORT, "app": "http", "args": {}},
                     {"port": ECHO_PORT, "app": "echo"},
                     {"port": BIG_PORT, "app": "http", "args": {"body_bytes": str(BIG_BODY)}}]
        # TIME-WAIT (the http app closes first) for TIME_WAIT_SECONDS: the connection count levels
        # off within the first third of the run, as memory must.
        with afp.VethBed(config={"listeners": listeners, "tcp": {"time_wait_seconds": TIME_WAIT_SECONDS},
                                 "stats": {"capture_directory": str(capture_dir)}}) as bed:
            self.addCleanup(shutil.rmtree, h.TELEMETRY_DIR / f"{bed.prefix}-ld", ignore_errors=True)
            before = h.wait_for(lambda: quiet_counters(bed), 10, "the link to be quiet")
            http = Clients("http", bed.peer_ns, HTTP_CLIENTS, http_once)
            echo = Clients("echo", bed.peer_ns, ECHO_CLIENTS, echo_once)
            hostile = HostilePeers(bed.peer_ns)
            flood = start_flood(bed)
            try:
                for part in (http, echo, hostile):
                    part.start()
                samples = self.sample(bed, flood, [http, echo], hostile)
                flood.wait(FLOOD_EXTRA_SECONDS + 30)
            finally:
                for part in (http, echo, hostile):
                    part.stop()
                h.end_process(flood)
            self.assertEqual(flood.returncode, 0, (bed.workdir / "flood.err").read_text())
            self.report_flood(bed)
            try:
                after = h.wait_for(lambda: quiet_counters(bed), 60, "the link to be quiet again")
            except TimeoutError as error:
                raise AssertionError(f"{error}: {bed.counters()}") from None

            if OUT_DIR:
                write_samples(samples, Path(OUT_DIR))
            # How connections ended and what was dropped: the first clue when a client failed.
            h.log("over the run: " + ", ".join(f"{name} {after[name] - before[name]}" for name in sorted(after)
                                                if (name.startswith(("tcp_closed_", "drops.", "port.i")))
                                                and after[name] != before[name]))
            self.assert_memory_flat(samples)
            self.assert_counters_never_go_back(samples)
            self.assertEqual(h.accounting_gaps(before, after), {},
                             "every frame received ended as a reply, consumed or dropped")
            for clients in (http, echo):
                h.log(f"{clients.name}: {clients.served} connections served, "
                      f"{len(clients.failures)} failed")
                self.assertEqual(clients.failures[:10], [], f"legitimate {clients.name} clients failed "
                                 f"({len(clients.failures)} in all)")
                self.assertGreater(clients.served, SECONDS * CLIENT_RATE // 10, f"{clients.name} clients ran")
            h.log(f"hostile peers: {hostile.opened} opened, {hostile.open_failures} could not connect")
            self.assertGreater(hostile.opened, 2 * HOSTILE_PEERS, "the hostile peers were replaced as they expired")
            # The attacks took hold: the never-reading peers' zero window probed, the SYN flood
            # answered with cookies.
            for name in ("tcp_zero_window_probes", "tcp_syncookies_sent"):
                self.assertGreater(after[name], before[name], name)
            with h.in_netns(bed.peer_ns):
                http_once()
                echo_once()

    def sample(self, bed: afp.VethBed, flood: subprocess.Popen[bytes], clients: list[Clients],
               hostile: HostilePeers) -> list[dict[str, Any]]:
        """One sample a second for SECONDS; the SIGHUP at half time and the capture right after."""
        samples: list[dict[str, Any]] = []
        started = time.monotonic()
        reloaded = captured = False
        while (elapsed := time.monotonic() - started) < SECONDS:
            if flood.poll() is not None:
                raise AssertionError(f"rampart-load ended early ({flood.returncode}): "
                                     f"{(bed.workdir / 'flood.err').read_text()}")
            samples.append(take_sample(bed, elapsed, clients, hostile))
            if not reloaded and elapsed >= SECONDS / 2:
                self.reload(bed)
                reloaded = True
            elif reloaded and not captured:
                self.capture(bed)
                captured = True
            time.sleep(max(0.0, started + len(samples) - time.monotonic()))
        return samples

    def reload(self, bed: afp.VethBed) -> None:
        config_path = bed.workdir / "rampart.yaml"
        config = json.loads(config_path.read_text())
        config["stats"]["interval_seconds"] = 30
        config_path.write_text(json.dumps(config))
        bed.process.send_signal(signal.SIGHUP)
        h.wait_for(lambda: "SIGHUP: applied stats.interval_seconds 0 -> 30" in engine_output(bed), 10,
                   "the reload's log line")
        h.log("SIGHUP: stats.interval_seconds 0 -> 30 applied")

    def capture(self, bed: afp.VethBed) -> None:
        reply = bed.telemetry(f"/rampart/capture,{CAPTURE_FRAMES},soak.pcapng")
        self.assertEqual(reply.get("state"), "capturing", reply)
        done = h.wait_for(lambda: (state := bed.telemetry("/rampart/capture"))["state"] != "capturing" and state,
                          20, "the capture to end")
        h.log(f"capture: {done}")
        self.assertEqual(done["written"], CAPTURE_FRAMES, done)

    def report_flood(self, bed: afp.VethBed) -> None:
        """Logs what the flood offered and drew (rampart-load's final report)."""
        traffic = json.loads((bed.workdir / "flood.json").read_text())["traffic"]
        h.log("rampart-load: " + ", ".join(f"{k} {traffic[k]}" for k in
                                           ("syn_offered_per_s", "ack_offered_per_s", "syn_acks_per_s", "rsts_per_s")
                                           if k in traffic))

    def assert_memory_flat(self, samples: list[dict[str, Any]]) -> None:
        third = len(samples) // 3
        for name, slack in (("rss_kib", RSS_SLACK_KIB), ("mbufs_in_use", MBUF_SLACK)):
            first = max(s[name] for s in samples[:third])
            last = max(s[name] for s in samples[-third:])
            h.log(f"{name}: first third's highest {first}, last third's highest {last} (slack {slack})")
            self.assertLessEqual(last, first + slack, f"{name} grew after warm-up")

    def assert_counters_never_go_back(self, samples: list[dict[str, Any]]) -> None:
        backwards = []
        for earlier, later in zip(samples, samples[1:]):
            for name, value in later["counters"].items():
                if name.rsplit(".", 1)[-1] in GAUGES or name not in earlier["counters"]:
                    continue
                if value < earlier["counters"][name]:
                    backwards.append(f"{name} {earlier['counters'][name]} -> {value} at {later['t']:.0f} s")
        self.assertEqual(backwards[:10], [], "counters went backwards")


def quiet_counters(bed: afp.VethBed) -> dict[str, int] | None:
    """/rampart/stats once rx_packets and tx_packets held still for a second."""
    first = bed.counters()
    time.sleep(1)
    second = bed.counters()
    moved = any(first[name] != second[name] for name in ("rx_packets", "tx_packets", "tcp_segments_out"))
    return None if moved else second


def start_flood(bed: afp.VethBed) -> subprocess.Popen[bytes]:
    """rampart-load's SYN flood and forged ACKs against the http port for the whole run and
    FLOOD_EXTRA_SECONDS more (its start-up takes a few), from the peer end of the veth at nice 19,
    on the control lcore's CPU (the worker's stays free). Its final report goes to flood.json in
    the bed's directory, its messages to flood.err."""
    cmd = ["ip", "netns", "exec", bed.peer_ns, "nice", "-n", "19", str(LOAD_BIN), "-l", "0", "--no-huge",
           "-m", "256", "--no-pci", "--file-prefix", f"{bed.prefix}-ld",
           "--vdev", f"net_af_packet0,iface={bed.peer_if},framecnt=4096", "--log-level", "lib.eal:error",
           "--", "--target-ip", afp.ENGINE_IP, "--target-port", str(HTTP_PORT), "--local-ip", GENERATOR_IP,
           "--flood-prefix", "10.99.0.0/16", "--syn-rate", str(FLOOD_RATE), "--ack-rate", str(FLOOD_RATE),
           "--duration", str(SECONDS + FLOOD_EXTRA_SECONDS), "--report", str(bed.workdir / "flood.json"),
           "--no-progress"]
    with (bed.workdir / "flood.err").open("wb") as err:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)


def engine_output(bed: afp.VethBed) -> str:
    return (bed.workdir / "rampart.out").read_text(errors="replace")


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))


def take_sample(bed: afp.VethBed, elapsed: float, clients: list[Clients],
                hostile: HostilePeers) -> dict[str, Any]:
    counters = bed.counters()
    for port, row in bed.telemetry("/rampart/listeners").items():
        counters.update({f"listener{port}.{k}": v for k, v in h.counters_of(row).items()})
    sample = {"t": elapsed, "rss_kib": rss_kib(bed.process.pid),
              "mbufs_in_use": int(bed.telemetry("/rampart/port")["mbufs_in_use"]),
              "connections": counters["tcp_connections_active"],
              "time_wait": counters["tcp_time_wait_active"],
              "syn_backlog": counters["tcp_syn_backlog_active"],
              "served": sum(c.served for c in clients), "failed": sum(len(c.failures) for c in clients),
              "hostile_opened": hostile.opened, "counters": counters}
    return sample


def write_samples(samples: list[dict[str, Any]], out: Path) -> None:
    """soak.csv (one row a second), every counter of every sample in soak-counters.jsonl, and
    soak.png from the CSV when gnuplot is there."""
    out.mkdir(parents=True, exist_ok=True)
    columns = [k for k in samples[0] if k != "counters"] + ["rx_packets", "tx_packets", "dropped"]
    with (out / "soak.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for s in samples:
            writer.writerow([round(s["t"], 1) if k == "t" else s[k] if k in s else s["counters"][k]
                             for k in columns])
    with (out / "soak-counters.jsonl").open("w") as f:
        for s in samples:
            f.write(json.dumps({"t": round(s["t"], 1), **s["counters"]}) + "\n")
    h.log(f"samples: {out / 'soak.csv'}, {out / 'soak-counters.jsonl'}")
    if shutil.which("gnuplot") is None:
        h.log("no plot: gnuplot is not installed (apt-get install gnuplot-nox)")
        return
    script = f"""
set terminal pngcairo size 1200,600 noenhanced
set output '{out / "soak.png"}'
set datafile separator ','
set key autotitle columnheader outside bottom center horizontal
set xlabel 'seconds'
set ylabel 'mbufs in use'
set y2label 'connections'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
plot '{out / "soak.csv"}' using 1:3 with lines axes x1y1, \\
     '' using 1:4 with lines axes x1y2, '' using 1:5 with lines axes x1y2, '' using 1:6 with lines axes x1y2
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    h.log(f"plot: {out / 'soak.png'}")


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
