#!/usr/bin/python3
"""What a user sees when they get the command line or the config wrong: exit status 2 and a
message that names the key (or the file), before any EAL start-up (so nothing is left behind in
/var/run/dpdk and no tap is created)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402

EXIT_USAGE = 2
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "  # every log line's UTC time (engine/log.hh)


class UserErrors(unittest.TestCase):
    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="rampart-e2e-usage-")
        self.dir = Path(self._dir.name)
        self.prefix = f"rt-usage-{id(self) % 100000}"

    def tearDown(self) -> None:
        self._dir.cleanup()

    def write_config(self, config: dict | str) -> Path:
        path = self.dir / "bad.yaml"
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        path.write_text(text)
        return path

    def valid_config(self) -> dict:
        config = h.base_config()
        config.setdefault("eal", {})["file_prefix"] = self.prefix
        config["eal"]["vdevs"] = ["net_tap0,iface=rtusage0"]
        return config

    def assert_refused(self, args: list[str], *needles: str) -> str:
        result = h.run_binary(args)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, EXIT_USAGE, output)
        for needle in needles:
            self.assertIn(needle, output)
        # Refused before the EAL started: no runtime directory, no tap.
        self.assertFalse((h.TELEMETRY_DIR / self.prefix).exists())
        self.assertFalse(Path("/sys/class/net/rtusage0").exists())
        return output

    def test_unknown_key_is_named(self) -> None:
        config = self.valid_config()
        config["port"]["bogus_setting"] = 1
        self.assert_refused(["--config", str(self.write_config(config))], "bogus_setting")

    def test_bad_address_names_the_key(self) -> None:
        config = self.valid_config()
        config["port"]["ip"] = "10.77.0.300/24"
        self.assert_refused(["--config", str(self.write_config(config))], "port.ip")

    def test_wrong_type_names_the_key(self) -> None:
        config = self.valid_config()
        config["port"]["mtu"] = "large"
        self.assert_refused(["--config", str(self.write_config(config))], "port.mtu")

    def test_missing_port_section(self) -> None:
        config = self.valid_config()
        del config["port"]
        self.assert_refused(["--config", str(self.write_config(config))], "port")

    def test_yaml_syntax_error_names_the_line(self) -> None:
        text = yaml.safe_dump(self.valid_config(), sort_keys=False) + "port: [unclosed\n"
        path = self.write_config(text)
        output = self.assert_refused(["--config", str(path)], str(path))
        self.assertRegex(output, r"line \d+|\.yaml:\d+")

    def test_missing_config_file_is_named(self) -> None:
        missing = self.dir / "does-not-exist.yaml"
        output = self.assert_refused(["--config", str(missing)], str(missing))
        self.assertRegex(output.lower(), r"no such file|cannot open|not found")

    def test_unknown_app_is_named(self) -> None:
        config = self.valid_config()
        config["listeners"] = [{"port": 80, "app": "htttp"}]
        self.assert_refused(["--config", str(self.write_config(config))],
                            "listener on port 80 (app htttp)", "unknown app")

    def test_bad_app_argument_is_named(self) -> None:
        config = self.valid_config()
        config["listeners"] = [{"port": 80, "app": "http", "args": {"status": "2OO"}}]
        self.assert_refused(["--config", str(self.write_config(config))], "args.status")

    def test_plugin_that_does_not_load_is_named(self) -> None:
        config = self.valid_config()
        missing = self.dir / "missing.so"
        config["listeners"] = [{"port": 7000, "app": "plugin", "plugin": str(missing)}]
        self.assert_refused(["--config", str(self.write_config(config))],
                            f"plugin {missing}: cannot load")

    def test_unknown_option(self) -> None:
        self.assert_refused(["--no-such-option"], "--no-such-option")

    def test_directory_as_config_is_named(self) -> None:
        output = self.assert_refused(["--config", str(self.dir)], str(self.dir), "is a directory")
        self.assertEqual(len(output.strip().splitlines()), 1, output)

    def test_unreadable_config_is_named(self) -> None:
        path = self.write_config(self.valid_config())
        path.chmod(0o000)
        self.dir.chmod(0o755)
        # root reads any file: run as nobody (the binary needs no privilege to read its config).
        result = h.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        str(h.rampart_bin()), "--config", str(path)], check=False)
        output = result.stdout + result.stderr
        if "Permission denied" in output and str(path) not in output:
            self.skipTest(f"nobody cannot run {h.rampart_bin()} here: {output.strip()}")
        self.assertEqual(result.returncode, EXIT_USAGE, output)
        self.assertIn(f"{path}: cannot open: Permission denied", output)

    def test_bad_lcores_syntax_is_one_line_not_the_eal_usage(self) -> None:
        config = self.valid_config()
        config["eal"]["lcores"] = "0-1,7-"
        for extra in ([], ["--check-config"]):
            with self.subTest(args=extra):
                output = self.assert_refused(["--config", str(self.write_config(config)), *extra],
                                             'eal.lcores "0-1,7-": expected a number at the end')
                self.assertEqual(len(output.strip().splitlines()), 1, output)

    def test_lcores_beyond_the_machine_name_the_cpus(self) -> None:
        cpus = len(os.sched_getaffinity(0))
        config = self.valid_config()
        config["eal"]["lcores"] = f"0-{cpus}"
        for extra in ([], ["--check-config"]):
            with self.subTest(args=extra):
                output = self.assert_refused(["--config", str(self.write_config(config)), *extra],
                                             f"runs on CPU {cpus}, but this process may only use CPU")
                self.assertEqual(len(output.strip().splitlines()), 1, output)

    def test_mtu_above_the_drivers_limit(self) -> None:
        config = self.valid_config()
        config["port"]["mtu"] = 9000
        config.setdefault("tcp", {})["mss"] = 1460
        for extra in ([], ["--check-config"]):
            with self.subTest(args=extra):
                self.assert_refused(["--config", str(self.write_config(config)), *extra],
                                    "port.mtu 9000 is above what net_tap takes (1504",
                                    "lower port.mtu to 1504")

    def run_merged(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Runs the binary with stderr and stdout on one pipe, as a terminal, journald or a log
        file (`> log 2>&1`) see them, so the order of the lines is the order they were written."""
        return subprocess.run([str(h.rampart_bin()), *args], text=True, timeout=60,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def assert_last_line_refuses(self, config: dict, *needles: str) -> None:
        """Exit 2 in both modes, and rampart's one line is all it printed."""
        path = self.write_config(config)
        for extra in ([], ["--check-config"]):
            with self.subTest(args=extra):
                output = self.assert_refused(["--config", str(path), *extra], *needles)
                self.assertEqual(len(output.strip().splitlines()), 1, output)
                result = self.run_merged(["--config", str(path), *extra])
                self.assertEqual(result.returncode, EXIT_USAGE, result.stdout)
                last = result.stdout.strip().splitlines()[-1]
                self.assertRegex(last, "^" + STAMP + re.escape(f"rampart: error: {path}:"))
                for needle in needles:
                    self.assertIn(needle, last)

    def test_no_worker_lcore(self) -> None:
        config = self.valid_config()
        config["eal"]["lcores"] = "0"
        self.assert_last_line_refuses(config, 'eal.lcores "0" gives no worker lcore',
                                      'list at least two lcores')

    def test_unknown_eal_option_in_extra_args(self) -> None:
        config = self.valid_config()
        config["eal"]["extra_args"] = ["--bogus-option"]
        self.assert_last_line_refuses(config, 'eal.extra_args[0]: "--bogus-option" is not an EAL option of '
                                              "DPDK 22.11; remove it or fix its name")

    def test_eal_init_failure_is_the_last_line(self) -> None:
        """EAL prints its usage text on stdout when it refuses a value; rampart's own line, which
        says what to change, must come after all of it."""
        config = self.valid_config()
        config["eal"]["extra_args"] = ["--iova-mode", "bogus"]
        self.addCleanup(shutil.rmtree, h.TELEMETRY_DIR / self.prefix, ignore_errors=True)
        result = self.run_merged(["--config", str(self.write_config(config))])
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("Usage:", result.stdout)  # EAL's usage text was printed, and before:
        self.assertRegex(result.stdout.strip().splitlines()[-1],
                         "^" + STAMP + r"rampart: error: EAL init failed: .*eal\.extra_args")
        self.assertFalse(Path("/sys/class/net/rtusage0").exists())

    def test_check_config_reads_the_master_secret(self) -> None:
        config = self.valid_config()
        secret = self.dir / "secret"
        config.setdefault("tcp", {}).setdefault("syn_cookies", {})["master_secret_file"] = str(secret)
        path = self.write_config(config)
        self.assert_refused(["--config", str(path), "--check-config"],
                            f"tcp.syn_cookies: master secret file {secret}: cannot open")
        secret.write_bytes(b"short")
        secret.chmod(0o600)
        self.assert_refused(["--config", str(path), "--check-config"],
                            f"master secret file {secret}: ", "need at least",
                            "(expected: at least 16 bytes of random secret, raw or as hex digits, e.g. made with "
                            "`head -c 32 /dev/urandom | xxd -p -c 64 > FILE; chmod 600 FILE`)")
        secret.write_bytes(os.urandom(32))
        result = h.run_binary(["--config", str(path), "--check-config"])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def secret_config(self) -> tuple[Path, Path]:
        """(config, secret): a valid hex secret, mode 0600, owned by root."""
        config = self.valid_config()
        secret = self.dir / "secret"
        secret.write_text(os.urandom(32).hex() + "\n")
        secret.chmod(0o600)
        config.setdefault("tcp", {}).setdefault("syn_cookies", {})["master_secret_file"] = str(secret)
        return self.write_config(config), secret

    def test_master_secret_others_can_read_is_refused(self) -> None:
        path, secret = self.secret_config()
        secret.chmod(0o640)
        for mode in (["--check-config"], []):  # the check and the start say the same
            output = self.assert_refused(
                ["--config", str(path), *mode],
                f"rampart: error: {path}: tcp.syn_cookies: master secret file {secret}: mode 0640 gives group or others "
                f"access to the secret: chmod 600 {secret}")
            self.assertEqual(len(output.strip().splitlines()), 1, output)
        secret.chmod(0o600)
        self.assertEqual(h.run_binary(["--config", str(path), "--check-config"]).returncode, 0)

    def test_master_secret_of_another_user_is_refused(self) -> None:
        path, secret = self.secret_config()
        os.chown(secret, 65534, 65534)
        for mode in (["--check-config"], []):
            output = self.assert_refused(
                ["--config", str(path), *mode],
                f"rampart: error: {path}: tcp.syn_cookies: master secret file {secret}: owned by uid 65534, not root "
                f"(rampart runs as root): chown 0 {secret}")
            self.assertEqual(len(output.strip().splitlines()), 1, output)

    def test_master_secret_of_the_service_user_is_taken(self) -> None:
        """As the unprivileged service user (setpriv, as test_service.py runs the unit's set-up),
        the user's own secret file is taken, and another user's is not, even one it can read."""
        path, secret = self.secret_config()
        self.dir.chmod(0o755)
        path.chmod(0o644)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(h.rampart_bin())]
        os.chown(secret, 65534, 65534)
        result = h.run([*as_nobody, "--config", str(path), "--check-config"], check=False)
        if "Permission denied" in result.stderr and str(path) not in result.stderr:
            self.skipTest(f"nobody cannot run {h.rampart_bin()} here: {result.stderr.strip()}")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        os.chown(secret, 1, 1)  # daemon's: readable by nobody only through its mode
        secret.chmod(0o644)
        result = h.run([*as_nobody, "--config", str(path), "--check-config"], check=False)
        self.assertEqual(result.returncode, EXIT_USAGE, result.stdout + result.stderr)
        self.assertIn(f"master secret file {secret}: owned by uid 1, not root or rampart's user (uid 65534): "
                      f"chown 65534 {secret}", result.stderr)

    def test_plugin_others_can_write_is_refused(self) -> None:
        config = self.valid_config()
        shared = self.dir / "shared"
        shared.mkdir()
        plugin = shared / "uppercase.so"
        shutil.copy(h.sample_plugin_path(), plugin)
        config["listeners"] = [{"port": 7000, "app": "plugin", "plugin": str(plugin)}]
        path = self.write_config(config)
        self.assertEqual(h.run_binary(["--config", str(path), "--check-config"]).returncode, 0)
        shared.chmod(0o777)
        for mode in (["--check-config"], []):
            output = self.assert_refused(
                ["--config", str(path), *mode],
                f"plugin {plugin}: refused: directory {shared} is "
                f"writable by group or others (mode 0777): chmod go-w {shared} (a plugin and the directories above "
                "it must be writable only by root or rampart's user)")
            self.assertEqual(len(output.strip().splitlines()), 1, output)
        shared.chmod(0o755)
        os.chown(plugin, 65534, 65534)
        self.assert_refused(["--config", str(path)],
                            f"plugin {plugin}: refused: {plugin} is owned by uid 65534, not root (rampart runs as "
                            f"root): chown 0 {plugin}")


