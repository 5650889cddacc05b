#!/usr/bin/env python3
"""Checks that the code shown in README.md is the code the tests compile and run.

A README code block introduced by a line `<!-- example: PATH -->` must equal the file PATH
(relative to the repository root) byte for byte, except for the indentation of four spaces
that makes it a code block. Exits 1 naming each block that differs or is missing, 0 when all
match. Usage: check_readme_examples.py [REPO_ROOT]."""
import pathlib
import re
import sys

MARKER = re.compile(r"^<!-- example: (\S+) -->$")


def blocks(readme: str):
    """(path, code) for every marked block: the indented lines after the marker."""
    lines = readme.split("\n")
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        j = i + 1
        while j < len(lines) and lines[j] == "":
            j += 1
        code = []
        while j < len(lines) and (lines[j].startswith("    ") or lines[j] == ""):
            code.append(lines[j][4:])
            j += 1
        while code and code[-1] == "":
            code.pop()
        yield m.group(1), "\n".join(code) + "\n"


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    found = list(blocks((root / "README.md").read_text()))
    if not found:
        print("README.md has no <!-- example: PATH --> block")
        return 1
    bad = 0
    for path, code in found:
        source = (root / path).read_text()
        if code != source:
            print(f"README.md's example differs from {path}; paste the file (indented by 4)")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
