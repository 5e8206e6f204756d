#!/usr/bin/python3
"""What a user sees when they get the command line or the config wrong: exit status 2 and a
message that names the key (or the file), before any EAL start-up (so nothing is left behind in
/var/run/dpdk and no tap is created)."""

from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rampart_harness as h  # noqa: E402

EXIT_USAGE = 2


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


if __name__ == "__main__":
    h.require_environment()
    unittest.main(verbosity=2)
