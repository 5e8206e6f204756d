#!/usr/bin/python3
"""Capture (docs/operations.md, "Capture"): the built-in /rampart/capture (the next N frames in
and out, to a pcapng file that tcpdump reads), and DPDK's own dpdk-dumpcap attached to a running
engine that has hugepages.

Pings give a known sequence: each echo request in, each reply out. A second capture filtered
on a TCP port keeps only that port's segments. Errors (an existing file, a path outside
stats.capture_directory, a symlink planted there, a
capture while one runs) are answered in the reply, and the engine keeps running.

dpdk-dumpcap is a DPDK secondary process and needs the engine's memory in hugepages: the test
reserves 2 MiB pages for itself (and mounts hugetlbfs if nothing is mounted), and gives both back
afterwards, also on failure. A kernel without hugepages skips that part.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402
import tcp_helpers as t  # noqa: E402


def tcpdump(path: Path, *options: str) -> list[str]:
    result = h.run(["tcpdump", "-nn", *options, "-r", str(path)], check=False)
    if result.returncode != 0:
        raise AssertionError(f"tcpdump cannot read {path}: {result.stderr}")
    return result.stdout.splitlines()


def assert_stamped_now(test: unittest.TestCase, path: Path) -> None:
    """The frames carry wall-clock times of the last minute (DPDK 22.11's own pcapng clock gave
    2008 dates: capture.cc, stamp_frame)."""
    stamps = [float(line.split()[0]) for line in tcpdump(path, "-tt")]
    test.assertLess(max(abs(time.time() - stamp) for stamp in stamps), 60, stamps)


class Capture(unittest.TestCase):
    engine: h.Engine

    @classmethod
    def setUpClass(cls) -> None:
        if shutil.which("tcpdump") is None:
            raise unittest.SkipTest("tcpdump is not installed")
        cls.dir = Path(tempfile.mkdtemp(prefix="rampart-e2e-capture-"))
        cls.engine = h.Engine(config={"stats": {"interval_seconds": 0, "capture_directory": str(cls.dir)}})
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
        assert_stamped_now(self, path)
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
        self.assertIn("File exists (a capture never overwrites a file", reply["error"])
        self.assertEqual(existing.read_bytes(), b"keep me")
        # Only files directly in stats.capture_directory, never through a symlink.
        for outside in ("/tmp/x.pcapng", f"{self.dir}/../x.pcapng", "sub/x.pcapng"):
            self.assertEqual(f"\"{outside}\" is not a file directly in stats.capture_directory",
                             self.engine.telemetry(f"/rampart/capture,5,{outside}")["error"])
        target = Path(tempfile.mkdtemp(prefix="rampart-e2e-capture-target-")) / "planted"
        (self.dir / "link.pcapng").symlink_to(target)
        self.assertEqual("cannot create link.pcapng: File exists (a capture never overwrites a file or "
                         "follows a symlink)", self.engine.telemetry("/rampart/capture,5,link.pcapng")["error"])
        self.assertFalse(target.exists())
        shutil.rmtree(target.parent)
        self.assertIn("number of frames", self.engine.telemetry("/rampart/capture,0,/tmp/x.pcapng")["error"])
        self.assertIn("unknown parameter", self.engine.telemetry(f"/rampart/capture,5,{self.dir}/y,vlan=3")["error"])
        running = self.dir / "long.pcapng"
        self.assertEqual(self.engine.telemetry("/rampart/capture,1000,long.pcapng")["state"], "capturing")
        self.assertIn("is running", self.engine.telemetry(f"/rampart/capture,5,{self.dir}/z.pcapng")["error"])
        self.engine.ns_run(h.ping_command(self.engine.engine_ip, 2))
        # Stopping the engine closes the unfinished capture and the file stays readable.
        self.assertEqual(self.engine.stop(), 0)
        self.assertRegex(self.engine.output(), r"capture \(engine stopping\): \d+ frame\(s\) written to "
                         + re.escape(str(running)))
        self.assertGreaterEqual(len(tcpdump(running)), 4)


HUGEPAGES_NR = Path("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")
HUGEPAGES_MOUNT = h.HUGEPAGE_DIR


def free_hugepages() -> int:
    return h.meminfo_hugepages("Free")


def hugetlbfs_mounted() -> bool:
    return any(line.split()[2] == "hugetlbfs" for line in Path("/proc/mounts").read_text().splitlines())


class Dumpcap(unittest.TestCase):
    """dpdk-dumpcap against a running engine with hugepages (eal.no_huge: false)."""

    PAGES = 256  # the engine's 256 MiB (eal.memory_mb), EAL's own and dumpcap's ring

    @classmethod
    def setUpClass(cls) -> None:
        if shutil.which("dpdk-dumpcap") is None or shutil.which("tcpdump") is None:
            raise unittest.SkipTest("dpdk-dumpcap or tcpdump is not installed")
        try:
            # The persistent pool: nr_hugepages also counts surplus pages a process that just
            # ended still held, which the kernel frees by itself.
            cls.original_pages = int(HUGEPAGES_NR.read_text()) - h.meminfo_hugepages("Surp")
        except OSError as e:
            raise unittest.SkipTest(f"this kernel offers no 2 MiB hugepages ({e})")
        cls.mounted_here = False
        cls.dir = Path(tempfile.mkdtemp(prefix="rampart-e2e-dumpcap-"))
        try:
            wanted = cls.original_pages + max(0, cls.PAGES - free_hugepages())
            HUGEPAGES_NR.write_text(str(wanted))
            if free_hugepages() < cls.PAGES:
                raise unittest.SkipTest(f"could not reserve {cls.PAGES} hugepages ({free_hugepages()} free)")
            if not hugetlbfs_mounted():
                HUGEPAGES_MOUNT.mkdir(exist_ok=True)
                h.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", str(HUGEPAGES_MOUNT)])
                cls.mounted_here = True
            cls.engine = h.Engine(config={"eal": {"no_huge": False, "memory_mb": 256},
                                          "stats": {"interval_seconds": 0}})
            cls.engine.__enter__()
        except BaseException:
            cls.give_back()
            raise

    @classmethod
    def give_back(cls) -> None:
        if cls.mounted_here:
            h.run(["umount", str(HUGEPAGES_MOUNT)], check=False)
        HUGEPAGES_NR.write_text(str(cls.original_pages))
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            cls.engine.close()
            # EAL leaves hugepage files behind; held, they would keep the pages give_back frees.
            left = sorted(f.name for f in HUGEPAGES_MOUNT.glob(f"{cls.engine.file_prefix}map_*"))
            if left:
                raise AssertionError(f"the engine's hugepage files were left behind: {left[:3]}...")
        finally:
            cls.give_back()

    def test_dumpcap_reads_the_running_port(self) -> None:
        self.assertNotIn("dpdk-dumpcap support unavailable", self.engine.output())
        path = self.dir / "dumpcap.pcapng"
        dumpcap = subprocess.Popen(
            ["dpdk-dumpcap", f"--file-prefix={self.engine.file_prefix}", "-i", "net_tap0",
             "-w", str(path), "-c", "6", "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            # dumpcap has attached once it has created its file.
            h.wait_for(lambda: path.exists() or dumpcap.poll() is not None, 30, "dpdk-dumpcap to attach")
            if dumpcap.poll() is not None:
                self.fail(f"dpdk-dumpcap exited ({dumpcap.returncode}): {dumpcap.communicate()[0]}")
            self.engine.ns_run(h.ping_command(self.engine.engine_ip, 3))
            output, _ = dumpcap.communicate(timeout=30)
        finally:
            if dumpcap.poll() is None:
                dumpcap.kill()
                dumpcap.communicate()
        self.assertEqual(dumpcap.returncode, 0, output)
        lines = tcpdump(path)
        self.assertEqual(len(lines), 6, "\n".join(lines))
        assert_stamped_now(self, path)
        self.assertEqual(sum(f"{self.engine.peer_ip} > {self.engine.engine_ip}: ICMP echo request" in l
                             for l in lines), 3, "\n".join(lines))
        self.assertEqual(sum(f"{self.engine.engine_ip} > {self.engine.peer_ip}: ICMP echo reply" in l
                             for l in lines), 3, "\n".join(lines))
        # The engine kept serving while it was being captured, and after dumpcap left.
        self.assertEqual(h.parse_ping(self.engine.ns_run(h.ping_command(self.engine.engine_ip, 2)).stdout)[1], 2)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
