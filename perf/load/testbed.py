"""Test bed for rampart-load: two network namespaces joined by a veth pair, the system under
test in one (rampart on net_af_packet, or the kernel's TCP stack with a small HTTP server, or
dpdk-testpmd), rampart-load in the other. Used by the smoke test (test/e2e/test_load_smoke.py)
and by perf/compare.sh.

Everything it creates (namespaces, hence the veth, processes, DPDK runtime directories, temp
files) is removed by close(), which runs on normal exit, on exceptions, at interpreter exit and
on SIGTERM/SIGINT.

    with Bed("sm") as bed:
        bed.start_rampart(rampart_bin)
        result = bed.run_load(load_bin, ["--syn-rate", "1000", "--legit-rate", "20"], seconds=3)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The end-to-end harness's process helpers and its teardown on exit and on SIGTERM/SIGINT
# (it closes every object in its _active list) serve the bed too.
sys.path.insert(0, str(HERE.parents[1] / "test" / "e2e"))
import rampart_harness as harness  # noqa: E402

TARGET_IP = "10.78.0.2"
LOAD_IP = "10.78.0.1"
FLOOD_PREFIX = "10.99.0.0/16"
RAMPART_MAC = "02:00:00:78:00:02"
RUNTIME = harness.TELEMETRY_DIR


def run(cmd: list[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return harness.run(cmd, check=check, timeout=timeout)


def telemetry(path: Path | str, command: str) -> Any:
    """One query on a DPDK telemetry v2 socket (docs/stats.md); the reply's value."""
    return harness.telemetry_query(path, command, timeout=2.0)


