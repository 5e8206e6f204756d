"""End-to-end harness: the real rampart binary on a net_tap port, Linux as the peer.

Each Engine gets a network namespace of its own (rt-<pid>-<n>), a tap interface of its own
(rt<pid>x<n>, at most 15 characters as IFNAMSIZ demands) and an EAL file prefix of its own, so
tests never collide with each other, with a developer's demo or with another engineer's run.

    with Engine() as engine:                   # starts rampart, moves its tap into the namespace
        engine.ns_run(ping_command(engine.engine_ip, 3))
        before = engine.telemetry("/rampart/drops")
        with engine.packet_socket() as sock:   # AF_PACKET socket on the tap, inside the namespace
            sock.send(bytes(Ether(...) / IP(...)))

Teardown always runs (context manager, atexit, SIGTERM/SIGINT handler): SIGTERM to the engine,
then SIGKILL if it lingers, delete the namespace (which destroys the tap's kernel side), remove
the temp directory and the EAL runtime directory /var/run/dpdk/<prefix>.

Environment:
    RAMPART_BIN            the binary (default: <repo>/build/apps/rampart/rampart)
    RAMPART_CONFIG         the config the per-test configs start from (default: config/default.yaml)
    RAMPART_E2E_VERBOSE=1  echo every command run
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import ctypes
import dataclasses
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "apps" / "rampart" / "rampart"
DEFAULT_CONFIG = REPO_ROOT / "config" / "default.yaml"
TELEMETRY_DIR = Path("/var/run/dpdk")
# Where hugetlbfs is mounted (scripts/setup-hugepages.sh). EAL leaves a process's hugepage files
# there when it ends, and their pages stay taken until the files are deleted.
HUGEPAGE_DIR = Path("/dev/hugepages")


def meminfo_hugepages(field: str) -> int:
    """HugePages_<field> of /proc/meminfo (Total, Free, Rsvd, Surp): 2 MiB pages."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(f"HugePages_{field}:"):
            return int(line.split()[1])
    return 0


def remove_hugepage_files(pattern: str) -> None:
    """Deletes the hugepage files matching `pattern` (EAL names them <file_prefix>map_<n>)."""
    for f in HUGEPAGE_DIR.glob(pattern):
        f.unlink(missing_ok=True)

# meson's convention for "this test did not run" (counted as SKIP by scripts/test.sh).
EXIT_SKIP = 77

VERBOSE = os.environ.get("RAMPART_E2E_VERBOSE") == "1"

# Used only when config/default.yaml is absent (a tree where the config module is not written
# yet); the keys follow lib/config/include/config/config.hh.
_FALLBACK_CONFIG: dict[str, Any] = {
    "eal": {"lcores": "0-1", "memory_mb": 512, "no_huge": True, "no_pci": True,
            "vdevs": ["net_tap0,iface=rampart0"], "file_prefix": "rampart"},
    "port": {"ip": "10.77.0.2/24"},
}


def log(message: str) -> None:
    print(f"[e2e] {message}", flush=True)


def require_environment() -> None:
    """Exits with EXIT_SKIP when this machine cannot run e2e tests at all (not root, no tun).

    A missing binary is a failure, not a skip: in a build tree it must exist.
    """
    if os.geteuid() != 0:
        log("SKIP: end-to-end tests need root (network namespaces, taps)")
        sys.exit(EXIT_SKIP)
    if not Path("/dev/net/tun").exists():
        log("SKIP: /dev/net/tun is missing (no tun/tap support in this kernel or container)")
        sys.exit(EXIT_SKIP)
    binary = rampart_bin()
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"[e2e] FAIL: rampart binary not found at {binary} (set RAMPART_BIN)")


def rampart_bin() -> Path:
    return Path(os.environ.get("RAMPART_BIN", str(DEFAULT_BIN)))


