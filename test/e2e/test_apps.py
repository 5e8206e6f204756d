#!/usr/bin/python3
"""The apps of lib/app served by the real engine, with Linux clients: the http app to curl,
Python's http.client (keep-alive, HEAD, a body, pipelining, a malformed request) and wrk; echo
with random bytes over parallel connections, compared by SHA-256; discard; and the sample
uppercase plugin loaded from the config. docs/apps.md documents the apps."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import sys
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

BODY = "hello from rampart\n"
PLUGIN = Path(os.environ.get(
    "RAMPART_UPPERCASE_PLUGIN",
    str(h.rampart_bin().parents[2] / "lib" / "app" / "plugins" / "uppercase" / "uppercase.so")))
CONFIG = {"listeners": [
    {"port": 80, "app": "http", "args": {"body": BODY, "header.X-Test": "e2e"}},
    {"port": 7, "app": "echo"},
    {"port": 9, "app": "discard"},
    {"port": 7000, "app": "plugin", "plugin": str(PLUGIN), "args": {"greeting": "hi\n"}},
]}


class Apps(unittest.TestCase):
    engine: h.Engine

    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = h.Engine(config=CONFIG)
        cls.engine.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.engine.close()

    def stats(self) -> dict[str, int]:
        return self.engine.counters("/rampart/stats")

    def connect(self, port: int) -> "t.socket.socket":
        sock, _ = t.timed_connect(self.engine.netns, self.engine.engine_ip, port)
        sock.settimeout(10)
        return sock

    def http_connection(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.engine.engine_ip, 80, timeout=10)
        conn.sock = self.connect(80)
        return conn

    def wait_closed(self, before: dict[str, int], n: int) -> None:
        """Waits until n more connections left the table: those the client closed first (the
        engine's FIN, then the last ACK). Ones the engine closes first wait in TIME-WAIT."""
        t.wait_counters(
            self.engine,
            lambda c: c["tcp_connections_closed"] - before["tcp_connections_closed"] >= n, 20,
            f"{n} connection(s) closed")

    def test_1_curl_gets_the_configured_response(self) -> None:
        before = self.stats()
        result = self.engine.ns_run(["curl", "-s", "-i", "-m", "10",
                                     f"http://{self.engine.engine_ip}/"])
        # (ns_run reads text: CRLF arrives as LF)
        head, _, body = result.stdout.partition("\n\n")
        self.assertTrue(head.startswith("HTTP/1.1 200 OK\n"), result.stdout)
        self.assertIn(f"\nContent-Length: {len(BODY)}\n", head + "\n")
        self.assertIn("\nX-Test: e2e\n", head + "\n")
        self.assertEqual(body, BODY)
        after = t.wait_counters(self.engine,
                                lambda c: c["http_requests"] >= before["http_requests"] + 1, 10,
                                "curl's request counted")
        self.assertEqual(after["http_requests"] - before["http_requests"], 1)

    def test_2_http_client_keep_alive_head_body_and_close(self) -> None:
        conn = self.http_connection()
        conn.request("GET", "/a")
        r = conn.getresponse()
        self.assertEqual((r.status, r.read().decode()), (200, BODY))
        conn.request("HEAD", "/b")
        r = conn.getresponse()
        self.assertEqual((r.status, r.getheader("Content-Length"), r.read()), (200, str(len(BODY)), b""))
        conn.request("POST", "/c", body=b"x" * 5000)
        r = conn.getresponse()
        self.assertEqual((r.status, r.read().decode()), (200, BODY))
        conn.request("GET", "/d", headers={"Connection": "close"})
        r = conn.getresponse()
        self.assertEqual((r.status, r.getheader("Connection"), r.read().decode()), (200, "close", BODY))
        conn.close()

    def test_3_pipelined_requests_are_answered_in_order(self) -> None:
        sock = self.connect(80)
        requests = "".join(f"GET /{i} HTTP/1.1\r\nHost: t\r\n\r\n" for i in range(20))
        sock.sendall((requests + "GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
        self.assertEqual(data.count(b"HTTP/1.1 200 OK\r\n"), 21)
        self.assertTrue(data.endswith(BODY.encode()))  # read to EOF: the engine closed

    def test_4_malformed_request_gets_400_and_close(self) -> None:
        before = self.stats()
        sock = self.connect(80)
        sock.sendall(b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 400 Bad Request\r\n"), data)
        self.assertIn(b"Connection: close\r\n", data)
        t.wait_counters(self.engine, lambda c: c["http_responses_400"] == before["http_responses_400"] + 1,
                        10, "the 400 counted")

    def test_5_wrk_request_count_matches_the_engine(self) -> None:
        before = self.stats()
        result = self.engine.ns_run(["wrk", "-t", "1", "-c", "16", "-d", "3",
                                     f"http://{self.engine.engine_ip}/"], timeout=60)
        self.assertNotIn("Socket errors", result.stdout, result.stdout)
        self.assertNotIn("Non-2xx", result.stdout, result.stdout)
        match = re.search(r"(\d+) requests in", result.stdout)
        self.assertIsNotNone(match, result.stdout)
        wrk_requests = int(match.group(1))
        self.assertGreater(wrk_requests, 100, result.stdout)
        self.wait_closed(before, 16)
        served = self.stats()["http_requests"] - before["http_requests"]
        # wrk counts the responses it read before its deadline; the engine also counts the
        # requests in flight then (at most one per connection).
        self.assertGreaterEqual(served, wrk_requests, result.stdout)
        self.assertLessEqual(served, wrk_requests + 16, result.stdout)

    def test_6_echo_returns_every_byte_over_parallel_connections(self) -> None:
        before = self.stats()
        size = 1 << 20
        results: dict[int, tuple[str, str]] = {}

        def one(index: int) -> None:
            payload = os.urandom(size)
            sock = self.connect(7)
            received = hashlib.sha256()
            count = 0

            def reader() -> None:
                nonlocal count
                while count < size:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    received.update(chunk)
                    count += len(chunk)

            thread = threading.Thread(target=reader)
            thread.start()
            sock.sendall(payload)
            thread.join(60)
            sock.shutdown(t.socket.SHUT_WR)
            self.assertEqual(sock.recv(1), b"")  # FIN answered with FIN
            sock.close()
            results[index] = (hashlib.sha256(payload).hexdigest(), received.hexdigest())

        threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(len(results), 4)
        for sent, got in results.values():
            self.assertEqual(sent, got)
        self.wait_closed(before, 4)

    def test_7_discard_counts_what_it_drops(self) -> None:
        before = self.stats()
        sock = self.connect(9)
        sock.sendall(b"z" * 100_000)
        sock.shutdown(t.socket.SHUT_WR)
        self.assertEqual(sock.recv(1), b"")
        sock.close()
        after = t.wait_counters(self.engine,
                                lambda c: c["discard_bytes"] >= before["discard_bytes"] + 100_000, 10,
                                "discarded bytes counted")
        self.assertEqual(after["discard_bytes"] - before["discard_bytes"], 100_000)
        self.wait_closed(before, 1)

    def test_8_the_sample_plugin_serves_a_client(self) -> None:
        before = self.stats()
        sock = self.connect(7000)
        sock.sendall(b"hello, plugin\n")
        sock.shutdown(t.socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
        self.assertEqual(data, b"hi\nHELLO, PLUGIN\n")
        self.wait_closed(before, 1)


if __name__ == "__main__":
    h.require_environment()
    if not PLUGIN.is_file():
        print(f"{PLUGIN} is not built (ninja -C build lib/app/plugins/uppercase/uppercase.so)")
        sys.exit(h.EXIT_SKIP)
    unittest.main(verbosity=2)