class Bed:
    def __init__(self, tag: str):
        tag = f"{tag}{os.getpid() % 100000}"[:9]
        self.ns_target = f"lb-{tag}-t"
        self.ns_load = f"lb-{tag}-l"
        self.veth_target = f"lb{tag}t"[:15]
        self.veth_load = f"lb{tag}l"[:15]
        self.prefix = f"lb-{tag}"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"rampart-load-{tag}-"))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.namespaces: list[str] = []
        self.telemetry_path: Path | None = None
        self.memif_socket: Path | None = None  # set when the target is a memif server
        harness._active.append(self)  # closed at exit and on SIGTERM/SIGINT with the engines

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> "Bed":
        try:
            self.up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def up(self) -> None:
        for ns in (self.ns_target, self.ns_load):
            run(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            self.ns(ns, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                         "net.ipv6.conf.default.disable_ipv6=1"])
            self.ns(ns, ["ip", "link", "set", "lo", "up"])
        run(["ip", "link", "add", self.veth_target, "netns", self.ns_target, "type", "veth",
             "peer", "name", self.veth_load, "netns", self.ns_load])
        for ns, dev in ((self.ns_target, self.veth_target), (self.ns_load, self.veth_load)):
            self.ns(ns, ["ip", "link", "set", dev, "up"])
            # veth leaves TCP checksums to "hardware" that does not exist: an AF_PACKET reader
            # would see partial sums (drivers-notes/net_af_packet.md).
            self.ns(ns, ["ethtool", "-K", dev, "tx", "off"])
        # The load side's kernel must not answer for the generator's addresses.
        self.ns(self.ns_load, ["sysctl", "-qw", "net.ipv4.ip_forward=0"])

    def close(self) -> None:
        for p in reversed(self.processes):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
        self.processes.clear()
        for ns in self.namespaces:
            run(["ip", "netns", "delete", ns], check=False)  # takes the veth pair with it
        self.namespaces.clear()
        for d in RUNTIME.glob(f"{self.prefix}*"):
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self in harness._active:
            harness._active.remove(self)

    # -- helpers ----------------------------------------------------------------------------

    def ns(self, ns: str, cmd: list[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return run(["ip", "netns", "exec", ns, *cmd], check=check, timeout=timeout)

    def spawn(self, ns: str, cmd: list[str], log: str) -> subprocess.Popen[bytes]:
        out = (self.workdir / log).open("wb")
        p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        self.processes.append(p)
        return p

    def log(self, name: str) -> str:
        path = self.workdir / name
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def wait(predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.1)

    def target_link_rx(self) -> int | None:
        """Frames the target's veth end has received (its kernel counter): what reached the
        target machine, before any socket ring or engine could drop it. None over memif."""
        if self.memif_socket:
            return None
        path = f"/sys/class/net/{self.veth_target}/statistics/rx_packets"
        return int(self.ns(self.ns_target, ["cat", path]).stdout)

    # -- systems under test -----------------------------------------------------------------

    def start_rampart(self, binary: Path | str, driver: str = "af_packet", cookie_mode: str = "always") -> None:
        """rampart with one worker (lcore 1) on the target end of the veth."""
        if driver == "af_packet":
            vdev = f"net_af_packet0,iface={self.veth_target},qpairs=1,framecnt=4096"
            device = "net_af_packet0"
        elif driver == "af_xdp":
            vdev = f"net_af_xdp0,iface={self.veth_target},start_queue=0,queue_count=1"
            device = "net_af_xdp0"
        elif driver == "memif":
            vdev = self._memif_server_vdev()
            device = "net_memif0"
        else:
            raise ValueError(f"unknown driver {driver}")
        config = {
            "eal": {"lcores": "0-1", "memory_mb": 512, "no_huge": True, "no_pci": True, "vdevs": [vdev],
                    "file_prefix": self.prefix + "-rp", "log_level": "notice"},
            "port": {"device": device, "ip": f"{TARGET_IP}/24", "mac": RAMPART_MAC, "mtu": 1500,
                     "rx_descriptors": 1024, "tx_descriptors": 1024, "mbufs": 16383, "burst_size": 32},
            "listeners": [{"port": 80, "app": "http"}],
            "tcp": {"syn_cookies": {"mode": cookie_mode}},
            "stats": {"interval_seconds": 0},
        }
        path = self.workdir / "rampart.yaml"
        path.write_text(json.dumps(config))  # JSON is YAML
        p = self.spawn(self.ns_target, [str(binary), "--config", str(path)], "rampart.log")
        self.telemetry_path = RUNTIME / (self.prefix + "-rp") / "dpdk_telemetry.v2"

        def ready() -> bool:
            if p.poll() is not None:
                raise RuntimeError(f"rampart exited with {p.returncode}:\n{self.log('rampart.log')}")
            try:
                return isinstance(telemetry(self.telemetry_path, "/rampart/cost"), dict)
            except (OSError, ValueError, harness.TelemetryError):
                return False

        self.wait(ready, 60, "rampart's telemetry (/rampart/cost)")

    def start_linux(self, syncookies: int) -> None:
        """The kernel's TCP stack with an HTTP/1.1 server; the flood prefix routed back to the
        generator (as a router would), so the kernel ARPs for one address, not 65k."""
        t = self.ns_target
        self.ns(t, ["ip", "addr", "add", f"{TARGET_IP}/24", "dev", self.veth_target])
        self.ns(t, ["ip", "route", "add", FLOOD_PREFIX, "via", LOAD_IP])
        self.ns(t, ["sysctl", "-qw", f"net.ipv4.tcp_syncookies={syncookies}",
                    "net.core.somaxconn=4096", "net.ipv4.tcp_max_syn_backlog=4096"])
        self.spawn(t, ["/usr/bin/python3", str(HERE / "http_server.py"), TARGET_IP, "80"], "http.log")

        def listening() -> bool:
            out = self.ns(t, ["ss", "-Hltn", "sport = :80"], check=False).stdout
            return "LISTEN" in out

        self.wait(listening, 20, "the kernel HTTP server to listen on port 80")

    def _memif_server_vdev(self) -> str:
        # Shared memory between the two processes over a Unix socket: no veth, no kernel on the
        # path. Copy mode works without hugepages (drivers-notes/net_memif.md). The socket is a
        # file: 22.11 defaults to an abstract socket, which is private to a network namespace.
        self.memif_socket = self.workdir / "memif.sock"
        return f"net_memif0,role=server,id=0,socket={self.memif_socket},socket-abstract=no"

    def start_testpmd(self, binary: str = "dpdk-testpmd", driver: str = "af_packet") -> None:
        """dpdk-testpmd forwarding in macswap mode on the target end: every frame goes back with
        its MACs swapped, the most any engine could answer on this link."""
        vdev = (self._memif_server_vdev() if driver == "memif"
                else f"net_af_packet0,iface={self.veth_target},qpairs=1,framecnt=4096")
        # --stats-period keeps it running without a terminal (it would wait for Enter, and exit on
        # the EOF of /dev/null); the default mbuf count does not fit --no-huge memory.
        self.spawn(self.ns_target, [binary, "-l", "0-1", "--no-huge", "-m", "512", "--no-pci",
                                    "--file-prefix", self.prefix + "-tp", "--vdev", vdev, "--",
                                    "--forward-mode=macswap", "--auto-start", "--stats-period", "1",
                                    "--nb-cores=1", "--total-num-mbufs=16384"], "testpmd.log")
        self.wait(lambda: "start packet forwarding" in self.log("testpmd.log"), 60, "testpmd to forward")

    # -- the generator ----------------------------------------------------------------------

    def run_load(self, binary: Path | str, args: list[str], seconds: float, telemetry_on: bool = True,
                 target_mac: str | None = None) -> dict[str, Any]:
        """Runs rampart-load for `seconds`; returns {"seconds": [per-second dicts], "final": dict,
        "stderr": text}. Raises when it fails or prints anything that is not JSON on stdout."""
        vdev = (f"net_memif0,role=client,id=0,socket={self.memif_socket},socket-abstract=no" if self.memif_socket
                else f"net_af_packet0,iface={self.veth_load},framecnt=4096")
        cmd = [str(binary), "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--file-prefix", self.prefix + "-ld",
               "--vdev", vdev, "--log-level", "lib.eal:error", "--",
               "--target-ip", TARGET_IP, "--local-ip", LOAD_IP, "--flood-prefix", FLOOD_PREFIX,
               "--duration", str(seconds), "--no-progress", *args]
        if telemetry_on and self.telemetry_path is not None:
            cmd += ["--telemetry", str(self.telemetry_path)]
        if target_mac:
            cmd += ["--target-mac", target_mac]
        result = self.ns(self.ns_load, cmd, check=False, timeout=seconds + 60)
        if result.returncode != 0:
            raise RuntimeError(f"rampart-load exited with {result.returncode}:\n{result.stderr}")
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        if not lines or not lines[-1].get("final"):
            raise RuntimeError(f"rampart-load printed no final report:\n{result.stdout}\n{result.stderr}")
        return {"seconds": lines[:-1], "final": lines[-1], "stderr": result.stderr}