def sample_plugin_path() -> Path:
    """The sample plugin, uppercase.so (docs/apps.md, "Plugins"), as built beside the binary."""
    return Path(os.environ.get("RAMPART_PLUGIN_DIR", REPO_ROOT / "build" / "lib" / "app" / "plugins")) \
        / "uppercase" / "uppercase.so"


def run(cmd: list[str], check: bool = True, timeout: float = 60,
        capture: bool = True) -> subprocess.CompletedProcess[str]:
    if VERBOSE:
        log("$ " + " ".join(cmd))
    result = subprocess.run(cmd, text=True, timeout=timeout,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None)
    if check and result.returncode != 0:
        raise RuntimeError(f"command failed ({result.returncode}): {' '.join(cmd)}\n"
                           f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


def wait_for(predicate: Callable[[], Any], timeout: float, what: str,
             interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Network namespaces: entered per thread with setns(2), so sockets opened inside stay bound to
# the namespace after the thread returns to its own (a socket's namespace is fixed at creation).

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def in_netns(name: str) -> Iterator[None]:
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into {name}: {os.strerror(err)}")
        try:
            yield
        finally:
            if _libc.setns(own, _CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                # Continuing in the wrong namespace would make every later step lie.
                raise OSError(err, f"setns back to own namespace: {os.strerror(err)}")
    finally:
        os.close(target)
        os.close(own)


def receive_matching(sock: socket.socket, match: Callable[[bytes, bool], bool],
                     timeout: float) -> tuple[bytes, bool] | None:
    """Reads an AF_PACKET socket until match(frame, outgoing) holds; returns (frame, outgoing),
    or None after timeout. outgoing: the namespace sent the frame (PACKET_OUTGOING)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([sock], [], [], remaining)
        if not ready:
            return None
        frame, address = sock.recvfrom(65535)
        outgoing = address[2] == socket.PACKET_OUTGOING
        if match(frame, outgoing):
            return frame, outgoing


class PacketSocket:
    """An AF_PACKET raw socket on one interface of a namespace: whole Ethernet frames in and out.

    The kernel neither pads nor checks what we send (beyond the 14-byte minimum header length of
    an Ethernet device), so malformed frames reach the engine byte for byte.
    """

    ETH_P_ALL = 0x0003

    def __init__(self, netns: str, ifname: str):
        with in_netns(netns):
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                       socket.htons(self.ETH_P_ALL))
            self._sock.bind((ifname, self.ETH_P_ALL))
        self._sock.setblocking(False)

    def send(self, frame: bytes) -> None:
        sent = self._sock.send(frame)
        if sent != len(frame):
            raise OSError(f"short send: {sent} of {len(frame)} bytes")

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while True:
                self._sock.recv(65535)

    def receive(self, match: Callable[[bytes], bool], timeout: float = 2.0) -> bytes | None:
        """The first incoming frame for which match() holds, or None after timeout (frames the
        namespace itself sends are skipped)."""
        found = receive_matching(self._sock, lambda frame, outgoing: not outgoing and match(frame),
                                 timeout)
        return found[0] if found is not None else None

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> "PacketSocket":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Telemetry: DPDK's v2 protocol. On connect the server sends a JSON greeting with
# max_output_len; each command is one SOCK_SEQPACKET message, each reply one JSON object
# {"<command>": value}.

class TelemetryError(RuntimeError):
    pass


def telemetry_socket_path(file_prefix: str) -> Path:
    return TELEMETRY_DIR / file_prefix / "dpdk_telemetry.v2"


def telemetry_query(socket_path: Path | str, command: str, timeout: float = 5.0) -> Any:
    """Sends one command and returns the reply's value (the part under the command's key)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(timeout)
        sock.connect(str(socket_path))
        greeting = json.loads(sock.recv(16384).decode())
        max_len = int(greeting.get("max_output_len", 16384))
        sock.send(command.encode())
        raw = sock.recv(max_len)
    try:
        reply = json.loads(raw.decode())
    except json.JSONDecodeError as error:
        raise TelemetryError(f"{command}: reply is not JSON: {raw[:200]!r}") from error
    base = command.split(",", 1)[0]
    if not isinstance(reply, dict) or base not in reply:
        raise TelemetryError(f"{command}: unexpected reply {reply!r}")
    return reply[base]


def counters_of(value: Any) -> dict[str, int]:
    """Flattens a telemetry reply into {name: int}: nested dicts become dotted names
    ("drop.ipv4_bad_checksum"), and the last component alone is added too when that is unique,
    so tests can name a counter by its X-macro name whatever the grouping."""
    flat: dict[str, int] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), child)
        elif isinstance(node, bool):
            return
        elif isinstance(node, int):
            flat[prefix] = node

    walk("", value)
    short: dict[str, list[str]] = {}
    for name in flat:
        short.setdefault(name.rsplit(".", 1)[-1], []).append(name)
    for leaf, names in short.items():
        values = {flat[n] for n in names}
        if leaf not in flat and len(values) == 1:
            flat[leaf] = values.pop()
    return flat