class VdevErrors(unittest.TestCase):
    """A vdev that cannot come up is named as such (exit 1), not reported as "no DPDK port"."""

    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="rampart-e2e-vdev-")
        self.dir = Path(self._dir.name)
        self.prefix = f"rt-vdev-{os.getpid()}"
        self.iface = f"rtvd{os.getpid()}"[:15]

    def tearDown(self) -> None:
        if Path(f"/sys/class/net/{self.iface}").exists():
            h.run(["ip", "link", "delete", self.iface], check=False)
        shutil.rmtree(h.TELEMETRY_DIR / self.prefix, ignore_errors=True)
        self._dir.cleanup()

    def run_with_vdev(self, vdev: str) -> str:
        config = h.base_config()
        config["eal"]["file_prefix"] = self.prefix
        config["eal"]["vdevs"] = [vdev]
        config["port"]["device"] = vdev.split(",")[0]
        path = self.dir / "vdev.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        result = h.run_binary(["--config", str(path)], timeout=60)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, output)
        self.assertNotIn("no DPDK port", output)
        self.assertFalse((h.TELEMETRY_DIR / self.prefix).exists(), "runtime directory left behind")
        return output

    def test_tap_name_taken(self) -> None:
        h.run(["ip", "tuntap", "add", self.iface, "mode", "tap"])
        output = self.run_with_vdev(f"net_tap0,iface={self.iface}")
        self.assertIn(f"an interface named {self.iface} exists already", output)
        self.assertIn(f"ip link delete {self.iface}", output)

    def test_vdev_that_fails_to_probe(self) -> None:
        output = self.run_with_vdev(f"net_af_packet0,iface={self.iface}")  # no such interface
        self.assertIn(f'eal.vdevs[0] "net_af_packet0,iface={self.iface}" did not come up: '
                      "its driver net_af_packet refused it", output)

    def test_af_packet_fanout_group_taken(self) -> None:
        """net_af_packet joins its sockets to fanout group (pid XOR ifindex) & 0xffff, per network
        namespace (drivers-notes/net_af_packet.md). Another process holding that group on another
        interface makes the kernel refuse the join; rampart names the collision and the way out.
        rampart's pid is known before it starts: a forked child becomes it by exec, through
        `ip netns exec`, which execs in place."""
        ns = f"rt-vdev-{os.getpid()}"
        h.run(["ip", "netns", "add", ns])
        self.addCleanup(h.run, ["ip", "netns", "delete", ns], check=False)
        h.run(["ip", "netns", "exec", ns, "ip", "link", "add", "port", "type", "veth", "peer", "name", "other"])
        for dev in ("port", "other"):
            h.run(["ip", "netns", "exec", ns, "ip", "link", "set", dev, "up"])
        ifindex = int(h.run(["ip", "netns", "exec", ns, "cat", "/sys/class/net/port/ifindex"]).stdout)
        config = h.base_config()
        config["eal"]["file_prefix"] = self.prefix
        config["eal"]["vdevs"] = ["net_af_packet0,iface=port"]
        config["port"]["device"] = "net_af_packet0"
        path = self.dir / "fanout.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        log = self.dir / "rampart.log"
        go_read, go_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: waits until the group is taken, then becomes rampart
            try:
                os.close(go_write)
                if os.read(go_read, 1) != b"x":
                    os._exit(126)  # the test gave up before the group was taken
                out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(out, 1)
                os.dup2(out, 2)
                os.execvp("ip", ["ip", "netns", "exec", ns, str(h.rampart_bin()), "--config", str(path)])
            finally:
                os._exit(127)
        os.close(go_read)
        with subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", FANOUT_HOLDER, "other",
                               str((pid ^ ifindex) & 0xFFFF)], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as holder:
            try:
                self.assertEqual(holder.stdout.readline().strip(), b"holding")
                os.write(go_write, b"x")
            finally:
                os.close(go_write)  # on failure the child sees EOF and exits without starting rampart
                status = wait_for_child(pid, 60)
                h.end_process(holder, 5)
        output = log.read_text()
        self.assertEqual(status, 1, output)
        self.assertIn("could not set PACKET_FANOUT", output)  # the driver's own line: the collision happened
        self.assertIn("another process's net_af_packet port in this network namespace drew the same fanout group",
                      output)
        self.assertIn("start rampart again", output)
        self.assertFalse((h.TELEMETRY_DIR / self.prefix).exists(), "runtime directory left behind")


# Holds PACKET_FANOUT group argv[2] (type hash, no flags) on interface argv[1] until stdin closes.
FANOUT_HOLDER = """
import socket, sys
SOL_PACKET, PACKET_FANOUT, ETH_P_ALL = 263, 18, 3
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.bind((sys.argv[1], 0))
s.setsockopt(SOL_PACKET, PACKET_FANOUT, int(sys.argv[2]))
print("holding", flush=True)
sys.stdin.read()
"""


def wait_for_child(pid: int, timeout: float) -> int:
    """The exit code of a forked child; kills it after `timeout` seconds (then -9)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        time.sleep(0.05)


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
