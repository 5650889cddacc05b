#!/usr/bin/python3
"""Tightness and coverage of the trajectory errors at nbar > 0, against `darkcharge exact`.

Usage: bench/tight_errors.py CASE SEEDS TRAJECTORIES [EXACT_CACHE_DIR]
  (JOBS=k runs k seeds side by side, each on one thread; default 1)
  CASE: 10/100, 20/200, 25/250 (nbar 0.3), 4/40T2 (thermal battery at T = 2), 100/1000 (nbar
  0.5, a short grid), written N_B/N_C. The battery starts thermal (simulate's default).
The darkcharge binary is $DARKCHARGE, else build/darkcharge; runs use --threads 1. The exact
curve is computed once (and kept in EXACT_CACHE_DIR if given).

For each column, over (seed, time) pairs at t > 0: coverage of the +-2-error interval
(pooled, worst time), mean z = (value - exact) / error, and error / scatter -- the mean
reported error over the seed-to-seed standard deviation of the value, per time (min and max
over times), with how many times it lies below 0.9 or above 1.5 and, of those, how many stay
outside [0.9, 1.5] across the 95% interval of a bootstrap over seeds (the scatter of S seeds
has a relative standard error of ~1/sqrt(2 S), 0.07 at S = 100, more under heavy tails).
"before" is what the theoretical floors gave: for the linear columns
max(error, 1.5 R / n) (R the theoretical range of one trajectory's value,
rare_event_floor.cpp), for sigma_B max(error, sqrt(s^2 + 1.25 p + p^2) - s), p = 1.5 / n: the
new floors never exceed these caps, and everything else in the error is unchanged, so the
old error follows exactly from the new run.
"""
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

BINARY = os.environ.get("DARKCHARGE",
                        os.path.join(os.path.dirname(__file__), "..", "build", "darkcharge"))
CASES = {  # N_B, N_C, model options, grid
    "10/100": (10, 100, ["--nbar", "0.3"], ["--t-max", "0.4", "--points", "11"]),
    "20/200": (20, 200, ["--nbar", "0.3"], ["--t-max", "0.2", "--points", "11"]),
    "25/250": (25, 250, ["--nbar", "0.3"], ["--t-max", "0.16", "--points", "11"]),
    "4/40T2": (4, 40, ["--temperature", "2"], ["--t-max", "0.6", "--points", "11"]),
    "100/1000": (100, 1000, ["--nbar", "0.5"], ["--t-max", "0.04", "--points", "9"]),
}
LINEAR = ["E_B", "E_C", "P_B", "W_open", "dark", "I_em", "I_abs"]
COLUMNS = LINEAR + ["sigma_B"]


def nbar_of(opts):
    if opts[0] == "--nbar":
        return float(opts[1])
    return 1.0 / math.expm1(1.0 / float(opts[1]))


def theoretical_range(column, nb, nc, nbar):
    """rare_event_floor.cpp: power_range, jump_current_range; 1 for energies and populations."""
    big_j = 0.5 * (nb + nc) + 0.5
    if column == "P_B":
        return 2 * 2 * (2 * nbar + 1) * big_j * (0.5 * nb + 0.5) / nb
    if column == "I_em":
        return 2 * (nbar + 1) * big_j ** 2
    if column == "I_abs":
        return 2 * nbar * big_j ** 2
    return 1.0


def run(args, path):
    subprocess.run([BINARY] + args + ["-o", path, "-q"], check=True)
    return pd.read_csv(path, comment="#")


def main():
    case, seeds, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cache = sys.argv[4] if len(sys.argv) > 4 else None
    nb, nc, model, grid = CASES[case]
    nbar = nbar_of(model)
    base = ["--nb", str(nb), "--nc", str(nc)] + model + grid + ["--observables", ",".join(COLUMNS)]
    with tempfile.TemporaryDirectory() as tmp:
        exact_path = os.path.join(cache or tmp, f"exact_{case.replace('/', '_')}.csv")
        if cache and os.path.exists(exact_path):
            exact = pd.read_csv(exact_path, comment="#")
        else:
            exact = run(["exact"] + base, exact_path)
        def one_seed(seed):
            return run(["simulate"] + base + ["--sampling", "trajectories", "--trajectories",
                                              str(n), "--seed", str(seed), "--threads", "1"],
                       os.path.join(tmp, f"run{seed}.csv"))

        with ThreadPoolExecutor(int(os.environ.get("JOBS", "1"))) as pool:
            runs = list(pool.map(one_seed, range(1, seeds + 1)))
    keep = exact.t.values > 0
    times = exact.t.values[keep]
    print(f"{case} (N_B/N_C), nbar = {nbar:.4g}, {len(times)} times t in (0, {times[-1]:.3g}], "
          f"{seeds} seeds x {n} trajectories, --sampling trajectories")
    print("| column | coverage pooled | worst time | mean z | error/scatter min-max | "
          "below 0.9 / above 1.5 (outside across the bootstrap interval) | "
          "before: coverage | before: error/scatter min-max |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    p = 1.5 / n
    for c in COLUMNS:
        if c not in exact:
            continue
        x = exact[c].values[keep]
        v = np.array([r[c].values[keep] for r in runs])
        e = np.array([r[c + "_err"].values[keep] for r in runs])
        if c == "sigma_B":
            old = np.maximum(e, np.sqrt(v ** 2 + 1.25 * p + p * p) - v)
        else:
            old = np.maximum(e, 1.5 * theoretical_range(c, nb, nc, nbar) / n)
        scatter = v.std(axis=0, ddof=1)
        ok = np.isfinite(x)[None, :] & np.isfinite(v) & np.isfinite(e) & (scatter > 0)[None, :]
        if not ok.any():
            continue

        def stats(err):
            hit = np.where(ok, np.abs(v - x) <= 2 * err, np.nan)
            per_time = np.nanmean(hit, axis=0)
            ratio = np.nanmean(np.where(ok, err, np.nan), axis=0) / scatter
            i = np.nanargmin(per_time)
            z = np.nanmean(np.where(ok & (err > 0), (v - x) / np.where(err > 0, err, 1), np.nan))
            return (f"{np.nanmean(hit):.3f}", f"{per_time[i]:.2f} (t={times[i]:.3g})",
                    f"{z:+.2f}", f"{np.nanmin(ratio):.2f}-{np.nanmax(ratio):.2f}",
                    outside(ratio, err))

        def outside(ratio, err):
            """Times with error/scatter below 0.9 / above 1.5, and (in parentheses) those whose
            whole 95% bootstrap interval over seeds lies outside [0.9, 1.5]."""
            rng = np.random.default_rng(1)
            boot = []
            for _ in range(400):
                pick = rng.integers(0, len(v), len(v))
                ev, vv = np.where(ok, err, np.nan)[pick], v[pick]
                boot.append(np.nanmean(ev, axis=0) / vv.std(axis=0, ddof=1))
            lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0)
            return (f"{int(np.sum(ratio < 0.9))} ({int(np.sum(hi < 0.9))}) / "
                    f"{int(np.sum(ratio > 1.5))} ({int(np.sum(lo > 1.5))})")

        new, before = stats(e), stats(old)
        if os.environ.get("TIGHT_VERBOSE"):
            print(c, "error/scatter per time:", np.round(np.nanmean(e, axis=0) / scatter, 2))
        print(f"| {c} | {new[0]} | {new[1]} | {new[2]} | {new[3]} | {new[4]} | {before[0]} | "
              f"{before[3]} |")


if __name__ == "__main__":
    main()
