"""Established streams end to end: the real binary on a tap inside a namespace of the test's own,
Linux's TCP stack (Python sockets, curl, wrk, http.client) and scapy as the peers.

- http: curl's response; keep-alive, HEAD and pipelining with http.client; wrk -c 64 -d 10 with
  no socket error and a request count matching the engine's counter;
- echo: 16 MiB of random bytes over 4 parallel connections, SHA-256 compared;
- the sample plugin (uppercase.so) loaded from the config serves a client;
- every way a connection ends (client close, server close, app abort, idle timeout, a client
  that vanished past the retry limit) leaves the connection table empty and the mbuf pool's
  in-use count back where it started.

The engine runs with short retransmission timers (so a vanished peer is given up on within
seconds) and an idle timeout on the discard port.
"""

from __future__ import annotations

import http.client
import re
import socket
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

SPOOFED_IP = "10.77.0.66"  # crafted peers: the namespace's kernel does not own it (no RST back)
PLUGIN_PORT = 8080
ABORT_PORT = 7007           # echo with a tiny hold bound: a client that never reads is aborted
IDLE_SECONDS = 2


CONFIG = {
    "listeners": [
        {"port": 80, "app": "http", "args": {}},
        {"port": 7, "app": "echo"},
        {"port": 9, "app": "discard", "idle_timeout_seconds": IDLE_SECONDS},
        {"port": PLUGIN_PORT, "app": "plugin", "plugin": str(h.sample_plugin_path()), "args": {}},
        {"port": ABORT_PORT, "app": "echo", "args": {"max_held_bytes": "4096"}},
    ],
    # A vanished peer: 100 ms, 200, 400, 400 ms, then the connection is given up (about 1.1 s).
# TIME-WAIT (after the server closes first) lasts 1 s, so every test ends with an empty table.
    "tcp": {"rto_min_ms": 50, "rto_initial_ms": 100, "rto_max_ms": 400, "max_retransmissions": 3,
            "send_buffer": 16384, "time_wait_seconds": 1},
}


