#!/usr/bin/python3
"""The proxy's operations in the real engine: draining a backend by telemetry, changing the
backends by SIGHUP.

The engine (one worker) serves port 8080 with the proxy app in front of two backends in its
namespace, 10.77.0.1:9001 and :9002, small Linux servers that answer each line with their name
("A: line" or "B: line"), so a client learns which backend it reached.

- round_robin: new clients reach both backends;
- /rampart/backend_drain,8080,0,on: /rampart/backends shows draining 1; a connection already
  open to A keeps working, and every new client reaches B; the periodic line says `draining`;
- rampart-ss shows the open client connection with its backend connection (Relay), and the
  backend connection with its client;
- /rampart/backend_drain,8080,0,off: new clients reach A again;
- a port without a proxy and an index past the last backend get an error, and change nothing;
- SIGHUP with B removed from `backends`: a connection open to B keeps working and finishes on it,
  every new client reaches A, /rampart/backends keeps B (its key and counters) with removed 1;
- SIGHUP with B listed again: it is back in its place and gets clients again;
- SIGHUP with an invalid `backends`: refused with start-up's message, and the running set serves.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import yaml  # noqa: E402

SS = Path(__file__).resolve().parents[2] / "scripts" / "rampart-ss"
PROXY_PORT = 8080
BACKEND_PORTS = {"A": 9001, "B": 9002}
BOTH = ", ".join(f"10.77.0.1:{port}" for port in BACKEND_PORTS.values())

# One server per backend: a thread per connection, each line answered "NAME: line".
SERVER = r"""
import socket, sys, threading
name, port = sys.argv[1], int(sys.argv[2])
listener = socket.create_server(("0.0.0.0", port), backlog=64)
print("listening", flush=True)
def serve(conn):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            conn.sendall(name.encode() + b": " + line)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


