#!/usr/bin/python3
"""Signals and the SIGTERM drain (docs/operations.md, "Signals").

Each test runs its own engine: SIGUSR1 prints the counters and keeps serving; SIGHUP applies
the live keys of a changed file, names the keys that need a restart, refuses a broken file and
keeps an open connection; SIGTERM drains (open echo and http connections keep being served, new
SYNs are dropped as tcp_draining, the engine exits 0 once they close, or at the deadline, which
resets what is still open: the client sees the RST); a
second SIGTERM and SIGINT stop at once; every ending signal prints the final counters and
removes the EAL runtime directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402

PORT = 7       # echo (config/default.yaml): bytes sent come back, nothing closes the connection
HTTP_PORT = 80  # http: a keep-alive static response
SIOCOUTQ = 0x5411  # linux/sockios.h: bytes in a TCP socket's send queue not yet ACKed


def unacked_bytes(sock: socket.socket) -> int:
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), SIOCOUTQ, b"\0\0\0\0"))[0]


def receive_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


class SignalTests(unittest.TestCase):

    def start(self, config: dict | None = None) -> h.Engine:
        engine = h.Engine(config={"stats": {"interval_seconds": 0}, **(config or {})})
        engine.__enter__()
        self.addCleanup(engine.close)
        return engine

    def wait_output(self, engine: h.Engine, text: str, timeout: float = 10.0) -> str:
        try:
            return h.wait_for(lambda: text in engine.output() and engine.output(), timeout,
                              f"'{text}' in the engine's output", interval=0.1)
        except TimeoutError as error:
            raise AssertionError(f"{error}; output:\n{engine.output()[-3000:]}") from None

    def wait_exit(self, engine: h.Engine, timeout: float) -> tuple[int, float]:
        assert engine.process is not None
        start = time.monotonic()
        engine.process.wait(timeout)
        return engine.stop(), time.monotonic() - start

    def assert_clean_exit(self, engine: h.Engine, code: int) -> None:
        output = engine.output()
        self.assertEqual(code, 0, output[-2000:])
        self.assertIn("rampart: final counters:", output)
        self.assertIn("rampart: port closed; bye", output)
        self.assertFalse((h.TELEMETRY_DIR / engine.file_prefix).exists(),
                         "the EAL runtime directory must be removed at exit")

    def connect(self, engine: h.Engine, timeout: float = t.CONNECT_TIMEOUT, port: int = PORT) -> socket.socket:
        sock, _ = t.timed_connect(engine.netns, engine.engine_ip, port, timeout)
        self.addCleanup(sock.close)
        return sock

    def send_and_wait_acked(self, sock: socket.socket, size: int = 3000) -> None:
        sock.sendall(b"x" * size)
        h.wait_for(lambda: unacked_bytes(sock) == 0, 10, "the engine to ACK every byte sent")
        self.assertEqual(receive_exactly(sock, size), b"x" * size, "the echo app sends every byte back")

    # -- SIGUSR1 -------------------------------------------------------------------------------

    def test_sigusr1_prints_counters_and_keeps_serving(self) -> None:
        engine = self.start()
        pings = engine.counters()["icmp_echo_replied"]
        engine.process.send_signal(signal.SIGUSR1)
        output = self.wait_output(engine, "rampart: counters (SIGUSR1):")
        block = output.split("rampart: counters (SIGUSR1):", 1)[1]
        self.assertIn(f"rampart:   icmp_echo_replied {pings}", block)
        self.assertIn("rampart:   tcp_connections_active 0", block)
        engine.ns_run(h.ping_command(engine.engine_ip, 2))
        self.assertIsNone(engine.process.poll(), "SIGUSR1 must not stop the engine")
        self.assert_clean_exit(engine, engine.stop())

    # -- SIGHUP --------------------------------------------------------------------------------

    def rewrite_config(self, engine: h.Engine, changes: dict) -> None:
        config = h._deep_merge(engine.config, changes)
        engine.config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    def test_sighup_applies_live_keys_and_names_the_others(self) -> None:
        engine = self.start()
        sock = self.connect(engine)
        t.wait_counters(engine, lambda c: c["tcp_connections_active"] == 1, 10, "one connection")

        self.rewrite_config(engine, {"stats": {"interval_seconds": 1},
                                     "tcp": {"drain_timeout_seconds": 7, "mss": 1360},
                                     "port": {"mtu": 1400}})
        engine.process.send_signal(signal.SIGHUP)
        output = self.wait_output(engine, "rampart: stats +")  # the new interval at work
        self.assertIn("SIGHUP: applied stats.interval_seconds 0 -> 1", output)
        self.assertIn("SIGHUP: applied tcp.drain_timeout_seconds 0 -> 7", output)
        self.assertIn("SIGHUP: not applied, needs a restart: port.mtu 1500 -> 1400", output)
        self.assertIn("rampart: warning: SIGHUP: not applied, needs a restart: tcp.mss 1460 -> 1360", output)

        # A broken file changes nothing and stops nothing.
        engine.config_path.write_text("port: {ip: 10.77.0.300/24}\n")
        engine.process.send_signal(signal.SIGHUP)
        output = self.wait_output(engine, "SIGHUP: configuration not reloaded")
        self.assertRegex(output, r"configuration not reloaded, still running the previous one: "
                                 r"\S+rampart\.yaml:1: port\.ip")

        # The connection opened before both reloads is still served.
        self.assertIsNone(engine.process.poll())
        self.send_and_wait_acked(sock)
        self.assertEqual(engine.counters()["tcp_connections_active"], 1)
        sock.close()
        self.assert_clean_exit(engine, engine.stop())

    # -- SIGTERM drain -------------------------------------------------------------------------

    def test_sigterm_drains_until_the_last_connection_closes(self) -> None:
        engine = self.start({"tcp": {"drain_timeout_seconds": 60}})
        echo = self.connect(engine)
        web = self.connect(engine, port=HTTP_PORT)
        t.wait_counters(engine, lambda c: c["tcp_connections_active"] == 2, 10, "two connections")
        started = time.monotonic()
        engine.process.send_signal(signal.SIGTERM)
        self.wait_output(engine, "SIGTERM received: draining")

        # New clients get no SYN-ACK: their SYNs are dropped and counted.
        with self.assertRaises(socket.timeout):
            self.connect(engine, timeout=2.5)
        drops = engine.drops()
        self.assertGreaterEqual(drops["tcp_draining"], 2, "Linux retransmits its SYN after 1 s")
        # Every SYN dropped by the drain was for the echo port (read twice: one may still arrive).
        h.wait_for(lambda: engine.telemetry(f"/rampart/listeners,{PORT}")[str(PORT)]["refused"] ==
                   engine.drops()["tcp_draining"], 5, "refused on the echo port == drop.tcp_draining")
        self.assertEqual(engine.counters()["tcp_connections_active"], 2)

        # The open connections are still served while the engine drains: 256 KiB echoed back
        # whole, and an HTTP request answered on the keep-alive connection.
        payload = os.urandom(256 * 1024)
        sender = threading.Thread(target=echo.sendall, args=(payload,))
        sender.start()
        received = receive_exactly(echo, len(payload))
        sender.join()
        self.assertEqual(hashlib.sha256(received).hexdigest(), hashlib.sha256(payload).hexdigest())
        client = http.client.HTTPConnection(engine.engine_ip, HTTP_PORT, timeout=10)
        client.sock = web
        client.request("GET", "/")
        response = client.getresponse()
        self.assertEqual(response.status, 200)
        self.assertGreater(len(response.read()), 0)
        self.assertIsNone(engine.process.poll(), "the drain must wait for the open connections")
        self.assertEqual(engine.counters()["tcp_connections_active"], 2)

        # The client closes first (FIN): the engine answers FIN, the table empties, the drain ends.
        echo.close()
        web.close()
        code, _ = self.wait_exit(engine, 15)
        self.assert_clean_exit(engine, code)
        self.assertLess(time.monotonic() - started, 30, "ended by the close, not the 60 s deadline")
        output = engine.output()
        self.assertIn("drain complete: no connection open", output)
        self.assertRegex(output, r"rampart:   drop\.tcp_draining [1-9]")
        self.assertIn("rampart:   tcp_closed_shutdown 0", output)

    def test_sigterm_drain_does_not_wait_for_time_wait(self) -> None:
        # The http app closes first after a "Connection: close" response: once the client's FIN
        # and ACK arrive the engine holds a TIME-WAIT entry for 240 s. The drain must not wait it
        # out: it ends at once, drops the entry without a RST, and counts it as a normal close.
        engine = self.start({"tcp": {"drain_timeout_seconds": 60, "time_wait_seconds": 240}})
        web = self.connect(engine, port=HTTP_PORT)
        web.sendall(b"GET / HTTP/1.1\r\nHost: rampart\r\nConnection: close\r\n\r\n")
        response = b""
        while chunk := web.recv(65536):
            response += chunk
        self.assertTrue(response.startswith(b"HTTP/1.1 200"), response[:100])
        web.close()
        t.wait_counters(engine, lambda c: c["tcp_time_wait_active"] == 1, 10, "a TIME-WAIT entry")
        listed = engine.telemetry("/rampart/connections,state=time-wait")
        self.assertEqual(listed["matched"], 1, listed)
        self.assertEqual(listed["connections"]["0"]["state"], "TIME-WAIT")
        rst_before = engine.counters()["tcp_rst_sent"]
        started = time.monotonic()
        engine.process.send_signal(signal.SIGTERM)
        code, _ = self.wait_exit(engine, 15)
        self.assert_clean_exit(engine, code)
        self.assertLess(time.monotonic() - started, 5, "ended by the drain, not TIME-WAIT's 240 s nor the deadline")
        output = engine.output()
        self.assertIn("drain complete: no connection open (1 in TIME-WAIT, dropped)", output)
        self.assertIn("rampart:   tcp_closed_shutdown 0", output)
        self.assertIn("rampart:   tcp_closed_normal 1", output)
        self.assertIn(f"rampart:   tcp_rst_sent {rst_before}", output)
        self.assertIn("rampart:   tcp_time_wait_active 0", output)

    def test_sigterm_drain_resets_what_is_open_at_the_deadline(self) -> None:
        engine = self.start({"tcp": {"drain_timeout_seconds": 2}})
        sock = self.connect(engine)
        t.wait_counters(engine, lambda c: c["tcp_connections_active"] == 1, 10, "one connection")
        engine.process.send_signal(signal.SIGTERM)
        code, seconds = self.wait_exit(engine, 15)
        self.assert_clean_exit(engine, code)
        self.assertGreaterEqual(seconds, 1.8, "the deadline is 2 s")
        output = engine.output()
        self.assertIn("drain deadline (tcp.drain_timeout_seconds 2) passed with 1 connection(s) open: "
                      "resetting them", output)
        self.assertIn("rampart:   tcp_closed_shutdown 1", output)
        # The RST reached the client before the port closed: its socket is reset, not left open.
        sock.settimeout(5)
        with self.assertRaises(ConnectionResetError):
            sock.recv(1)

    def test_second_sigterm_and_sigint_stop_at_once(self) -> None:
        for second, expected in ((signal.SIGTERM, "SIGTERM received: stopping at once"),
                                 (signal.SIGINT, "SIGINT received: stopping at once")):
            with self.subTest(second=second.name):
                engine = self.start({"tcp": {"drain_timeout_seconds": 600}})
                self.connect(engine)
                t.wait_counters(engine, lambda c: c["tcp_connections_active"] == 1, 10, "a connection")
                engine.process.send_signal(signal.SIGTERM)
                self.wait_output(engine, "SIGTERM received: draining")
                engine.process.send_signal(second)
                code, seconds = self.wait_exit(engine, 10)
                self.assert_clean_exit(engine, code)
                self.assertLess(seconds, 5)
                self.assertIn(expected, engine.output())

    def test_other_ending_signals_print_counters_and_clean_up(self) -> None:
        for signo in (signal.SIGQUIT, signal.SIGUSR2, signal.SIGALRM):
            with self.subTest(signal=signo.name):
                engine = self.start()
                engine.process.send_signal(signo)
                code, _ = self.wait_exit(engine, 10)
                self.assert_clean_exit(engine, code)
                self.assertIn(f"{signo.name} received: stopping at once", engine.output())


    def test_sigterm_during_start_up_still_ends_cleanly(self) -> None:
        # The handlers are installed before EAL starts: a SIGTERM while the port comes up is
        # acted on by the control loop (a drain with no connection ends at once).
        engine = h.Engine(config={"tcp": {"drain_timeout_seconds": 30}})
        self.addCleanup(engine.close)
        engine.config_path.write_text(yaml.safe_dump(engine.config, sort_keys=False))
        with engine.output_path.open("wb") as out:
            process = subprocess.Popen([str(h.rampart_bin()), "--config", str(engine.config_path)],
                                       stdout=out, stderr=subprocess.STDOUT)
            h.wait_for(lambda: b"EAL args" in engine.output_path.read_bytes(), 10, "EAL to start")
            process.send_signal(signal.SIGTERM)
            code = process.wait(30)
        output = engine.output_path.read_text()
        self.assertEqual(code, 0, output)
        self.assertIn("rampart: port closed; bye", output)
        self.assertFalse((h.TELEMETRY_DIR / engine.file_prefix).exists(), output)
        self.assertFalse(Path(f"/sys/class/net/{engine.tap}").exists())


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
