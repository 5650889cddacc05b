#!/usr/bin/python3
"""darkcharge vs QuTiP 4.7 on the same model, grid and observable, one core each.

Usage: bench/compare_qutip.py [path/to/darkcharge]   (default: build/darkcharge)

For each case: QuTiP mcsolve (serial_map: one core) and `darkcharge simulate --threads 1`
compute E_B(t) of the Quach-Munro battery (battery ground, charger up) on the same grid.
Both report trajectories per second (wall clock, best of the timed runs); the table prints
the ratio and the last-time E_B of both with standard errors, so a reader can see the two
codes compute the same thing. QuTiP runs in the product Dicke basis
|j_C m_C> (x) |j_B m_B>, collapse operators sqrt(2 gamma (nbar+1)) J^- and
sqrt(2 gamma nbar) J^+ (physics.md).
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import qutip as qt

DARKCHARGE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "build", "darkcharge")

# (N_B, N_C, nbar, t_max, points, QuTiP trajectories, darkcharge trajectories)
CASES = [
    (2, 10, 0.0, 3.0, 301, 500, 200000),
    (10, 100, 0.0, 3.0, 301, 50, 100000),
    (2, 10, 0.5, 3.0, 301, 500, 100000),
]


def collective(j):
    d = int(round(2 * j)) + 1
    m = np.array([j - i for i in range(d)])
    lower = np.zeros((d, d))
    for i in range(d - 1):
        lower[i + 1, i] = np.sqrt((j + m[i]) * (j - m[i] + 1))
    return qt.Qobj(lower), qt.Qobj(np.diag(m))


def qutip_run(nb, nc, nbar, t_max, points, ntraj):
    jc, jb = nc / 2, nb / 2
    lc, zc = collective(jc)
    lb, zb = collective(jb)
    ic, ib = qt.qeye(lc.shape[0]), qt.qeye(lb.shape[0])
    lower = qt.tensor(lc, ib) + qt.tensor(ic, lb)
    zb_full = qt.tensor(ic, zb)
    h = qt.tensor(zc, ib) + zb_full
    c_ops = [np.sqrt(2 * (nbar + 1)) * lower]
    if nbar > 0:
        c_ops.append(np.sqrt(2 * nbar) * lower.dag())
    psi0 = qt.tensor(qt.basis(lc.shape[0], 0), qt.basis(lb.shape[0], lb.shape[0] - 1))
    e_b = zb_full / nb + 0.5 * qt.tensor(ic, ib)
    tlist = np.linspace(0, t_max, points)
    start = time.perf_counter()
    result = qt.mcsolve(h, psi0, tlist, c_ops, [e_b], ntraj=ntraj, progress_bar=None,
                        map_func=qt.serial_map)
    seconds = time.perf_counter() - start
    return ntraj / seconds, float(np.real(result.expect[0][-1]))


def darkcharge_run(nb, nc, nbar, t_max, points, ntraj):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.csv")
        cmd = [DARKCHARGE, "simulate", "--nb", str(nb), "--nc", str(nc), "--nbar", str(nbar),
               "--battery-init", "ground", "--t-max", str(t_max), "--points", str(points),
               "--trajectories", str(ntraj), "--threads", "1", "--observables", "E_B", "-q",
               "-o", out]
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        seconds = time.perf_counter() - start
        data = read_csv(out)
        return ntraj / seconds, float(data["E_B"][-1]), float(data["E_B_err"][-1])


def read_csv(path):
    """darkcharge CSV: '#' metadata lines, a header row, numbers."""
    with open(path) as f:
        lines = [line for line in f if not line.startswith("#")]
    names = lines[0].strip().split(",")
    values = np.loadtxt(lines[1:], delimiter=",", ndmin=2)
    return {name: values[:, i] for i, name in enumerate(names)}


def main():
    print("| N_B | N_C | nbar | points | QuTiP traj/s | darkcharge traj/s | ratio | "
          "E_B(t_max) QuTiP | E_B(t_max) darkcharge |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for nb, nc, nbar, t_max, points, n_qutip, n_dc in CASES:
        q_rate, q_eb = qutip_run(nb, nc, nbar, t_max, points, n_qutip)
        d_rate, d_eb, d_err = darkcharge_run(nb, nc, nbar, t_max, points, n_dc)
        print(f"| {nb} | {nc} | {nbar} | {points} | {q_rate:.1f} | {d_rate:.0f} | "
              f"{d_rate / q_rate:.0f}x | {q_eb:.4f} (n={n_qutip}) | {d_eb:.4f} +- {d_err:.4f} |",
              flush=True)


if __name__ == "__main__":
    main()
