#!/usr/bin/python3
"""Running as a service (docs/operations.md, "Running as a service").

1. `meson install` into a temporary DESTDIR places the binary, /etc/rampart/rampart.yaml
   (sysconfdir), the docs, both systemd units, the sysusers.d entry and the hugepage helper, and
   `systemd-analyze verify` accepts the installed units without a single warning.
2. The engine runs the way rampart.service runs it: as an unprivileged user holding only the
   unit's AmbientCapabilities, with XDG_RUNTIME_DIR set, and with a NOTIFY_SOCKET the test
   listens on. READY=1 arrives once the port is up and the engine answers ping; SIGHUP gives
   RELOADING=1 then READY=1; SIGTERM gives STOPPING=1 and exit 0, and the runtime directory is
   gone.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402

NOBODY = 65534


def build_dir() -> Path:
    return h.rampart_bin().resolve().parents[2]


class Install(unittest.TestCase):

    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="rampart-e2e-install-")
        self.dest = Path(self._dir.name)
        self.addCleanup(self._dir.cleanup)
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (apt-get install systemd)")
        h.run(["meson", "install", "-C", str(build_dir()), "--no-rebuild", "--quiet",
               "--destdir", str(self.dest)], timeout=120)
        prefix = h.run(["meson", "introspect", "--buildoptions", str(build_dir())]).stdout
        self.prefix = re.search(r'"name": "prefix", "value": "([^"]+)"', prefix).group(1)

    def installed(self, relative: str) -> Path:
        return self.dest / self.prefix.lstrip("/") / relative

    def test_install_places_everything(self) -> None:
        binary = self.installed("bin/rampart")
        self.assertTrue(os.access(binary, os.X_OK), binary)
        units = self.installed("lib/systemd/system")
        self.assertTrue((units / "rampart.service").is_file())
        self.assertTrue((units / "rampart-hugepages.service").is_file())
        self.assertIn("u rampart ", self.installed("lib/sysusers.d/rampart.conf").read_text())
        self.assertTrue(os.access(self.installed("libexec/rampart/setup-hugepages.sh"), os.X_OK))
        self.assertTrue(os.access(self.installed("bin/rampart-ss"), os.X_OK))
        self.assertTrue(self.installed("share/doc/rampart/operations.md").is_file())
        config = next(self.dest.rglob("etc/rampart/rampart.yaml"))
        result = h.run([str(binary), "--config", str(config), "--check-config"], check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        # A second install keeps the operator's config (an upgrade must not overwrite it).
        config.write_text(config.read_text() + "# edited by the operator\n")
        h.run(["meson", "install", "-C", str(build_dir()), "--no-rebuild", "--quiet",
               "--destdir", str(self.dest)], timeout=120)
        self.assertTrue(config.read_text().endswith("# edited by the operator\n"))
        self.assertTrue(self.installed("share/doc/rampart/rampart.yaml.default").is_file())
        unit = (units / "rampart.service").read_text()
        self.assertIn(f"ExecStart={self.prefix}/bin/rampart --config ", unit)
        self.assertIn("/rampart/rampart.yaml", unit)

    def test_units_pass_systemd_analyze_verify(self) -> None:
        # verify --root resolves everything inside the DESTDIR: give it the targets the units
        # refer to and the kill(1) ExecReload names, as an installed system has them.
        systemd_units = self.dest / "usr/lib/systemd/system"
        systemd_units.mkdir(parents=True, exist_ok=True)
        for pattern in ("*.target", "*.slice"):
            for unit in Path("/usr/lib/systemd/system").glob(pattern):
                shutil.copy(unit, systemd_units, follow_symlinks=False)
        (self.dest / "bin").mkdir(exist_ok=True)
        shutil.copy("/bin/kill", self.dest / "bin" / "kill")
        units = [f"{self.prefix}/lib/systemd/system/{name}"
                 for name in ("rampart.service", "rampart-hugepages.service")]
        result = h.run(["systemd-analyze", "verify", f"--root={self.dest}", *units], check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout + result.stderr, "", "systemd-analyze verify warned")


def unit_capabilities() -> list[str]:
    text = (h.REPO_ROOT / "packaging/systemd/rampart.service.in").read_text()
    caps = re.search(r"^AmbientCapabilities=(.+)$", text, re.M).group(1).split()
    return [c.removeprefix("CAP_").lower() for c in caps]


class NotifyListener:
    """A datagram socket standing in for systemd's notification socket."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        os.chmod(path, 0o777)  # the engine runs as nobody
        self.messages: list[str] = []

    def wait_for(self, text: str, timeout: float = 30.0) -> list[str]:
        def arrived() -> bool:
            self.sock.settimeout(0.2)
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
            return any(text in m for m in self.messages)

        h.wait_for(arrived, timeout, f"{text} on NOTIFY_SOCKET (got {self.messages})", interval=0)
        return self.messages

    def close(self) -> None:
        self.sock.close()


