#!/usr/bin/python3
"""check_includes.py against fixture/, a tree with violations planted beside every kind of include
the check must accept: a declared module, the module's own headers, a private header, a
header-only module named by its include directory, angle brackets (system headers such as
<net/if.h> share names with modules), and a module named only in a comment or a string."""
import pathlib
import subprocess
import sys
import unittest

HERE = pathlib.Path(__file__).resolve().parent
CHECK = HERE / "check_includes.py"
FIXTURE = HERE / "fixture"


def check(*args):
    return subprocess.run([sys.executable, str(CHECK), *map(str, args)], capture_output=True, text=True)


class check_includes_test(unittest.TestCase):
    def test_names_file_line_include_and_missing_declaration(self):
        result = check(FIXTURE, "perf")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [
            'lib/top/top.cc:2: #include "low/low.hh": module low is not declared in lib/top/meson.build '
            "(name rampart_low_dep there)",
            'perf/tool/tool.cc:3: #  include "mid/mid.hh": module mid is not declared in perf/tool/meson.build '
            "(name rampart_mid_dep there)",
            '2 undeclared include(s): declare each module in the meson.build named (docs/contributing.md, "Modules")',
        ])

    def test_areas_beyond_lib_only_when_asked(self):
        result = check(FIXTURE)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual([line.split(":")[0] for line in result.stdout.splitlines()[:-1]], ["lib/top/top.cc"])

    def test_usage_errors(self):
        self.assertEqual(check().returncode, 2)
        self.assertEqual(check(FIXTURE / "lib").returncode, 2)  # no lib/ below it
        self.assertEqual(check(FIXTURE, "apps").returncode, 2)  # no such area


if __name__ == "__main__":
    unittest.main()