class Streams(h.EngineTests):
    ENGINE_CONFIG = CONFIG

    def stats(self) -> dict[str, int]:
        return self.engine.counters("/rampart/stats")

    def connect(self, port: int, timeout: float = 10.0) -> socket.socket:
        with h.in_netns(self.engine.netns):
            return socket.create_connection((self.engine.engine_ip, port), timeout=timeout)

    def assert_idle(self, what: str) -> None:
        """The table empties and the pool returns to its idle in-use count (the receive rings'
        and caches' share, measured before any connection)."""
        t.wait_counters(self.engine, lambda c: c["tcp_connections_active"] == 0, 20, f"{what}: empty table")
        self.assert_pool_idle(what)

    # -- http ----------------------------------------------------------------------------------

    def test_01_curl_gets_the_http_response(self) -> None:
        before = self.stats()
        out = self.engine.ns_run(["curl", "-sS", "-i", "-m", "10", f"http://{self.engine.engine_ip}/"])
        # (text mode: the CRLFs arrive as newlines)
        self.assertTrue(out.stdout.startswith("HTTP/1.1 200 OK\n"), out.stdout)
        self.assertIn("Content-Length: 3\n", out.stdout)
        self.assertTrue(out.stdout.endswith("\n\nok\n"), out.stdout)
        self.assertEqual(self.stats()["http_requests"] - before["http_requests"], 1)
        self.assert_idle("curl")

    def test_02_http_client_keep_alive_head_and_pipelining(self) -> None:
        conn = http.client.HTTPConnection(self.engine.engine_ip, 80, timeout=10)
        with h.in_netns(self.engine.netns):
            conn.connect()  # the socket's namespace is fixed here (http.client connects lazily)
        for _ in range(5):  # one connection, five requests
            conn.request("GET", "/health")
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.read(), b"ok\n")
        conn.request("HEAD", "/")
        response = conn.getresponse()
        self.assertEqual(response.getheader("Content-Length"), "3")
        self.assertEqual(response.read(), b"")
        conn.close()
        # Pipelining: three requests in one write, three responses in order.
        sock = self.connect(80)
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n" * 2 + b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
        self.assertEqual(data.count(b"HTTP/1.1 200 OK"), 3, data)
        self.assertTrue(data.endswith(b"ok\n"))
        self.assert_idle("http.client")

    def test_03_wrk_64_connections_no_errors_and_counts_match(self) -> None:
        before = self.stats()
        out = self.engine.ns_run(["wrk", "-t", "2", "-c", "64", "-d", "10", "--timeout", "5",
                                  f"http://{self.engine.engine_ip}/"], timeout=60)
        h.log("wrk: " + " | ".join(line.strip() for line in out.stdout.splitlines() if line.strip()))
        self.assertNotIn("Socket errors", out.stdout, out.stdout)
        self.assertNotIn("Non-2xx", out.stdout, out.stdout)
        requests = int(re.search(r"(\d+) requests in", out.stdout).group(1))
        self.assertGreater(requests, 1000)
        self.assert_idle("wrk")
        served = self.stats()["http_requests"] - before["http_requests"]
        # wrk counts a request when its response arrives; when the 10 s end, it closes its 64
        # connections, and a request still in flight then was answered by the engine but never
        # counted by wrk: at most one per connection, since wrk does not pipeline.
        h.log(f"wrk counted {requests} requests, the engine answered {served}")
        self.assertGreaterEqual(served, requests)
        self.assertLessEqual(served - requests, 64)
        self.assertEqual(self.engine.drops().get("tcp_challenge_ack_limited", 0), 0)

    # -- echo ----------------------------------------------------------------------------------

    def test_04_echo_16_mib_over_4_connections(self) -> None:
        started = time.monotonic()
        for sent, echoed in t.parallel_echo(self.engine, 7, 4 << 20, 4):
            self.assertEqual(sent, echoed)
        h.log(f"echo: 16 MiB over 4 connections in {time.monotonic() - started:.1f} s")
        self.assert_idle("echo")

    # -- plugin --------------------------------------------------------------------------------

    def test_05_sample_plugin_serves_a_client(self) -> None:
        sock = self.connect(PLUGIN_PORT)
        sock.sendall(b"hello, plugin\n")
        data = b""
        while b"HELLO, PLUGIN\n" not in data:
            chunk = sock.recv(4096)
            self.assertTrue(chunk, f"closed early: {data!r}")
            data += chunk
        sock.close()
        self.assert_idle("plugin")

    # -- every way a connection ends -----------------------------------------------------------

    def test_06_server_close_and_client_close(self) -> None:
        before = self.stats()
        sock = self.connect(80)  # the server closes: Connection: close
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while sock.recv(4096):
            pass
        sock.close()
        sock = self.connect(9)  # the client closes
        sock.sendall(b"x" * 10000)
        sock.close()
        self.assert_idle("close")
        after = self.stats()
        self.assertGreaterEqual(after["tcp_closed_normal"] - before["tcp_closed_normal"], 2)

    def test_07_app_abort_resets_the_client(self) -> None:
        before = self.stats()
        sock = self.connect(ABORT_PORT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        with self.assertRaises((ConnectionResetError, BrokenPipeError)):
            for _ in range(2000):  # never reads: the echo holds, then aborts
                sock.sendall(b"z" * 4096)
        sock.close()
        self.assert_idle("abort")
        after = self.stats()
        self.assertEqual(after["tcp_closed_aborted"] - before["tcp_closed_aborted"], 1)
        self.assertEqual(after["echo_aborts"] - before["echo_aborts"], 1)

    def test_08_idle_timeout_resets_a_silent_client(self) -> None:
        before = self.stats()
        sock = self.connect(9)
        sock.sendall(b"then silence")
        time.sleep(IDLE_SECONDS + 1.5)
        with self.assertRaises(ConnectionResetError):
            sock.recv(1)
        sock.close()
        self.assert_idle("idle")
        self.assertEqual(self.stats()["tcp_closed_idle"] - before["tcp_closed_idle"], 1)

    def test_09_vanished_client_is_given_up_after_the_retry_limit(self) -> None:
        before = self.stats()
        sport, isn = 47001, 0x10203040

        def crafted(flags: str, seq: int, ack: int = 0, payload: bytes = b"") -> bytes:
            return bytes(Ether(dst=self.engine_mac, src=self.peer_mac)
                         / IP(src=SPOOFED_IP, dst=self.engine.engine_ip)
                         / TCP(sport=sport, dport=7, flags=flags, seq=seq, ack=ack, window=64240,
                               options=[("MSS", 1460)] if flags == "S" else [])
                         / payload)

        def from_engine(p: Ether, out: bool) -> bool:
            return not out and t.is_tcp(p, src=self.engine.engine_ip, dst=SPOOFED_IP, sport=7, dport=sport)

        with t.Capture(self.engine) as cap:
            cap.send(crafted("S", isn))
            got = cap.next(from_engine)
            self.assertIsNotNone(got, "no SYN-ACK")
            iss = Ether(got[0])[TCP].seq
            cap.send(crafted("PA", isn + 1, iss + 1, b"anyone there?"))
            # The echo answers; we never acknowledge it: retransmissions, then a RST.
            segments = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                got = cap.next(from_engine, timeout=1.0)
                if got is None:
                    continue
                segments.append(Ether(got[0])[TCP])
                if "R" in segments[-1].flags:
                    break
        data = [s for s in segments if "R" not in s.flags and bytes(s.payload)]  # a RST is padded to 60 bytes
        self.assertGreaterEqual(len(data), 4, [s.summary() for s in segments])  # first + 3 retransmissions
        self.assertTrue(all(bytes(s.payload) == b"anyone there?" for s in data),
                        [bytes(s.payload) for s in data])
        self.assertIn("R", segments[-1].flags)
        self.assert_idle("vanished")
        after = self.stats()
        self.assertEqual(after["tcp_closed_timeout"] - before["tcp_closed_timeout"], 1)
        self.assertGreaterEqual(after["tcp_rto_expiries"] - before["tcp_rto_expiries"], 3)


class StartupLog(unittest.TestCase):
    def test_a_plugin_arg_with_a_newline_stays_on_its_line(self) -> None:
        """A value from the config is escaped in the log: it cannot split its line, nor forge
        "rampart: ready" before the engine is."""
        greeting = "hi\nrampart: ready"
        listeners = [{"port": PLUGIN_PORT, "app": "plugin", "plugin": str(h.sample_plugin_path()),
                      "args": {"greeting": greeting}}]
        with h.Engine(config={"listeners": listeners, "stats": {"interval_seconds": 0}}) as engine:
            sock, _ = t.timed_connect(engine.netns, engine.engine_ip, PLUGIN_PORT)
            with sock:
                self.assertEqual(sock.recv(64), greeting.encode(), "the plugin itself gets the real value")
            lines = engine.output().splitlines()
            listener = f" rampart: listener: tcp port {PLUGIN_PORT} → app plugin (greeting=hi\\nrampart: ready)"
            self.assertEqual(sum(line.endswith(listener) for line in lines), 1, "\n".join(lines))
            self.assertEqual(sum(line.endswith(" rampart: ready") for line in lines), 1, "\n".join(lines))


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