class AsTheUnitRunsIt(unittest.TestCase):

    def test_unprivileged_with_the_units_capabilities_and_readiness(self) -> None:
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv (util-linux) is missing")
        caps = ",".join("+" + c for c in unit_capabilities())
        runtime = Path(tempfile.mkdtemp(prefix="rampart-e2e-xdg-"))
        self.addCleanup(shutil.rmtree, runtime, True)
        os.chown(runtime, NOBODY, NOBODY)
        runtime.chmod(0o750)  # the unit's RuntimeDirectoryMode
        notify = NotifyListener(runtime / "notify")
        self.addCleanup(notify.close)
        wrapper = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                   f"--inh-caps={caps}", f"--ambient-caps={caps}", f"--bounding-set=-all,{caps}"]
        env = {"XDG_RUNTIME_DIR": str(runtime), "NOTIFY_SOCKET": str(runtime / "notify")}
        with h.Engine(wrapper=wrapper, env=env, runtime_parent=runtime / "dpdk",
                      config={"stats": {"interval_seconds": 0}}) as engine:
            status = Path(f"/proc/{engine.process.pid}/status").read_text()
            self.assertRegex(status, rf"Uid:\s+{NOBODY}\s")
            messages = notify.wait_for("READY=1")
            self.assertIn("STATUS=serving on 10.77.0.2/24, 1 worker(s)", messages[0])
            self.assertIn("rampart: ready", engine.output(), "READY=1 only after the port is up")
            self.assertTrue(engine.telemetry_path.exists(), "runtime dir under XDG_RUNTIME_DIR")
            self.assert_only_the_service_user_reaches_telemetry(engine)
            engine.ns_run(h.ping_command(engine.engine_ip, 2))

            engine.process.send_signal(signal.SIGHUP)
            messages = notify.wait_for("configuration re-read")
            reloading = next(i for i, m in enumerate(messages) if "RELOADING=1" in m)
            self.assertIn("READY=1", messages[reloading + 1])

            engine.process.send_signal(signal.SIGTERM)
            notify.wait_for("STOPPING=1")
            self.assertEqual(engine.stop(), 0, engine.output())
            self.assertFalse(engine.runtime_dir.exists(), "runtime files left behind")

    def assert_only_the_service_user_reaches_telemetry(self, engine: h.Engine) -> None:
        """The telemetry socket (which can start captures and list connections) and the runtime
        files around it belong to the service's user, and the directories above it let no
        other user in (docs/operations.md, "The local attack surface")."""
        for directory in (engine.runtime_dir.parent, engine.runtime_dir):
            st = directory.stat()
            self.assertEqual(st.st_uid, NOBODY, directory)
            self.assertEqual(st.st_mode & 0o077, 0, f"{directory}: mode {st.st_mode & 0o7777:o}")
        self.assertEqual(engine.telemetry_path.stat().st_uid, NOBODY)
        other = h.run(["setpriv", "--reuid=1", "--regid=1", "--clear-groups", "/usr/bin/python3", "-c",
                       "import socket, sys\n"
                       "socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(sys.argv[1])",
                       str(engine.telemetry_path)], check=False)
        self.assertIn("PermissionError", other.stderr, "another user reached the telemetry socket")
        self.assertTrue(engine.telemetry("/rampart/stats"), "root still does")


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
