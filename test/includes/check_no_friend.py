#!/usr/bin/python3
"""lib/tcp grants no friendship (docs/contributing.md, "Modules"): the stream handle, the app host
and the protocol steps reach a connection through interfaces of their own, so a friend
declaration is a member someone reaches around. Exit 0 when no source under DIR declares a
friend; 1 with one line per declaration.

Usage: check_no_friend.py DIR
"""
import pathlib
import re
import sys

FRIEND = re.compile(r"^\s*(template\s*<[^>]*>\s*)?friend\b")


def main(argv):
    if len(argv) != 2 or not pathlib.Path(argv[1]).is_dir():
        print("usage: check_no_friend.py DIR", file=sys.stderr)
        return 2
    found = []
    for path in sorted(pathlib.Path(argv[1]).rglob("*")):
        if path.suffix not in {".cc", ".hh"}:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if FRIEND.match(line):
                found.append(f"{path}:{number}: {line.strip()}")
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