class ProxyOperations(h.EngineTests):
    ENGINE_CONFIG = {
        "stats": {"interval_seconds": 1},
        "listeners": [{"port": PROXY_PORT, "app": "proxy", "args": {
            "backends": BOTH,
            "balance": "round_robin",
            "health_interval_ms": "500",
        }}],
    }

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.servers = []
        try:
            for name, port in BACKEND_PORTS.items():
                server = cls.engine.ns_popen(["/usr/bin/python3", "-c", SERVER, name, str(port)])
                cls.servers.append(server)
                assert server.stdout is not None and server.stdout.readline().strip() == "listening"
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        for server in getattr(cls, "servers", []):
            server.kill()
            server.wait()
        super().tearDownClass()

    def connect(self) -> socket.socket:
        """A client connection to the proxy, from the engine's namespace."""
        with h.in_netns(self.engine.netns):
            client = socket.create_connection((self.engine.engine_ip, PROXY_PORT), timeout=5)
        return client

    def ask(self, client: socket.socket, line: str) -> str:
        """Sends one line; returns the name of the backend that answered it."""
        client.sendall(line.encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = client.recv(4096)
            self.assertTrue(chunk, f"the connection closed before the answer to {line!r}")
            reply += chunk
        name, _, echoed = reply.decode().partition(": ")
        self.assertEqual(echoed, line + "\n")
        return name

    def backends_reached(self, clients: int) -> list[str]:
        names = []
        for i in range(clients):
            with self.connect() as client:
                names.append(self.ask(client, f"client {i}"))
        return names

    def connect_to(self, name: str) -> tuple[socket.socket, list[socket.socket]]:
        """Opens connections until one reaches backend `name` (round_robin: the first or the
        second); returns it and the others, still open."""
        others = []
        for _ in range(2):
            client = self.connect()
            if self.ask(client, "before") == name:
                return client, others
            others.append(client)
        for client in others:
            client.close()
        self.fail(f"no client reached backend {name}")

    def backend(self, key: str) -> dict:
        return self.engine.telemetry(f"/rampart/backends,{PROXY_PORT}")[key]

    def drain(self, state: str) -> dict:
        return self.engine.telemetry(f"/rampart/backend_drain,{PROXY_PORT},0,{state}")

    def check_relay_listed(self, client: socket.socket) -> None:
        """rampart-ss: the client's row names its connection to A, whose row names the client."""
        client_end = "{}:{}".format(*client.getsockname())
        out = subprocess.run([str(SS), "--prefix", self.engine.file_prefix], capture_output=True, text=True,
                             timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [line.split() for line in out.stdout.splitlines() if line.startswith("ESTABLISHED")]
        listed = {(row[4], row[-1]) for row in rows}  # (peer address, Relay)
        relays = [relay for peer, relay in listed if peer == client_end]
        self.assertEqual(len(relays), 1, out.stdout)
        local, _, backend = relays[0].partition(">")
        self.assertEqual(backend, f"10.77.0.1:{BACKEND_PORTS['A']}", out.stdout)
        self.assertTrue(local.startswith(self.engine.engine_ip + ":"), out.stdout)
        self.assertIn((backend, f"{self.engine.engine_ip}:{PROXY_PORT}>{client_end}"), listed, out.stdout)

    def test_1_round_robin_reaches_both(self) -> None:
        h.wait_for(lambda: self.backend("8080/1")["health_up"] == 1, 10, "backend B up")
        self.assertEqual(sorted(set(self.backends_reached(4))), ["A", "B"])

    def test_2_drain_keeps_open_connections_and_moves_new_ones(self) -> None:
        kept, others = self.connect_to("A")
        try:
            reply = self.drain("on")
            self.assertEqual(reply, {"backend": "8080/0", "address": "10.77.0.1:9001", "draining": "on"})
            h.wait_for(lambda: self.backend("8080/0")["draining"] == 1, 5, "the drain applied")
            self.assertEqual(self.backends_reached(4), ["B"] * 4)
            self.assertEqual(self.ask(kept, "during"), "A", "the open connection moved or broke")
            self.assertEqual(self.backend("8080/0")["open"], 1)
            self.check_relay_listed(kept)
            h.wait_for(lambda: "8080/0 10.77.0.1:9001 open 1 connects +0 failed +0 draining" in self.engine.output(),
                       5, "the periodic line shows the drain")
        finally:
            kept.close()
            for client in others:
                client.close()

    def test_3_undrain_brings_new_clients_back(self) -> None:
        self.assertEqual(self.drain("off")["draining"], "off")
        h.wait_for(lambda: self.backend("8080/0")["draining"] == 0, 5, "the undrain applied")
        self.assertIn("A", self.backends_reached(4))

    def test_4_bad_requests_are_refused(self) -> None:
        for params, error in ((f"{PROXY_PORT},2,on", "has backends 0..1"),
                              ("80,0,on", "no listener on port 80"),
                              (f"{PROXY_PORT},0,maybe", "give PORT,INDEX,on|off")):
            reply = self.engine.telemetry(f"/rampart/backend_drain,{params}")
            self.assertIn(error, reply.get("error", ""), reply)
        self.assertEqual(self.backend("8080/0")["draining"], 0)

    def reload_backends(self, backends: str, logged: str) -> None:
        """Rewrites the config file with `backends`, sends SIGHUP, waits for the line `logged`."""
        config = yaml.safe_load(self.engine.config_path.read_text())
        config["listeners"][0]["args"]["backends"] = backends
        self.engine.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        logged_before = self.engine.output().count(logged)
        assert self.engine.process is not None
        self.engine.process.send_signal(signal.SIGHUP)
        h.wait_for(lambda: self.engine.output().count(logged) > logged_before, 10, f"the log line {logged!r}")

    def test_5_sighup_removes_a_backend_whose_connection_finishes_on_it(self) -> None:
        kept, others = self.connect_to("B")
        try:
            self.reload_backends("10.77.0.1:9001", 'SIGHUP: applied listeners[port 8080].args.backends '
                                 f'"{BOTH}" -> "10.77.0.1:9001"')
            h.wait_for(lambda: self.backend("8080/1")["removed"] == 1, 5, "the removal applied")
            self.assertEqual(self.backends_reached(4), ["A"] * 4)
            self.assertEqual(self.ask(kept, "after the reload"), "B", "the open connection moved or broke")
            self.assertEqual(self.backend("8080/1")["open"], 1)
            self.assertEqual(self.backend("8080/1")["backend"], "10.77.0.1:9002")
        finally:
            kept.close()
            for client in others:
                client.close()
        h.wait_for(lambda: self.backend("8080/1")["open"] == 0, 10, "B's connection finished")

    def test_6_sighup_adds_it_back(self) -> None:
        if self.backend("8080/1")["removed"] == 0:  # run alone: take it out first
            self.reload_backends("10.77.0.1:9001", f'args.backends "{BOTH}" -> "10.77.0.1:9001"')
        self.reload_backends(BOTH, f'SIGHUP: applied listeners[port 8080].args.backends "10.77.0.1:9001" -> "{BOTH}"')
        h.wait_for(lambda: self.backend("8080/1")["removed"] == 0, 5, "B listed again")
        self.assertEqual(sorted(set(self.backends_reached(4))), ["A", "B"])

    def test_7_sighup_with_invalid_backends_keeps_the_running_set(self) -> None:
        self.reload_backends("10.77.0.1:9001, 10.77.0.1:0",
                             "SIGHUP: not applied, the listener keeps its running args: listener on port 8080 "
                             '(app proxy): args.backends: entry 2 "10.77.0.1:0": port 0 is out of range')
        self.assertNotIn('args.backends "10.77.0.1:9001, 10.77.0.1:9002" -> "10.77.0.1:9001, 10.77.0.1:0"',
                         self.engine.output())
        self.assertEqual(sorted(set(self.backends_reached(4))), ["A", "B"])
        self.assertEqual(self.backend("8080/1")["removed"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
