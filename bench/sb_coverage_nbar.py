#!/usr/bin/python3
"""Coverage of the collective trajectory S_B and dS_B_dt at nbar > 0, against `darkcharge exact`
(the coupled solver).

Usage: bench/sb_coverage_nbar.py CASE [SEEDS [TRAJECTORIES]]   (default 40 seeds x 2000)
       bench/sb_coverage_nbar.py --from SAVED.npz           (the table of a saved run)
CASE is a name below (or `all`). The darkcharge binary is $DARKCHARGE, else build/darkcharge.
Each seed is one `simulate --sampling trajectories --threads 1 --seed s`, s = 1..SEEDS.
Prints a markdown row per column: the fraction of (seed, time) pairs whose +-2-error interval
holds the exact value (pooled, and at the worst time), the mean z = (value - exact) / error
over the pairs with a finite non-zero error, the error over the scatter (root-mean-square
over times of the mean error over the spread of the values across seeds; 1 for honest bars),
and how many rows were NaN (withdrawn). With PER_TIME=1 in the environment, also per time:
the exact value, the mean value and error over the seeds, the spread and the coverage.
With SAVE=path.npz, the raw values, errors and exact values are saved there after each seed.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

BINARY = os.environ.get("DARKCHARGE",
                        os.path.join(os.path.dirname(__file__), "..", "build", "darkcharge"))
COLUMNS = ["S_B", "dS_B_dt"]
# the exact solver's rounding (|S_B| ~ 1e-11, |dS_B_dt| ~ 1e-9 where they are 0): a value
# 0 +- 0 covers it
TOLERANCE = 1e-8

# name: (model and grid arguments, description)
CASES = {
    # thermal start, exact S_B = 0 throughout; simulate's default grid (t <= 0.3, 201 times)
    "thermal4": (["--nb", "4", "--nc", "40", "--temperature", "2"], "N_B=4 N_C=40 T=2, default grid"),
    # the burst at nbar = 0.1 from the thermal battery
    "burst6": (["--nb", "6", "--nc", "60", "--nbar", "0.1", "--t-max", "0.15", "--points", "16"],
               "N_B=6 N_C=60 nbar=0.1, t <= 0.15"),
    "burst10": (["--nb", "10", "--nc", "100", "--nbar", "0.1", "--t-max", "0.1", "--points", "11"],
                "N_B=10 N_C=100 nbar=0.1, t <= 0.1"),
    "burst14": (["--nb", "14", "--nc", "140", "--nbar", "0.1", "--t-max", "0.07", "--points", "15"],
                "N_B=14 N_C=140 nbar=0.1, t <= 0.07"),
    "burst20": (["--nb", "20", "--nc", "200", "--nbar", "0.1", "--t-max", "0.05", "--points", "11"],
                "N_B=20 N_C=200 nbar=0.1, t <= 0.05"),
    "wide25": (["--nb", "25", "--nc", "250", "--nbar", "0.1", "--t-max", "0.04", "--points", "9"],
               "N_B=25 N_C=250 nbar=0.1, t <= 0.04"),
}


def run(args, path):
    subprocess.run([BINARY] + args + ["--observables", ",".join(COLUMNS), "-q", "-o", path],
                   check=True)
    return pd.read_csv(path, comment="#")


def measure(name, seeds, trajectories):
    model, label = CASES[name]
    with tempfile.TemporaryDirectory() as tmp:
        exact = run(["exact"] + model, os.path.join(tmp, "exact.csv"))
        values = {c: [] for c in COLUMNS}
        errors = {c: [] for c in COLUMNS}
        for seed in range(1, seeds + 1):
            r = run(["simulate"] + model + ["--sampling", "trajectories", "--trajectories",
                                            str(trajectories), "--seed", str(seed), "--threads", "1"],
                    os.path.join(tmp, "run.csv"))
            for c in COLUMNS:
                values[c].append(r[c].values)
                errors[c].append(r[c + "_err"].values)
            if os.environ.get("SAVE"):  # the raw numbers so far, to analyse without running again
                np.savez(os.environ["SAVE"], times=exact.t.values,
                         **{f"exact_{c}": exact[c].values for c in COLUMNS},
                         **{f"value_{c}": np.array(values[c]) for c in COLUMNS},
                         **{f"error_{c}": np.array(errors[c]) for c in COLUMNS})
    report(f"{label}: {seeds} seeds x {trajectories} trajectories", exact.t.values,
           {c: exact[c].values for c in COLUMNS}, values, errors)


def report(label, times, exact, values, errors):
    print(f"{label}, {len(times)} times")
    print("| column | pooled | worst time (t) | mean z | error/scatter | NaN rows |")
    print("| --- | --- | --- | --- | --- | --- |")
    for c in COLUMNS:
        v, e, x = np.array(values[c]), np.array(errors[c]), np.asarray(exact[c])[None, :]
        finite = np.isfinite(v) & np.isfinite(e)
        nan_rows = int((~finite).sum())
        if not finite.any():
            print(f"| {c} | -- | -- | -- | -- | {nan_rows} of {v.size} |")
            continue
        hit = np.where(finite, np.abs(v - x) <= 2 * e + TOLERANCE, np.nan)
        per_time = np.nanmean(hit, axis=0)
        i = np.nanargmin(per_time)
        close = np.abs(v - x) <= TOLERANCE  # z = 0 there (else 1e-10 / 1e-14 errors)
        z = np.where(finite & (e > 0), np.where(close, 0.0, (v - x) / np.where(e > 0, e, 1)), np.nan)
        spread = np.nanstd(np.where(finite, v, np.nan), axis=0, ddof=1)
        mean_err = np.nanmean(np.where(finite, e, np.nan), axis=0)
        ok = spread > 0
        ratio = np.sqrt(np.mean((mean_err[ok] / spread[ok]) ** 2)) if ok.any() else np.nan
        print(f"| {c} | {np.nanmean(hit):.3f} | {per_time[i]:.2f} (t={times[i]:.3g}) | "
              f"{np.nanmean(z):+.2f} | {ratio:.3f} | {nan_rows} of {v.size} |")
        if os.environ.get("PER_TIME"):  # t, exact, mean value, mean error, spread, coverage
            for g in range(len(times)):
                print(f"    t={times[g]:.4g} exact={x[0, g]:.4g} mean={np.nanmean(v[:, g]):.4g} "
                      f"err={mean_err[g]:.3g} spread={spread[g]:.3g} cover={per_time[g]:.2f}")
    sys.stdout.flush()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--from":  # a SAVE file, again
        d = np.load(sys.argv[2])
        report(f"{sys.argv[2]}: {d['value_S_B'].shape[0]} seeds", d["times"],
               {c: d[f"exact_{c}"] for c in COLUMNS}, {c: d[f"value_{c}"] for c in COLUMNS},
               {c: d[f"error_{c}"] for c in COLUMNS})
        return
    if len(sys.argv) < 2 or (sys.argv[1] not in CASES and sys.argv[1] != "all"):
        sys.exit(f"usage: {sys.argv[0]} CASE [SEEDS [TRAJECTORIES]]; CASE one of "
                 f"{', '.join(CASES)} or all")
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    trajectories = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    for name in (CASES if sys.argv[1] == "all" else [sys.argv[1]]):
        measure(name, seeds, trajectories)


if __name__ == "__main__":
    main()
