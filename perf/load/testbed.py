"""Test bed for rampart-load: two network namespaces joined by a veth pair, the system under
test in one (rampart on net_af_packet, af_xdp or memif, the kernel's TCP stack with a small
HTTP server or nginx, with or without the XDP SYN-cookie program of perf/xdp in front of it, or
dpdk-testpmd), rampart-load in the other. Used by the smoke test (test/e2e/test_load_smoke.py)
and by perf/compare.sh, perf/proxy_compare.sh and perf/cps.sh.

Everything it creates (namespaces, hence the veth, XDP programs, processes, DPDK runtime
directories and hugepage files, temp files) is removed, and kernel.bpf_stats_enabled restored,
by close(), which runs on normal exit, on exceptions, at interpreter exit and on SIGTERM/SIGINT.

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
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
XDP_SOURCES = HERE.parent / "xdp"
# The end-to-end harness's process helpers and its teardown on exit and on SIGTERM/SIGINT
# (it closes every object in its _active list) serve the bed too.
sys.path.insert(0, str(HERE.parents[1] / "test" / "e2e"))
import rampart_harness as harness  # noqa: E402

TARGET_IP = "10.78.0.2"
LOAD_IP = "10.78.0.1"
FLOOD_PREFIX = "10.99.0.0/16"
RAMPART_MAC = "02:00:00:78:00:02"
RUNTIME = harness.TELEMETRY_DIR
# The generator: meson sets RAMPART_LOAD_BIN for the tests; the default is the usual build.
LOAD_BIN = Path(os.environ.get("RAMPART_LOAD_BIN", str(HERE.parents[1] / "build" / "perf" / "load" / "rampart-load")))


NGINX_BODY = "hi\n"


def nginx_config(prefix: Path, ip: str, port: int) -> str:
    """One nginx worker answering every request with a 3-byte body (`return 200`), keep-alive
    without limit, nothing logged but errors, every file under `prefix`."""
    temp = " ".join(f"{kind}_temp_path {prefix}/{kind};" for kind in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 16384; }}
http {{
  {temp}
  access_log off;
  keepalive_requests 100000000;
  server {{
    listen {ip}:{port} backlog=4096;
    location / {{ return 200 "{NGINX_BODY.strip()}\\n"; }}
  }}
}}
"""


def run_record(out: Path, name: str, started: datetime) -> tuple[Path, dict[str, Any]]:
    """Where a perf script writes one run's files (out/<name>-<UTC start>, to which it adds .json
    and .md; out is created) and what every result records about the run: its start, the
    commit measured and the machine's load average at the end (others' work shares the CPUs)."""
    out.mkdir(parents=True, exist_ok=True)
    repo = HERE.parents[1]
    commit = run(["git", "-C", str(repo), "describe", "--always", "--dirty"], check=False).stdout.strip()
    return out / f"{name}-{started.strftime('%Y%m%dT%H%M%SZ')}", {
        "started": started.isoformat(), "commit": commit,
        "load_average_at_end": Path("/proc/loadavg").read_text().split()[:3]}


def require_load_binary() -> None:
    """Ends a test run with the fix when rampart-load is not built."""
    if not os.access(LOAD_BIN, os.X_OK):
        raise SystemExit(f"[e2e] FAIL: rampart-load not found at {LOAD_BIN} (set RAMPART_LOAD_BIN)")


