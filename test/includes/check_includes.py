#!/usr/bin/python3
"""The module rule (docs/contributing.md, "Modules"): code may include another module's headers
(#include "<module>/...") only when its own meson.build declares that module.

Meson passes a dependency's include directories on to whoever depends on it, so an undeclared
include still compiles whenever a declared module depends on the included one. This check
catches what the compiler lets through.

What is checked, under SOURCE_ROOT:
  lib/<module>/   one unit per module: every file below the folder, against every meson.build
                  below it (a module may build several libraries)
  other AREAs     one unit per folder holding a meson.build: the files in that folder, against
                  that meson.build. Folders without one (shared helper headers, perf/support) are
                  compiled by their users and not checked here.
A unit declares a module by naming, anywhere in its meson.build outside comments and strings, a
variable that the module's own meson.build files define with declare_dependency() or
include_directories() (rampart_net_dep, or net_inc for header-only use).

Usage: check_includes.py SOURCE_ROOT [AREA ...]    (lib always; AREAs: other folders, e.g. perf)
Exit status 0 when every include is declared; 1 with one line per undeclared include:
  lib/engine/port.hh:14: #include "net/addresses.hh": module net is not declared in
  lib/engine/meson.build (name rampart_net_dep there)
and 2 on a usage error.
"""
import pathlib
import re
import sys

SOURCE_SUFFIXES = {".c", ".cc", ".cpp", ".h", ".hh", ".hpp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([A-Za-z0-9_]+)/[^"]*"')
DEFINITION = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(declare_dependency|include_directories)\s*\(", re.MULTILINE)
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def meson_code(text):
    """The text with comments and string literals blanked: only code names declarations."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            i = len(text) if end < 0 else end + 3
            out.append(" ")
        elif text[i] == "'":
            j = i + 1
            while j < len(text) and text[j] not in "'\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append(" ")
        elif text[i] == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


class unit:
    def __init__(self, name, builds, files, own_module=None):
        self.name = name  # the meson.build a message points at
        self.builds = builds
        self.files = files
        self.own_module = own_module


def sources(folder, recursive):
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(p for p in pattern if p.is_file() and p.suffix in SOURCE_SUFFIXES)


def find_units(root, areas):
    lib = root / "lib"
    modules = sorted(p.parent for p in lib.glob("*/meson.build"))
    units = [unit(m / "meson.build", sorted(m.rglob("meson.build")), sources(m, True), m.name) for m in modules]
    for area in areas:
        for build in sorted((root / area).rglob("meson.build")):
            units.append(unit(build, [build], sources(build.parent, False)))
    return modules, units


def module_variables(modules):
    """Variable name -> module, from each module's own meson.build files."""
    owner = {}
    for m in modules:
        for build in sorted(m.rglob("meson.build")):
            for match in DEFINITION.finditer(meson_code(build.read_text())):
                owner[match.group(1)] = m.name
    return owner


def suggested_variable(owner, module):
    names = sorted(v for v, m in owner.items() if m == module)
    dependencies = [v for v in names if v.endswith("_dep")]
    return (dependencies or names or ["rampart_" + module + "_dep"])[0]


def violations(root, areas):
    modules, units = find_units(root, areas)
    module_names = {m.name for m in modules}
    owner = module_variables(modules)
    found = []
    for u in units:
        declared = {u.own_module}
        for build in u.builds:
            declared |= {owner[name] for name in IDENTIFIER.findall(meson_code(build.read_text())) if name in owner}
        for path in u.files:
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
                match = INCLUDE.match(line)
                if match is None or match.group(1) not in module_names or match.group(1) in declared:
                    continue
                module = match.group(1)
                found.append(
                    f"{path.relative_to(root)}:{number}: {line.strip()}: module {module} is not declared in "
                    f"{u.name.relative_to(root)} (name {suggested_variable(owner, module)} there)")
    return found


def main(argv):
    if len(argv) < 2 or not (pathlib.Path(argv[1]) / "lib").is_dir():
        print("usage: check_includes.py SOURCE_ROOT [AREA ...]  (SOURCE_ROOT must hold lib/)", file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1]).resolve()
    areas = argv[2:]
    missing = [a for a in areas if not (root / a).is_dir()]
    if missing:
        print(f"check_includes.py: no folder {', '.join(missing)} in {root}", file=sys.stderr)
        return 2
    found = violations(root, areas)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} undeclared include(s): declare each module in the meson.build named "
              "(docs/contributing.md, \"Modules\")")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
