#!/usr/bin/python3
"""Trajectory-mode coverage at the largest coverage-panel case: N_B = 100, N_C = 1000, nbar = 0,
t in (0, 0.02] (20 times), against the exact cascade (simulate's default there).

Usage: bench/coverage_large.py [SEEDS [TRAJECTORIES]]   (default 50 seeds x 2000)
The darkcharge binary is $DARKCHARGE, else build/darkcharge. Prints a markdown table: for each
column the fraction of (seed, time) pairs whose +-2-error interval contains the exact value,
pooled and at the worst time. S_B is left out: beyond 2 min(j_C, j_B) + 1 = 21 its trajectory
errors are withdrawn (NaN) because the estimate is biased there.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

BINARY = os.environ.get("DARKCHARGE",
                        os.path.join(os.path.dirname(__file__), "..", "build", "darkcharge"))
COLUMNS = "E_B,E_C,P_B,W_open,dark,W_B,W_B_sym,sigma_B,I_em,N_em,F_em"
BASE = ["simulate", "--nb", "100", "--nc", "1000", "--t-max", "0.02", "--points", "21",
        "--observables", COLUMNS, "-q", "--threads", "1"]


def run(args, path):
    subprocess.run([BINARY] + BASE + args + ["-o", path], check=True)
    return pd.read_csv(path, comment="#")


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    trajectories = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        exact = run(["--sampling", "cascade"], os.path.join(tmp, "exact.csv"))
        hits = {c: [] for c in COLUMNS.split(",")}
        for seed in range(1, seeds + 1):
            r = run(["--sampling", "trajectories", "--trajectories", str(trajectories),
                     "--seed", str(seed)], os.path.join(tmp, "run.csv"))
            for c in hits:
                v, e, x = r[c].values[1:], r[c + "_err"].values[1:], exact[c].values[1:]
                ok = np.isfinite(x) & np.isfinite(v)
                hits[c].append(np.where(ok, np.abs(v - x) <= 2 * e, np.nan))
    times = exact.t.values[1:]
    print(f"N_B=100 N_C=1000 nbar=0, t in (0, 0.02], {len(times)} times, "
          f"{seeds} seeds x {trajectories} trajectories, --sampling trajectories")
    print("| column | pooled | worst time (t) |")
    print("| --- | --- | --- |")
    for c, h in hits.items():
        h = np.array(h)
        per_time = np.nanmean(h, axis=0)
        i = np.nanargmin(per_time)
        print(f"| {c} | {np.nanmean(h):.3f} | {per_time[i]:.2f} (t={times[i]:.3g}) |")


if __name__ == "__main__":
    main()
