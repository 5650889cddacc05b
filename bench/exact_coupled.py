#!/usr/bin/python3
"""`darkcharge exact` on its target cases: wall time on 2 threads, all columns.

Usage: bench/exact_coupled.py [path/to/darkcharge] [--stretch]

Each case runs `darkcharge exact` (coupled basis, the default) with OMP_NUM_THREADS=2 and
every column; cases that end in a steady state are compared with `darkcharge steady`
(closed form) at the last time. A product-basis run (`--method product`) of a small case
shows the old solver's cost on the same problem. `--stretch` adds N_B = 1000, N_C = 10000
through the superradiant burst (t <= 1e-3).
"""
import io
import os
import resource
import subprocess
import sys
import time

import pandas as pd

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DARKCHARGE = ARGS[0] if ARGS else os.path.join(os.path.dirname(__file__), "..", "build",
                                               "darkcharge")
STRETCH = "--stretch" in sys.argv
ENV = dict(os.environ, OMP_NUM_THREADS="2")
COLUMNS = ["E_B", "E_C", "W_open", "dark", "W_B", "W_B_sym", "S_B"]

# (label, N_B, N_C, nbar, battery, t_max, points, extra options, target)
CASES = [
    ("nb100-nc1000-burst", 100, 1000, 0.0, "ground", 0.3, 31, [], "< 60 s"),
    ("nb20-nc60-warm", 20, 60, 0.5, "ground", 8.0, 161, [], "< 60 s, = steady to 1e-8"),
    ("nb10-nc30-thermal", 10, 30, 0.5, "thermal", 8.0, 161, [], "< 60 s"),
    ("nb4-nc20-warm-coupled", 4, 20, 0.5, "ground", 3.0, 31, [], "(product: next row)"),
    ("nb4-nc20-warm-product", 4, 20, 0.5, "ground", 3.0, 31, ["--method", "product"], ""),
]
if STRETCH:
    CASES.append(("nb1000-nc10000-burst (no S_B)", 1000, 10000, 0.0, "ground", 0.001, 11,
                  ["--max-seconds", "1e6", "--observables",
                   "E_B,E_C,P_B,W_open,dark,W_B,W_B_sym"], "stretch"))


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd):
    """Wall seconds, CPU seconds (both threads) and the CSV of one run."""
    start, cpu = time.perf_counter(), cpu_seconds()
    out = subprocess.run(cmd, check=True, env=ENV, capture_output=True, text=True).stdout
    return (time.perf_counter() - start, cpu_seconds() - cpu,
            pd.read_csv(io.StringIO(out), comment="#"))


def steady_gap(nb, nc, nbar, battery, last):
    _, _, ss = run([DARKCHARGE, "steady", "--nb", str(nb), "--nc", str(nc), "--nbar-values",
                 str(nbar), "--battery-init", battery])
    gaps = [abs(last[c] - ss[c].iloc[0]) for c in COLUMNS
            if not (pd.isna(last[c]) and pd.isna(ss[c].iloc[0]))]
    return max(gaps)


def main():
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)\n")
    print("| case | N_B | N_C | nbar | battery | t_max | points | wall time (2 threads) | "
          "CPU time | max gap to steady (last time) | target |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, nb, nc, nbar, battery, t_max, points, extra, target in CASES:
        seconds, cpu, df = run([DARKCHARGE, "exact", "--nb", str(nb), "--nc", str(nc), "--nbar",
                           str(nbar), "--battery-init", battery, "--t-max", str(t_max),
                           "--points", str(points), "-q"] + extra)
        gap = steady_gap(nb, nc, nbar, battery, df.iloc[-1]) if t_max >= 3 else float("nan")
        shown = "-" if pd.isna(gap) else ("0 (to the 10 printed digits)" if gap == 0
                                          else f"{gap:.1e}")
        print(f"| {label} | {nb} | {nc} | {nbar} | {battery} | {t_max} | {points} | "
              f"{seconds:.2f} s | {cpu:.2f} s | {shown} | {target} |", flush=True)


if __name__ == "__main__":
    main()
