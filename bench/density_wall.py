#!/usr/bin/python3
"""The density-matrix wall: the largest system each method finishes within a time budget.

Usage: bench/density_wall.py [budget_seconds=60] [path/to/darkcharge]

Model: charger N_C = 5 N_B (R = 5) fully up, battery ground, nbar = 0, E_B on 31 points
over t in [0, 3] (the whole charging process to the dark steady state).
- `darkcharge exact` (coupled basis, the default): block structure in |J M>; at nbar = 0 the
  rank-one cascade (zero_temperature_cascade.hpp). E_B only, and all columns.
- `darkcharge exact --method product`: density matrix in the product Dicke basis,
  d = (N_C+1)(N_B+1).
- QuTiP 4.7 mesolve: the same density matrix (Liouvillian of size d^2 x d^2).
- `darkcharge simulate`: 1000 trajectories, 2 threads.
N_B grows geometrically; a method stops at its first run over budget (killed at the
budget). Prints one row per attempt and a summary line.
"""
import os
import subprocess
import sys
import time

BUDGET = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
DARKCHARGE = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(__file__), "..", "build", "darkcharge")

QUTIP_SNIPPET = r"""
import sys, numpy as np, qutip as qt
sys.path.insert(0, sys.argv[3])
from compare_qutip import collective
nb, nc = int(sys.argv[1]), int(sys.argv[2])
lc, zc = collective(nc / 2); lb, zb = collective(nb / 2)
ic, ib = qt.qeye(lc.shape[0]), qt.qeye(lb.shape[0])
lower = qt.tensor(lc, ib) + qt.tensor(ic, lb)
h = qt.tensor(zc, ib) + qt.tensor(ic, zb)
psi0 = qt.tensor(qt.basis(lc.shape[0], 0), qt.basis(lb.shape[0], lb.shape[0] - 1))
res = qt.mesolve(h, psi0, np.linspace(0, 3, 31), [np.sqrt(2) * lower],
                 [qt.tensor(ic, zb) / nb + 0.5 * qt.tensor(ic, ib)])
print(res.expect[0][-1])
"""


def timed(cmd, env=None):
    start = time.perf_counter()
    try:
        subprocess.run(cmd, check=True, timeout=BUDGET, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def exact(nb, method="coupled", columns=("--observables", "E_B")):
    return timed([DARKCHARGE, "exact", "--method", method, "--nb", str(nb), "--nc", str(5 * nb),
                  "--battery-init", "ground", "--t-max", "3", "--points", "31", *columns,
                  "--max-dimension", "100000000", "--max-seconds", "1e9", "--max-memory", "16",
                  "-q"], env=dict(os.environ, OMP_NUM_THREADS="2"))


def exact_product(nb):
    return exact(nb, "product")


def exact_all_columns(nb):
    return exact(nb, "coupled", ())


def mesolve(nb):
    return timed(["/usr/bin/python3", "-c", QUTIP_SNIPPET, str(nb), str(5 * nb),
                  os.path.dirname(os.path.abspath(__file__))])


def trajectories(nb):
    return timed([DARKCHARGE, "simulate", "--nb", str(nb), "--nc", str(5 * nb), "--battery-init",
                  "ground", "--t-max", "3", "--points", "31", "--observables", "E_B",
                  "--trajectories", "1000", "--threads", "2", "-q"])


def wall(name, run, sizes):
    largest = None
    for nb in sizes:
        seconds = run(nb)
        d = (5 * nb + 1) * (nb + 1)
        shown = f"{seconds:.2f} s" if seconds is not None else f"> {BUDGET:.0f} s (stopped)"
        print(f"| {name} | {nb} | {5 * nb} | {d} | {shown} |", flush=True)
        if seconds is None:
            break
        largest = nb
    return largest


def main():
    print(f"Budget {BUDGET:.0f} s per run; R = 5, t in [0, 3], 31 points, E_B.\n")
    print("| method | N_B | N_C | product dimension d | wall time |")
    print("| --- | --- | --- | --- | --- |")
    small = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16]
    large = [1, 3, 10, 30, 100, 300, 1000, 2000, 3000]
    only = os.environ.get("DENSITY_WALL_ONLY")  # e.g. "exact" to skip QuTiP and trajectories
    results = {
        "darkcharge exact (coupled basis, 2 threads)":
            wall("darkcharge exact (coupled basis, 2 threads)", exact, large),
        "darkcharge exact (coupled basis, all columns, 2 threads)":
            wall("darkcharge exact (coupled basis, all columns, 2 threads)", exact_all_columns,
                 large),
        "darkcharge exact --method product": wall("darkcharge exact --method product",
                                                  exact_product, small),
    }
    if only == "exact":
        print()
        for name, nb in results.items():
            print(f"- {name}: largest N_B = {nb} (N = N_B + N_C = {6 * nb if nb else 0} spins)")
        return
    results |= {
        "QuTiP mesolve": wall("QuTiP mesolve", mesolve, small),
        "darkcharge simulate (1000 traj, 2 threads)":
            wall("darkcharge simulate (1000 traj, 2 threads)", trajectories,
                 [10, 100, 1000, 3000, 10000, 30000]),
    }
    print()
    for name, nb in results.items():
        print(f"- {name}: largest N_B = {nb} (N = N_B + N_C = {6 * nb if nb else 0} spins)")


if __name__ == "__main__":
    main()