# ---------------------------------------------------------------------------------------------
# The engine under test.

_active: list["Engine"] = []
_sequence = 0


def _cleanup_all() -> None:
    for engine in list(_active):
        with contextlib.suppress(Exception):
            engine.close()


def _on_signal(signum: int, _frame: object) -> None:
    _cleanup_all()
    # 128 + signal, as a shell would report it; meson counts it as a failure.
    os._exit(128 + signum)


atexit.register(_cleanup_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def base_config() -> dict[str, Any]:
    path = Path(os.environ.get("RAMPART_CONFIG", str(DEFAULT_CONFIG)))
    if path.is_file():
        with path.open() as f:
            return yaml.safe_load(f) or {}
    return copy.deepcopy(_FALLBACK_CONFIG)


def end_process(p: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM (after SIGCONT: a test may have stopped it), then SIGKILL if it lingers."""
    if p.poll() is None:
        with contextlib.suppress(OSError):
            p.send_signal(signal.SIGCONT)
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


class SetUp:
    """Something a test brings up (processes, namespaces, links) and must take down again: a
    context manager over start() and close(), where close() runs on leaving the block and also
    when start() fails half-way. Whatever registers in _active is closed at exit and on
    SIGTERM/SIGINT as well."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):  # noqa: ANN204 - returns the subclass
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclasses.dataclass
class DropBurst:
    """What Engine.drop_burst sent and what the engine counted for it."""
    expected: dict[str, int]  # per drop reason: the frames sent that must earn it
    counted: dict[str, int]   # per drop reason that moved: how much
    stats_before: dict[str, int]  # /rampart/stats before the burst
    ping_output: str          # of the ping that ran during the burst


class Engine(SetUp):
    """One rampart process with its tap inside a namespace of its own.

    lcores: EAL --lcores (the first is the control lcore, the others are workers).
    config: extra settings deep-merged over config/default.yaml.
    """

    def __init__(self, lcores: str | None = None, config: dict[str, Any] | None = None,
                 engine_ip: str = "10.77.0.2", peer_ip: str = "10.77.0.1", prefix_len: int = 24,
                 start_timeout: float = 60.0, wrapper: list[str] | None = None,
                 env: dict[str, str] | None = None, runtime_parent: Path = TELEMETRY_DIR):
        global _sequence
        _sequence += 1
        pid = os.getpid()
        self.netns = f"rt-{pid}-{_sequence}"
        self.tap = f"rt{pid}x{_sequence}"[:15]
        self.file_prefix = f"rt-{pid}-{_sequence}"
        self.engine_ip = engine_ip
        self.assigned_peer_mac = "02:72:74:{:02x}:{:02x}:{:02x}".format(
            (pid >> 8) & 0xFF, pid & 0xFF, _sequence & 0xFF)
        self.peer_ip = peer_ip
        self.prefix_len = prefix_len
        self.start_timeout = start_timeout
        self.workdir = Path(tempfile.mkdtemp(prefix=f"rampart-e2e-{self.netns}-"))
        self.config_path = self.workdir / "rampart.yaml"
        self.output_path = self.workdir / "rampart.out"
        # No drain on SIGTERM by default: teardown must not wait for connections a test left
        # open (test_signals.py sets a drain time and tests the drain).
        overrides: dict[str, Any] = {
            "eal": {"vdevs": [f"net_tap0,iface={self.tap}"], "file_prefix": self.file_prefix},
            "port": {"ip": f"{engine_ip}/{prefix_len}"},
            "tcp": {"drain_timeout_seconds": 0},
        }
        if lcores is not None:
            overrides["eal"]["lcores"] = lcores
        self.config = _deep_merge(_deep_merge(base_config(), overrides), config or {})
        # wrapper: a command the binary runs under (setpriv for a non-root run); env: added to
        # the engine's environment; runtime_parent: where EAL puts <file_prefix>/ (for a non-root
        # run $XDG_RUNTIME_DIR/dpdk).
        self.wrapper = wrapper or []
        self.extra_env = env or {}
        self.runtime_dir = runtime_parent / self.file_prefix
        self.process: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None
        self._output_file = None
        self._ns_created = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        _active.append(self)
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        self._create_namespace()
        if self.wrapper:
            self.workdir.chmod(0o755)  # the wrapped (non-root) engine reads its config here
            self.config_path.chmod(0o644)
        self._launch("wb")

    def restart(self) -> None:
        """Stops the engine (stop(): SIGTERM) and starts a new process with the same config, in
        the same namespace: its new tap is moved in as the first one was. Its output follows the
        first process's in output()."""
        self.stop()
        self.returncode = None
        self._launch("ab")

    def _launch(self, output_mode: str) -> None:
        self._output_file = self.output_path.open(output_mode)
        log(f"starting {rampart_bin()} (tap {self.tap}, namespace {self.netns}, "
            f"prefix {self.file_prefix})")
        self.process = subprocess.Popen([*self.wrapper, str(rampart_bin()), "--config", str(self.config_path)],
                                        stdin=subprocess.DEVNULL, stdout=self._output_file,
                                        stderr=subprocess.STDOUT, env={**os.environ, **self.extra_env})
        self._wait_for_tap()
        self._wait_for_port_started()
        self._move_tap_into_namespace()
        self._wait_for_arp()

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait; SIGKILL if the engine ignores it (and raise: that is a bug)."""
        if self.process is None:
            raise RuntimeError("engine was never started")
        if self.returncode is not None:
            return self.returncode
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
                self.returncode = self.process.returncode
                raise RuntimeError(f"engine ignored SIGTERM for {timeout:.0f}s; killed")
        self.returncode = self.process.returncode
        if self._output_file:
            self._output_file.close()
            self._output_file = None
        return self.returncode

    def close(self) -> None:
        """Teardown; safe to call more than once and after a failed start."""
        try:
            if self.process is not None and self.returncode is None:
                with contextlib.suppress(Exception):
                    self.stop()
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait(10)
        finally:
            if self._output_file:
                self._output_file.close()
                self._output_file = None
            if self.process is not None and self.process.returncode not in (0, None):
                # A crash or a refused start: the engine's last words are the useful clue.
                tail = "\n".join(self.output().splitlines()[-30:])
                log(f"rampart exited with {self.process.returncode}; last output:\n{tail}")
            if self._ns_created:
                run(["ip", "netns", "delete", self.netns], check=False)
                self._ns_created = False
            # The tap normally dies with the engine; if the engine died before we moved it, it
            # is already gone too. This covers a tap left in our namespace by an odd exit.
            if Path(f"/sys/class/net/{self.tap}").exists():
                run(["ip", "link", "delete", self.tap], check=False)
            if self.process is None or self.process.poll() is not None:
                if self.runtime_dir.is_dir():
                    shutil.rmtree(self.runtime_dir, ignore_errors=True)
                remove_hugepage_files(f"{self.file_prefix}map_*")  # eal.no_huge: false
            if os.environ.get("RAMPART_E2E_KEEP") != "1":
                shutil.rmtree(self.workdir, ignore_errors=True)
            if self in _active:
                _active.remove(self)

    # -- start-up steps ------------------------------------------------------------------------

    def _create_namespace(self) -> None:
        run(["ip", "netns", "add", self.netns])
        self._ns_created = True
        # No IPv6 inside: the kernel's router and neighbour solicitations and MLD reports would
        # otherwise reach the engine (as eth_not_for_us drops: they go to 33:33:* multicast MACs)
        # at random moments and make every "exactly these counters moved" assertion flaky.
        for key in ("all", "default"):
            self.ns_run(["sysctl", "-q", "-w", f"net.ipv6.conf.{key}.disable_ipv6=1"])
        self.ns_run(["ip", "link", "set", "lo", "up"])

    def enable_ipv6(self, peer_ipv6: str) -> None:
        """Turns IPv6 on for the namespace's end of the tap (_create_namespace leaves it off) with
        the address `peer_ipv6` ("fd77::1/64"), and without the frames a new IPv6 interface sends
        on its own: no Duplicate Address Detection (the addresses work at once), no Router
        Solicitations. Its MLD reports still go out, in the first seconds."""
        for key, value in (("accept_dad", 0), ("router_solicitations", 0), ("accept_ra", 0),
                           ("disable_ipv6", 0)):
            self.ns_run(["sysctl", "-q", "-w", f"net.ipv6.conf.{self.tap}.{key}={value}"])
        self.ns_run(["ip", "-6", "address", "add", peer_ipv6, "dev", self.tap, "nodad"])

    def _wait_for_tap(self) -> None:
        def tap_or_exit() -> bool:
            self._check_alive("before its tap appeared")
            return Path(f"/sys/class/net/{self.tap}").exists()

        wait_for(tap_or_exit, self.start_timeout, f"tap {self.tap}")

    def _wait_for_port_started(self) -> None:
        # The tap appears at EAL start-up, but net_tap opens its queue fds later, when the port is
        # configured, with TUNSETIFF by interface *name* in the engine's namespace: a tap moved
        # away before that makes the PMD create a second, unconnected tap of the same name. The
        # engine registers its telemetry commands only after the port has started, so the first
        # answer to /rampart/port is the signal that moving is safe.
        def port_started() -> bool:
            self._check_alive("before its port started")
            if not self.telemetry_path.exists():
                return False
            try:
                return isinstance(self.telemetry("/rampart/port"), dict)
            except (OSError, TelemetryError):
                return False

        wait_for(port_started, self.start_timeout, "the port to start (/rampart/port)",
                 interval=0.1)

    def _check_alive(self, when: str) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"rampart exited with {self.process.returncode} {when}:\n"
                               f"{self.output()}")

    def _move_tap_into_namespace(self) -> None:
        run(["ip", "link", "set", "dev", self.tap, "netns", self.netns])
        # net_tap gives the kernel side the same MAC as the DPDK port. Two ends of one link with
        # one MAC would let a test pass that confuses them (a reply sent back to its own source
        # address, a neighbour entry holding our own MAC), so the peer gets an address of its own
        # (locally administered, unique per engine).
        self.ns_run(["ip", "link", "set", "dev", self.tap, "address", self.assigned_peer_mac])
        self.ns_run(["ip", "address", "add", f"{self.peer_ip}/{self.prefix_len}",
                     "dev", self.tap])
        self.ns_run(["ip", "link", "set", "dev", self.tap, "up"])

    def _wait_for_arp(self) -> None:
        # arping is not on a minimal Debian; a ping makes the kernel resolve the engine's address
        # and `ip neigh` shows the answer. Until ARP works the neighbour stays INCOMPLETE/FAILED.
        def resolved() -> bool:
            self._check_alive("while the harness waited for ARP")
            self.ns_run(["ping", "-c", "1", "-W", "1", self.engine_ip], check=False)
            return self.neighbour_mac(self.engine_ip) is not None

        wait_for(resolved, self.start_timeout, f"ARP for {self.engine_ip} to be answered",
                 interval=0.2)

    # -- helpers for tests ---------------------------------------------------------------------

    @property
    def telemetry_path(self) -> Path:
        return self.runtime_dir / "dpdk_telemetry.v2"

    def telemetry(self, command: str) -> Any:
        return telemetry_query(self.telemetry_path, command)

    def counters(self, command: str = "/rampart/stats") -> dict[str, int]:
        return counters_of(self.telemetry(command))

    def drops(self) -> dict[str, int]:
        """Every drop reason with its count, summed over lcores (/rampart/drops "all")."""
        reply = self.telemetry("/rampart/drops")
        if isinstance(reply, dict) and isinstance(reply.get("all"), dict):
            reply = reply["all"]
        return counters_of(reply)

    def drop_burst(self, bad: list[Any], ping: list[str], repeat: int) -> DropBurst:
        """Sends each of `bad` (frames.BadFrame: .reason, .data) `repeat` times from the namespace
        while `ping` runs there, then waits until the engine counted as many drops as frames were
        sent (the tap hands frames over asynchronously), and a moment more for a stray extra to
        show. Returns what each reason should have counted and what it did."""
        expected: dict[str, int] = {}
        for frame in bad:
            expected[frame.reason] = expected.get(frame.reason, 0) + repeat
        before_drops = self.drops()
        before_stats = self.counters()
        pinger = self.ns_popen(ping)
        try:
            with self.packet_socket() as sock:
                for _ in range(repeat):
                    for frame in bad:
                        sock.send(frame.data)
                        time.sleep(0.002)  # a burst, but not one that overflows the tap queue
        finally:
            out, err = pinger.communicate(timeout=60)

        def counted() -> dict[str, int]:
            after = self.drops()
            return {r: after[r] - before_drops[r] for r in after if after[r] != before_drops.get(r)}

        total = sum(expected.values())
        try:
            wait_for(lambda: sum(counted().values()) >= total, 10, f"{total} drops to be counted")
        except TimeoutError:
            pass  # comparing reason by reason says which one fell short
        time.sleep(0.3)
        return DropBurst(expected, counted(), before_stats, out + err)

    def neighbours(self) -> list[dict[str, Any]]:
        """Every worker's next hops: /rampart/neighbours rows {lcore, ip, mac, age_ms, state}."""
        reply = self.telemetry("/rampart/neighbours")
        if not isinstance(reply, dict) or set(reply.get("lcores", {}).values()) != {"ok"}:
            raise TelemetryError(f"/rampart/neighbours: not every worker answered: {reply}")
        return list(reply.get("neighbours", {}).values())

    def ns_run(self, cmd: list[str], check: bool = True,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return run(["ip", "netns", "exec", self.netns, *cmd], check=check, timeout=timeout)

    def ns_popen(self, cmd: list[str]) -> subprocess.Popen[str]:
        if VERBOSE:
            log("$ (background) " + " ".join(cmd))
        return subprocess.Popen(["ip", "netns", "exec", self.netns, *cmd], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def packet_socket(self) -> PacketSocket:
        return PacketSocket(self.netns, self.tap)

    def peer_mac(self) -> str:
        """The kernel side's MAC as the namespace sees it (`ip netns exec` mounts its /sys)."""
        return self.ns_run(["cat", f"/sys/class/net/{self.tap}/address"]).stdout.strip()

    def neighbour_mac(self, ip: str) -> str | None:
        """The MAC the namespace's kernel learned for ip, when reachable (not INCOMPLETE)."""
        out = self.ns_run(["ip", "neigh", "show", "to", ip, "dev", self.tap]).stdout
        match = re.search(r"lladdr ([0-9a-f:]{17})", out)
        return match.group(1) if match else None

    def output(self) -> str:
        if self._output_file:
            self._output_file.flush()
        try:
            return self.output_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class EngineTests(unittest.TestCase):
    """Tests that share one engine per class (ENGINE_LCORES, ENGINE_CONFIG as Engine's lcores and
    config): started before the class's first test, closed after its last, also when the start
    fails half-way. engine_mac and peer_mac address crafted frames; mbufs_idle is the pool's
    in-use count before any connection (the receive rings' and caches' share)."""

    ENGINE_LCORES: str | None = None
    ENGINE_CONFIG: dict[str, Any] | None = None
    engine: Engine
    engine_mac: str
    peer_mac: str
    mbufs_idle: int

    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = Engine(lcores=cls.ENGINE_LCORES, config=cls.ENGINE_CONFIG)
        cls.engine.__enter__()
        try:
            cls.engine_mac = cls.engine.telemetry("/rampart/port")["mac"]
            cls.peer_mac = cls.engine.peer_mac()
            cls.mbufs_idle = cls.mbufs_in_use()
        except BaseException:
            cls.engine.close()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.engine.close()

    @classmethod
    def mbufs_in_use(cls) -> int:
        return int(cls.engine.telemetry("/rampart/port")["mbufs_in_use"])

    def assert_pool_idle(self, what: str, seconds: float = 10) -> None:
        """The pool is back at its idle in-use count within `seconds`: no mbuf left held."""
        deadline = time.monotonic() + seconds
        while self.mbufs_in_use() != self.mbufs_idle and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.mbufs_in_use(), self.mbufs_idle, f"{what}: mbufs still in use")


def frame_outcomes(counters: dict[str, int]) -> int:
    """Received frames that ended as a reply, consumed or dropped (docs/stats.md, "Every frame
    accounted for"): the frames rampart originates (gratuitous ARPs and IPv6 announcements, ARP
    requests, TCP segments built in fresh mbufs) are sent without one received."""
    originated = sum(counters[name] for name in ("arp_gratuitous_sent", "ndp_dad_probes_sent",
                                                 "ndp_unsolicited_advertisements_sent",
                                                 "arp_requests_sent", "tcp_segments_out"))
    return counters["tx_packets"] - originated + counters["consumed"] + counters["dropped"]


def accounting_gaps(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Between two /rampart/stats readings of a quiet link (no frame waiting to leave): frames
    received that did not end as exactly one outcome, and frames the driver delivered that
    rampart did not count. {} when every frame is accounted for."""
    received = after["rx_packets"] - before["rx_packets"]
    gaps = {"received - outcomes": received - (frame_outcomes(after) - frame_outcomes(before)),
            "port.ipackets - rx_packets": after["port.ipackets"] - before["port.ipackets"] - received}
    return {name: gap for name, gap in gaps.items() if gap != 0}


def run_binary(args: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Runs the binary to completion (for user-error cases that never start the EAL)."""
    return run([str(rampart_bin()), *args], check=False, timeout=timeout)


def ping_command(ip: str, count: int, interval: float = 0.2) -> list[str]:
    """iputils ping that waits for `count` replies: with -w it keeps going until `count` replies
    came or the deadline passed, instead of giving up on the last reply once it is later than
    twice the worst RTT so far (which, on a loaded 2-core machine with a busy-polling worker,
    turns scheduling hiccups into "lost" pings). The price: a late reply makes ping send an
    extra request, and replies arriving together can push received past count. Callers check
    received >= count and that the engine answered every request transmitted (its
    icmp_echo_replied counter moves by exactly the transmitted count): a lost request fails
    that."""
    deadline = int(count * interval) + 10
    return ["ping", "-n", "-c", str(count), "-i", str(interval), "-w", str(deadline), ip]


def parse_ping(output: str) -> tuple[int, int]:
    """(transmitted, received) from iputils ping's summary line."""
    match = re.search(r"(\d+) packets transmitted, (\d+) received", output)
    if not match:
        raise ValueError(f"no ping summary in:\n{output}")
    return int(match.group(1)), int(match.group(2))
