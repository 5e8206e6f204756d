#!/usr/bin/python3
"""Built-in capture (/rampart/capture): the next N frames in and out, to a pcapng file that
tcpdump reads (docs/operations.md, "Capture").

Pings give a known sequence: each echo request in, each reply out. A second capture filtered
on a TCP port keeps only that port's segments. Errors (an existing file, a relative path, a
capture while one runs) are answered in the reply, and the engine keeps running.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402


def tcpdump(path: Path) -> list[str]:
    result = h.run(["tcpdump", "-nn", "-r", str(path)], check=False)
    if result.returncode != 0:
        raise AssertionError(f"tcpdump cannot read {path}: {result.stderr}")
    return result.stdout.splitlines()


class Capture(unittest.TestCase):
    engine: h.Engine

    @classmethod
    def setUpClass(cls) -> None:
        if shutil.which("tcpdump") is None:
            raise unittest.SkipTest("tcpdump is not installed")
        cls.dir = Path(tempfile.mkdtemp(prefix="rampart-e2e-capture-"))
        cls.engine = h.Engine(config={"stats": {"interval_seconds": 0}})
        cls.engine.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.engine.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def wait_done(self, path: Path) -> dict:
        def done() -> dict | None:
            state = self.engine.telemetry("/rampart/capture")
            return state if state["state"] == "idle" and state["file"] == str(path) else None

        state = h.wait_for(done, 20, f"the capture into {path} to end")
        self.assertIn(f"rampart: capture (done): {state['written']} frame(s) written to {path}",
                      self.engine.output())
        return state

    def test_1_next_frames_in_and_out(self) -> None:
        path = self.dir / "ping.pcapng"
        reply = self.engine.telemetry(f"/rampart/capture,10,{path}")
        self.assertEqual(reply["state"], "capturing", reply)
        self.assertEqual(reply["requested"], 10)
        self.engine.ns_run(h.ping_command(self.engine.engine_ip, 6))
        state = self.wait_done(path)
        self.assertEqual(state["written"], 10)
        self.assertEqual(state["missed"], 0)
        lines = tcpdump(path)
        self.assertEqual(len(lines), 10, "\n".join(lines))
        requests = [l for l in lines if f"{self.engine.peer_ip} > {self.engine.engine_ip}: ICMP echo request" in l]
        replies = [l for l in lines if f"{self.engine.engine_ip} > {self.engine.peer_ip}: ICMP echo reply" in l]
        self.assertEqual((len(requests), len(replies)), (5, 5), "\n".join(lines))
        # In order: each request is followed by its reply (same id and seq).
        for request, reply_line in zip(lines[0::2], lines[1::2]):
            seq = re.search(r"seq (\d+)", request).group(1)
            self.assertIn("echo request", request)
            self.assertIn(f"echo reply, id", reply_line)
            self.assertIn(f"seq {seq},", reply_line)

    def test_2_filtered_by_port(self) -> None:
        path = self.dir / "port80.pcapng"
        reply = self.engine.telemetry(f"/rampart/capture,6,{path},port=80")
        self.assertEqual(reply["state"], "capturing", reply)
        self.engine.ns_run(h.ping_command(self.engine.engine_ip, 3))  # not captured
        t.connect_and_close(self.engine.netns, self.engine.engine_ip, 80, 2)
        self.wait_done(path)
        lines = tcpdump(path)
        self.assertEqual(len(lines), 6, "\n".join(lines))
        for line in lines:
            self.assertRegex(line, r"IP \S+\.(80|\d+) > \S+\.(80|\d+): Flags")
            self.assertIn(".80", line)

    def test_2b_segments_lib_tcp_builds(self) -> None:
        # The echo app's data goes out through the worker's TX staging, not as an in-place reply:
        # the capture must see it too.
        path = self.dir / "echo.pcapng"
        reply = self.engine.telemetry(f"/rampart/capture,8,{path},port=7")
        self.assertEqual(reply["state"], "capturing", reply)
        sock, _ = t.timed_connect(self.engine.netns, self.engine.engine_ip, 7)
        with sock:
            sock.sendall(b"hello\n")
            self.assertEqual(sock.recv(16), b"hello\n")
        self.wait_done(path)
        lines = tcpdump(path)
        self.assertEqual(len(lines), 8, "\n".join(lines))
        echoed = [l for l in lines if f"IP {self.engine.engine_ip}.7 > " in l and "length 6" in l]
        self.assertEqual(len(echoed), 1, "\n".join(lines))

    def test_3_errors_are_answered_and_nothing_stops(self) -> None:
        existing = self.dir / "exists.pcapng"
        existing.write_bytes(b"keep me")
        reply = self.engine.telemetry(f"/rampart/capture,5,{existing}")
        self.assertIn("File exists (captures never overwrite a file", reply["error"])
        self.assertEqual(existing.read_bytes(), b"keep me")
        self.assertIn("absolute path", self.engine.telemetry("/rampart/capture,5,relative.pcapng")["error"])
        self.assertIn("number of frames", self.engine.telemetry("/rampart/capture,0,/tmp/x.pcapng")["error"])
        self.assertIn("unknown parameter", self.engine.telemetry(f"/rampart/capture,5,{self.dir}/y,vlan=3")["error"])
        running = self.dir / "long.pcapng"
        self.assertEqual(self.engine.telemetry(f"/rampart/capture,1000,{running}")["state"], "capturing")
        self.assertIn("is running", self.engine.telemetry(f"/rampart/capture,5,{self.dir}/z.pcapng")["error"])
        self.engine.ns_run(h.ping_command(self.engine.engine_ip, 2))
        # Stopping the engine closes the unfinished capture and the file stays readable.
        self.assertEqual(self.engine.stop(), 0)
        self.assertRegex(self.engine.output(), r"capture \(engine stopping\): \d+ frame\(s\) written to "
                         + re.escape(str(running)))
        self.assertGreaterEqual(len(tcpdump(running)), 4)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
