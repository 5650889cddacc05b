#!/usr/bin/env python3
"""Checks that the library's includes only look down its layers (docs/architecture.md):

  core <- physics <- estimate <- {exact, run} <- observables <- ensemble <- {cli, python}

exact and run are peers and never include each other. Exits 1 and lists every include that
runs upward or sideways; 0 when there is none. Usage: check_layers.py [REPO_ROOT]."""
import pathlib
import re
import sys

RANK = {"core": 0, "physics": 1, "estimate": 2, "exact": 3, "run": 3, "observables": 4,
        "ensemble": 5, "cli": 6}
INCLUDE = re.compile(r'#include "(?:darkcharge/)?([a-z_]+)/[^"]+"')


def layer_of(path: pathlib.Path, root: pathlib.Path):
    parts = path.relative_to(root).parts
    if parts[0] == "include" and len(parts) > 3:
        return parts[2]
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    return None


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    bad = []
    for path in sorted(list((root / "include").rglob("*.hpp")) + list((root / "src").rglob("*.[ch]pp"))):
        here = layer_of(path, root)
        if here not in RANK:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line.strip())
            if not m or m.group(1) not in RANK:
                continue
            there = m.group(1)
            upward = RANK[there] > RANK[here]
            sideways = RANK[there] == RANK[here] and there != here
            if upward or sideways:
                bad.append(f"{path.relative_to(root)}:{n}: {here} includes {there}: {line.strip()}")
    for b in bad:
        print(b)
    if not bad:
        print("layers: every include looks down")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
