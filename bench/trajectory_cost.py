#!/usr/bin/python3
"""How the cost of one trajectory grows with N (bench/README.md table).

Usage: bench/trajectory_cost.py [path/to/darkcharge]

R = N_C / N_B = 10, nbar = 0 (and 0.5), battery ground, t in [0, 3] (each trajectory runs
through the whole superradiant charging to its dark steady state), 31 output points,
E_B only, one thread. Reports seconds per trajectory.
"""
import os
import subprocess
import sys
import time

DARKCHARGE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "build", "darkcharge")


def cost(nb, nbar, trajectories):
    cmd = [DARKCHARGE, "simulate", "--nb", str(nb), "--nc", str(10 * nb), "--nbar", str(nbar),
           "--battery-init", "ground", "--t-max", "3", "--points", "31", "--observables",
           "E_B", "--trajectories", str(trajectories), "--threads", "1", "-q"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) / trajectories


def main():
    print("| N_B | N_C | nbar | trajectories | seconds per trajectory |")
    print("| --- | --- | --- | --- | --- |")
    for nbar, sizes in ((0.0, [1, 3, 10, 30, 100, 300, 1000, 3000, 10000]),
                        (0.5, [1, 3, 10, 30, 100])):
        for nb in sizes:
            n = max(20, int(20000 / nb)) if nbar == 0 else max(10, int(2000 / nb))
            print(f"| {nb} | {10 * nb} | {nbar} | {n} | {cost(nb, nbar, n):.3g} |", flush=True)


if __name__ == "__main__":
    main()