def run(cmd: list[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return harness.run(cmd, check=check, timeout=timeout)


def telemetry(path: Path | str, command: str) -> Any:
    """One query on a DPDK telemetry v2 socket (docs/stats.md); the reply's value."""
    return harness.telemetry_query(path, command, timeout=2.0)


def _bpf_int(value: Any) -> int:
    """A map key or value from bpftool's JSON: an integer, or little-endian bytes in hex."""
    if isinstance(value, list):
        return int.from_bytes(bytes(int(b, 16) for b in value), "little")
    return int(value)


class Bed(harness.SetUp):
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
        self.xdp_attached: list[tuple[str, str]] = []  # (namespace, device) with an XDP program
        self.xdp_program_id: int | None = None  # the SYN-cookie program, for its run-time stats
        self.bpf_stats_before: str | None = None  # kernel.bpf_stats_enabled to restore
        harness._active.append(self)  # closed at exit and on SIGTERM/SIGINT with the engines

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        for ns in (self.ns_target, self.ns_load):
            self.add_namespace(ns)
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
        for ns, dev in self.xdp_attached:
            self.ns(ns, ["ip", "link", "set", "dev", dev, "xdp", "off"], check=False)
        self.xdp_attached.clear()
        if self.bpf_stats_before is not None:
            Path("/proc/sys/kernel/bpf_stats_enabled").write_text(self.bpf_stats_before)
            self.bpf_stats_before = None
        for p in reversed(self.processes):
            harness.end_process(p, 15)
        self.processes.clear()
        for ns in self.namespaces:
            run(["ip", "netns", "delete", ns], check=False)  # takes the veth pair with it
        self.namespaces.clear()
        for d in RUNTIME.glob(f"{self.prefix}*"):
            shutil.rmtree(d, ignore_errors=True)
        # EAL leaves its hugepage files behind when a process ends (and --single-file-segments,
        # which memif zero-copy needs, rules out --huge-unlink): pages held until deleted.
        harness.remove_hugepage_files(f"{self.prefix}-*map_*")  # every process of the bed
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self in harness._active:
            harness._active.remove(self)

    # -- helpers ----------------------------------------------------------------------------

    def add_namespace(self, ns: str) -> None:
        """A network namespace, removed by close(); IPv6 off, so its kernel sends nothing."""
        run(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        self.ns(ns, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        self.ns(ns, ["ip", "link", "set", "lo", "up"])

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

    def target_cpu_seconds(self, processes: list[subprocess.Popen[bytes]] | None = None) -> float:
        """CPU seconds (user + system) used so far by the processes this bed started in the
        target namespace (or `processes`), all their threads, ended ones included
        (/proc/<pid>/stat; a thread's own stat would lose the time of DPDK's per-client
        telemetry threads when they end): what the system under test got of the CPUs, whatever
        else runs on the machine. The kernel's softirq work is in no process (see compare.py's
        host kernel time)."""
        ticks = 0
        for p in self.processes if processes is None else processes:
            try:
                fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue  # ended: the step's caller sees the failure elsewhere
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (proc(5) fields 14, 15)
        return ticks / os.sysconf("SC_CLK_TCK")

    def target_link_rx(self) -> int | None:
        """Frames the target's veth end has received (its kernel counter): what reached the
        target machine, before any socket ring or engine could drop it. None over memif."""
        if self.memif_socket:
            return None
        path = f"/sys/class/net/{self.veth_target}/statistics/rx_packets"
        return int(self.ns(self.ns_target, ["cat", path]).stdout)

    # -- systems under test -----------------------------------------------------------------

    def start_rampart(self, binary: Path | str, driver: str = "af_packet", cookie_mode: str = "always") -> None:
        """rampart with one worker (lcore 1) on the target end of the veth, in syn_cookies.mode
        `cookie_mode` (always unless a system asks for another)."""
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
        self.telemetry_path = self._start_rampart_process(binary, vdev, device, "rp", {"mode": cookie_mode})

    def _start_rampart_process(self, binary: Path | str, vdev: str, device: str, name: str,
                               cookies: dict[str, Any], lcores: str = "0-1", ns: str | None = None,
                               eal: dict[str, Any] | None = None,
                               listeners: list[dict[str, Any]] | None = None) -> Path:
        """One rampart (one worker, by default on CPU 1; http on port 80 unless `listeners`
        says otherwise) in the target namespace (or `ns`), `eal` overriding its eal section's
        keys; returns its telemetry socket once it answers."""
        prefix = f"{self.prefix}-{name}"
        config = {
            "eal": {"lcores": lcores, "memory_mb": 512, "no_huge": True, "no_pci": True, "vdevs": [vdev],
                    "file_prefix": prefix, "log_level": "notice", **(eal or {})},
            "port": {"device": device, "ip": f"{TARGET_IP}/24", "mac": RAMPART_MAC, "mtu": 1500,
                     "rx_descriptors": 1024, "tx_descriptors": 1024, "mbufs": 16383, "burst_size": 32},
            "listeners": listeners or [{"port": 80, "app": "http"}],
            "tcp": {"syn_cookies": cookies},
            "stats": {"interval_seconds": 0},
        }
        path = self.workdir / f"{name}.yaml"
        path.write_text(json.dumps(config))  # JSON is YAML
        log = f"{name}.log"
        p = self.spawn(ns or self.ns_target, [str(binary), "--config", str(path)], log)
        telemetry_path = RUNTIME / prefix / "dpdk_telemetry.v2"

        def ready() -> bool:
            if p.poll() is not None:
                raise RuntimeError(f"rampart ({name}) exited with {p.returncode}:\n{self.log(log)}")
            try:
                return isinstance(telemetry(telemetry_path, "/rampart/cost"), dict)
            except (OSError, ValueError, harness.TelemetryError):
                return False

        self.wait(ready, 60, f"rampart's telemetry (/rampart/cost) of {name}")
        return telemetry_path

    def start_rampart_proxy(self, binary: Path | str, port: int, backends: str) -> None:
        """rampart with one worker (lcore 1) on net_af_packet, the proxy app on `port` relaying
        to `backends` (docs/proxy.md), SYN cookies in the default mode."""
        vdev = f"net_af_packet0,iface={self.veth_target},qpairs=1,framecnt=4096"
        listeners = [{"port": port, "app": "proxy", "args": {"backends": backends}}]
        self.telemetry_path = self._start_rampart_process(binary, vdev, "net_af_packet0", "rp", {"mode": "auto"},
                                                          listeners=listeners)

    def _kernel_stack(self, syncookies: int, timestamps: int) -> None:
        """The target's address on its veth end, for the kernel's TCP stack; the flood prefix
        routed back to the generator (as a router would), so the kernel ARPs for one address,
        not 65k."""
        t = self.ns_target
        self.ns(t, ["ip", "addr", "add", f"{TARGET_IP}/24", "dev", self.veth_target])
        self.ns(t, ["ip", "route", "add", FLOOD_PREFIX, "via", LOAD_IP])
        self.ns(t, ["sysctl", "-qw", f"net.ipv4.tcp_syncookies={syncookies}", f"net.ipv4.tcp_timestamps={timestamps}",
                    "net.core.somaxconn=4096", "net.ipv4.tcp_max_syn_backlog=4096"])

    def start_linux_nginx(self, cpu: str) -> subprocess.Popen[bytes]:
        """The kernel's TCP stack (its defaults: cookies when the SYN queue overflows) with nginx
        on port 80, pinned to `cpu`."""
        self._kernel_stack(1, 1)
        return self.start_nginx(self.ns_target, TARGET_IP, 80, cpu)

    def start_linux(self, syncookies: int, timestamps: int = 1) -> None:
        """The kernel's TCP stack with an HTTP/1.1 server (http_server.py)."""
        t = self.ns_target
        self._kernel_stack(syncookies, timestamps)
        self.spawn(t, ["/usr/bin/python3", str(HERE / "http_server.py"), TARGET_IP, "80"], "http.log")

        def listening() -> bool:
            out = self.ns(t, ["ss", "-Hltn", "sport = :80"], check=False).stdout
            return "LISTEN" in out

        self.wait(listening, 20, "the kernel HTTP server to listen on port 80")

    def start_nginx(self, ns: str, ip: str, port: int, cpu: str) -> subprocess.Popen[bytes]:
        """nginx (nginx_config) in `ns` on `ip`:`port`, pinned to `cpu`; returns once it listens."""
        prefix = self.workdir / f"nginx-{port}"
        prefix.mkdir()
        (prefix / "nginx.conf").write_text(nginx_config(prefix, ip, port))
        p = self.spawn(ns, ["taskset", "-c", cpu, "nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                            "-g", "daemon off;"], f"nginx-{port}.log")
        self.wait(lambda: "LISTEN" in self.ns(ns, ["ss", "-Hltn", f"sport = :{port}"], check=False).stdout, 20,
                  f"nginx to listen on port {port}")
        return p

    def start_xdp_syncookie(self) -> None:
        """The kernel's XDP SYN-cookie path: perf/xdp/xdp_syncookie.bpf.c on the target's veth
        answers every SYN to port 80 with a cookie SYN-ACK (XDP_TX); the kernel's listener
        (tcp_syncookies=2, HTTP server as in start_linux) accepts the ACKs. Its window scale
        must be the one the kernel computes, ilog2(max(tcp_rmem[2], rmem_max)) - 15
        (tcp_select_initial_window); timestamps without per-connection offsets (=2), so the
        options coded in our TSval come back intact (see the program's header comment)."""
        t = self.ns_target
        rmem = int(self.ns(t, ["sysctl", "-n", "net.ipv4.tcp_rmem"]).stdout.split()[2])
        rmem_max = int(self.ns(t, ["sysctl", "-n", "net.core.rmem_max"]).stdout)
        wscale = min(14, max(0, max(rmem, rmem_max).bit_length() - 1 - 15))
        syncookie = self._build_bpf("xdp_syncookie", ["-DSERVED_PORT=80", f"-DWSCALE={wscale}"])
        passer = self._build_bpf("xdp_pass", [])
        self.start_linux(2, timestamps=2)
        # veth hands an XDP_TX frame to its peer only if the peer runs XDP too (xdp_pass.bpf.c).
        self._attach_xdp(self.ns_load, self.veth_load, passer)
        self._attach_xdp(t, self.veth_target, syncookie)
        info = json.loads(self.ns(t, ["ip", "-j", "-d", "link", "show", "dev", self.veth_target]).stdout)[0]
        self.xdp_program_id = int(info["xdp"]["prog"]["id"])
        # Per-program run time and count (bpftool prog show): the program's own cost per packet.
        stats = Path("/proc/sys/kernel/bpf_stats_enabled")
        self.bpf_stats_before = stats.read_text().strip()
        stats.write_text("1")

    def _build_bpf(self, name: str, defines: list[str]) -> Path:
        if shutil.which("clang") is None or not Path("/usr/include/bpf/bpf_helpers.h").exists():
            raise RuntimeError("building the XDP program needs clang and libbpf-dev: run scripts/install-deps.sh")
        multiarch = run(["gcc", "-print-multiarch"]).stdout.strip()
        out = self.workdir / f"{name}.o"
        run(["clang", "-O2", "-g", "-Wall", "-Werror", "-target", "bpf", f"-I/usr/include/{multiarch}", *defines,
             "-c", str(XDP_SOURCES / f"{name}.bpf.c"), "-o", str(out)], timeout=120)
        return out

    def _attach_xdp(self, ns: str, dev: str, obj: Path) -> None:
        self.xdp_attached.append((ns, dev))  # detached by close() even if the attach half-worked
        result = self.ns(ns, ["ip", "link", "set", "dev", dev, "xdpdrv", "obj", str(obj), "sec", "xdp"], check=False)
        if result.returncode != 0:
            raise RuntimeError(f"attaching {obj.name} to {dev} in native XDP mode failed:\n{result.stderr[-2000:]}")

    def xdp_program_stats(self) -> dict[str, int] | None:
        """The SYN-cookie program's run_time_ns and run_cnt so far, and its counters summed over
        CPUs (syn_acks_sent, syns_passed, bad_checksum, not_handled); None without it."""
        if self.xdp_program_id is None:
            return None
        prog = json.loads(run(["bpftool", "-j", "prog", "show", "id", str(self.xdp_program_id)]).stdout)
        out = {"run_time_ns": int(prog.get("run_time_ns", 0)), "run_cnt": int(prog.get("run_cnt", 0))}
        for map_id in prog.get("map_ids", []):
            info = json.loads(run(["bpftool", "-j", "map", "show", "id", str(map_id)]).stdout)
            if info.get("name") != "counters":
                continue
            entries = json.loads(run(["bpftool", "-j", "map", "dump", "id", str(map_id)]).stdout)
            names = ["syn_acks_sent", "syns_passed", "bad_checksum", "not_handled"]
            for entry in entries:  # raw bytes as hex strings, or decoded when BTF is there
                entry = entry.get("formatted", entry)
                out[names[_bpf_int(entry["key"])]] = sum(_bpf_int(v["value"]) for v in entry["values"])
        return out

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

    def _load_command(self, binary: Path | str, vdev: str, args: list[str], seconds: float,
                      telemetry_path: Path | None, target_mac: str | None = None) -> list[str]:
        cmd = [str(binary), "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--file-prefix", self.prefix + "-ld",
               "--vdev", vdev, "--log-level", "lib.eal:error", "--",
               "--target-ip", TARGET_IP, "--local-ip", LOAD_IP, "--flood-prefix", FLOOD_PREFIX,
               "--duration", str(seconds), "--no-progress", *args]
        if telemetry_path is not None:
            cmd += ["--telemetry", str(telemetry_path)]
        if target_mac:
            cmd += ["--target-mac", target_mac]
        return cmd

    @staticmethod
    def _load_result(returncode: int, stdout: str, stderr: str) -> dict[str, Any]:
        if returncode != 0:
            raise RuntimeError(f"rampart-load exited with {returncode}:\n{stderr}")
        lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
        if not lines or not lines[-1].get("final"):
            raise RuntimeError(f"rampart-load printed no final report:\n{stdout}\n{stderr}")
        return {"seconds": lines[:-1], "final": lines[-1], "stderr": stderr}

    def run_load(self, binary: Path | str, args: list[str], seconds: float, telemetry_on: bool = True,
                 target_mac: str | None = None) -> dict[str, Any]:
        """Runs rampart-load for `seconds`; returns {"seconds": [per-second dicts], "final": dict,
        "stderr": text}. Raises when it fails or prints anything that is not JSON on stdout."""
        vdev = (f"net_memif0,role=client,id=0,socket={self.memif_socket},socket-abstract=no" if self.memif_socket
                else f"net_af_packet0,iface={self.veth_load},framecnt=4096")
        cmd = self._load_command(binary, vdev, args, seconds, self.telemetry_path if telemetry_on else None,
                                 target_mac)
        result = self.ns(self.ns_load, cmd, check=False, timeout=seconds + 60)
        for _ in range(2):
            # A memif server takes a moment to accept again after the previous run's client
            # left (seen with testpmd: connect() refused right after a disconnect): retry.
            if result.returncode == 0 or "memif_connect_client(): Failed to connect socket" not in result.stderr:
                break
            time.sleep(1)
            result = self.ns(self.ns_load, cmd, check=False, timeout=seconds + 60)
        return self._load_result(result.returncode, result.stdout, result.stderr)

    def run_load_zero_copy(self, rampart: Path | str, load: Path | str, args: list[str],
                           seconds: float, ring_log2: int = 10) -> dict[str, Any]:
        """One run with rampart as a zero-copy memif client (drivers-notes/net_memif.md):
        zero-copy is the client's, and the client needs hugepages and --single-file-segments.
        So the generator is the server here and starts first, rampart connects to it, and
        rampart is stopped after the run: a memif client does not reconnect when its server
        goes away. `ring_log2`: the rings' size (the client's rsize, 10 = memif's default 1,024
        slots). Returns what run_load returns, and rampart's CPU seconds as "target_cpu_s"."""
        socket_path = self.workdir / "memif-zc.sock"
        socket_path.unlink(missing_ok=True)
        self.memif_socket = socket_path  # no veth in the target's path (target_link_rx)
        server = f"net_memif0,role=server,id=0,socket={socket_path},socket-abstract=no"
        telemetry_path = RUNTIME / f"{self.prefix}-zc" / "dpdk_telemetry.v2"
        cmd = self._load_command(load, server, args, seconds, telemetry_path)
        generator = subprocess.Popen(["ip", "netns", "exec", self.ns_load, *cmd], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.processes.append(generator)
        try:
            # It resolves the target's MAC for 5 s: start rampart once the socket is there.
            self.wait(lambda: socket_path.exists() or generator.poll() is not None, 20, "the generator's memif socket")
            if generator.poll() is not None:
                raise RuntimeError(f"rampart-load exited with {generator.returncode} before rampart started:\n"
                                   f"{generator.stderr.read() if generator.stderr else ''}")
            client = f"net_memif0,role=client,id=0,socket={socket_path},socket-abstract=no,zero-copy=yes,rsize={ring_log2}"
            self._start_rampart_process(rampart, client, "net_memif0", "zc", {"mode": "always"},
                                        eal={"no_huge": False, "extra_args": ["--single-file-segments"]})
            target = self.processes[self.processes.index(generator) + 1:]  # rampart
            cpu_at_start = self.target_cpu_seconds(target)  # its start-up is not the run's
            stdout, stderr = generator.communicate(timeout=seconds + 60)
            target_cpu_s = self.target_cpu_seconds(target) - cpu_at_start
        finally:
            for p in self.processes[self.processes.index(generator):]:
                harness.end_process(p, 15)
            del self.processes[self.processes.index(generator):]
        return {**self._load_result(generator.returncode, stdout, stderr), "target_cpu_s": target_cpu_s}


class TwoNodeBed(Bed):
    """Two rampart nodes behind one address, the ECMP case of docs/syncookies.md: the target
    namespace holds a veth pair to each node and steers the generator's frames with tc, as a
    router hashing badly on purpose would: every SYN (SYN set, ACK clear) to node A, every other
    frame to node B, ARP to both; both nodes' frames go back to the generator. So a handshake
    completes only if B accepts the cookie A minted, and the connection then lives on B. Both
    nodes have the same address and MAC. Each node runs in a namespace of its own, as on two
    machines: net_af_packet names its fanout group (pid XOR ifindex) & 0xffff, per namespace,
    and two nodes in one namespace whose values collide fail to start
    (drivers-notes/net_af_packet.md).

        with TwoNodeBed("tn") as bed:
            bed.start_nodes(rampart_bin, secret_a, secret_b)
            bed.run_load(...)   # legitimate clients complete only across the nodes
    """

    def __init__(self, tag: str):
        super().__init__(tag)
        t = self.veth_target[2:-1]  # the bed's tag, already cut to fit an interface name
        self.router_a, self.node_a = f"r{t}a", f"n{t}a"
        self.router_b, self.node_b = f"r{t}b", f"n{t}b"
        self.ns_node_a, self.ns_node_b = f"{self.ns_target}a", f"{self.ns_target}b"
        self.telemetry_a: Path | None = None
        self.telemetry_b: Path | None = None

    def start(self) -> None:
        super().start()
        t = self.ns_target
        for router, node, node_ns in ((self.router_a, self.node_a, self.ns_node_a),
                                      (self.router_b, self.node_b, self.ns_node_b)):
            self.add_namespace(node_ns)
            self.ns(t, ["ip", "link", "add", router, "type", "veth", "peer", "name", node, "netns", node_ns])
            for ns, dev in ((t, router), (node_ns, node)):
                self.ns(ns, ["ip", "link", "set", dev, "up"])
                self.ns(ns, ["ethtool", "-K", dev, "tx", "off"])
        for dev in (self.veth_target, self.router_a, self.router_b):
            self.ns(t, ["tc", "qdisc", "add", "dev", dev, "clsact"])

        def steer(dev: str, prio: int, match: list[str], *actions: list[str]) -> None:
            cmd = ["tc", "filter", "add", "dev", dev, "ingress", "prio", str(prio), *match]
            for action in actions:
                cmd += ["action", "mirred", *action]
            self.ns(t, cmd)

        # u32 (flower and matchall are often not built): byte 33 of an IPv4 packet without
        # options is the TCP flags; SYN set and ACK clear is a SYN.
        everything = ["u32", "match", "u32", "0", "0"]
        steer(self.veth_target, 1, ["protocol", "ip", "u32", "match", "ip", "protocol", "6", "0xff",
                                    "match", "u8", "0x02", "0x12", "at", "33"],
              ["egress", "redirect", "dev", self.router_a])
        steer(self.veth_target, 2, ["protocol", "arp", *everything],
              ["egress", "mirror", "dev", self.router_a], ["egress", "redirect", "dev", self.router_b])
        steer(self.veth_target, 3, ["protocol", "all", *everything], ["egress", "redirect", "dev", self.router_b])
        for router in (self.router_a, self.router_b):
            steer(router, 1, ["protocol", "all", *everything], ["egress", "redirect", "dev", self.veth_target])

    def start_nodes(self, binary: Path | str, secret_a: bytes, secret_b: bytes) -> None:
        """Node A and node B, each with its master secret (hex in a file of its own)."""
        # Three busy-polling loops share the CPUs: A's worker gets CPU 1 to itself (it takes the
        # flood), B's worker (the clients' other frames) shares CPU 0 with the generator.
        for name, secret, dev, lcores, ns in (("na", secret_a, self.node_a, "0-1", self.ns_node_a),
                                              ("nb", secret_b, self.node_b, "0@1,1@0", self.ns_node_b)):
            path = self.workdir / f"{name}.secret"
            path.write_text(secret.hex() + "\n")
            path.chmod(0o600)
            vdev = f"net_af_packet0,iface={dev},qpairs=1,framecnt=4096"
            telemetry_path = self._start_rampart_process(
                binary, vdev, "net_af_packet0", name, {"mode": "always", "master_secret_file": str(path)}, lcores, ns)
            if name == "na":
                self.telemetry_a = telemetry_path
            else:
                self.telemetry_b = telemetry_path
        self.telemetry_path = self.telemetry_a  # the generator's report: the node that takes the flood

    def node_counters(self) -> dict[str, dict[str, int]]:
        """/rampart/stats of both nodes, flattened (rampart_harness.counters_of)."""
        return {name: harness.counters_of(telemetry(path, "/rampart/stats"))
                for name, path in (("a", self.telemetry_a), ("b", self.telemetry_b)) if path is not None}
