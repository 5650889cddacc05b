#!/usr/bin/python3
"""darkcharge vs QuTiP 4.7 on the same model, grid and observable, one core each.

Usage: bench/compare_qutip.py [path/to/darkcharge]   (default: build/darkcharge)

Table 1 (trajectories against trajectories) runs darkcharge with --sampling trajectories,
E_B only and then every default column. Table 2 (the default run: at nbar = 0 the exact
cascade, every default column, errors 0) compares wall times with QuTiP mesolve (exact,
E_B only) and mcsolve (500 trajectories, E_B only, an error of ~0.01).

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


def qutip_model(nb, nc, nbar):
    """Hamiltonian, initial state (charger up, battery ground), collapse operators and the
    E_B operator in the product Dicke basis."""
    lc, zc = collective(nc / 2)
    lb, zb = collective(nb / 2)
    ic, ib = qt.qeye(lc.shape[0]), qt.qeye(lb.shape[0])
    lower = qt.tensor(lc, ib) + qt.tensor(ic, lb)
    zb_full = qt.tensor(ic, zb)
    h = qt.tensor(zc, ib) + zb_full
    c_ops = [np.sqrt(2 * (nbar + 1)) * lower]
    if nbar > 0:
        c_ops.append(np.sqrt(2 * nbar) * lower.dag())
    psi0 = qt.tensor(qt.basis(lc.shape[0], 0), qt.basis(lb.shape[0], lb.shape[0] - 1))
    e_b = zb_full / nb + 0.5 * qt.tensor(ic, ib)
    return h, psi0, c_ops, e_b


def qutip_run(nb, nc, nbar, t_max, points, ntraj):
    h, psi0, c_ops, e_b = qutip_model(nb, nc, nbar)
    tlist = np.linspace(0, t_max, points)
    start = time.perf_counter()
    result = qt.mcsolve(h, psi0, tlist, c_ops, [e_b], ntraj=ntraj, progress_bar=None,
                        map_func=qt.serial_map)
    seconds = time.perf_counter() - start
    return ntraj / seconds, float(np.real(result.expect[0][-1]))


def qutip_mesolve_seconds(nb, nc, nbar, t_max, points):
    h, psi0, c_ops, e_b = qutip_model(nb, nc, nbar)
    start = time.perf_counter()
    result = qt.mesolve(h, psi0, np.linspace(0, t_max, points), c_ops, [e_b])
    return time.perf_counter() - start, float(np.real(result.expect[0][-1]))


def darkcharge_seconds(args):
    """Wall time of one darkcharge command (best of 3) and its CSV."""
    best = None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.csv")
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([DARKCHARGE] + args + ["--threads", "1", "-q", "-o", out], check=True)
            seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
        return best, read_csv(out)


def darkcharge_run(nb, nc, nbar, t_max, points, ntraj, columns=("--observables", "E_B")):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.csv")
        cmd = [DARKCHARGE, "simulate", "--nb", str(nb), "--nc", str(nc), "--nbar", str(nbar),
               "--battery-init", "ground", "--t-max", str(t_max), "--points", str(points),
               "--trajectories", str(ntraj), "--threads", "1", "--sampling", "trajectories",
               "-q", "-o", out] + list(columns)
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
    print("| N_B | N_C | nbar | points | QuTiP traj/s | darkcharge traj/s (E_B) | ratio | "
          "darkcharge traj/s (every default column) | ratio | E_B(t_max) QuTiP | "
          "E_B(t_max) darkcharge |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    q_times = {}
    for nb, nc, nbar, t_max, points, n_qutip, n_dc in CASES:
        q_rate, q_eb = qutip_run(nb, nc, nbar, t_max, points, n_qutip)
        q_times[(nb, nc, nbar)] = n_qutip / q_rate
        d_rate, d_eb, d_err = darkcharge_run(nb, nc, nbar, t_max, points, n_dc)
        # Every default column at the same trajectory count: rates compare like for like
        # (the nonlinear estimators add a fixed ~0.1 s that fewer trajectories would weigh).
        a_rate, _, _ = darkcharge_run(nb, nc, nbar, t_max, points, n_dc, ())
        print(f"| {nb} | {nc} | {nbar} | {points} | {q_rate:.1f} | {d_rate:.0f} | "
              f"{d_rate / q_rate:.0f}x | {a_rate:.0f} | {a_rate / q_rate:.0f}x | "
              f"{q_eb:.4f} (n={n_qutip}) | {d_eb:.4f} +- {d_err:.4f} |", flush=True)
    print()
    print("| N_B | N_C | nbar | points | darkcharge default run (every default column) | "
          "QuTiP mesolve (E_B) | QuTiP mcsolve, 500 traj (E_B) | E_B(t_max) darkcharge | "
          "E_B(t_max) mesolve |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for nb, nc, nbar, t_max, points, n_qutip, _ in CASES:
        if nbar != 0.0:
            continue
        d_sec, data = darkcharge_seconds(
            ["simulate", "--nb", str(nb), "--nc", str(nc), "--battery-init", "ground",
             "--t-max", str(t_max), "--points", str(points)])
        m_sec, m_eb = qutip_mesolve_seconds(nb, nc, nbar, t_max, points)
        mc_sec = q_times[(nb, nc, nbar)] * 500 / n_qutip
        print(f"| {nb} | {nc} | {nbar} | {points} | {d_sec:.3f} s (exact, errors 0) | "
              f"{m_sec:.3f} s ({m_sec / d_sec:.0f}x) | {mc_sec:.1f} s ({mc_sec / d_sec:.0f}x) | "
              f"{data['E_B'][-1]:.6f} | {m_eb:.6f} |", flush=True)


if __name__ == "__main__":
    main()
