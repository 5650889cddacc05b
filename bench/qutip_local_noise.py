#!/usr/bin/python3
"""darkcharge local-noise trajectories vs QuTiP 4.7 mcsolve in the full 2^N space, one core each.

Usage: OMP_NUM_THREADS=1 bench/qutip_local_noise.py [path/to/darkcharge] [trajectories]
       (defaults: build/darkcharge, 2000)

The same case in both: N_B = 2, N_C = 4 (64 states), nbar = 0.2, gamma = omega = 1, charger
up, battery ground, single-spin decay g_down = 0.1 and dephasing g_phi = 0.2 on every spin
of both ensembles, E_B(t) on 21 points to t = 2. QuTiP holds each spin as a qubit; its
collapse operators are physics.md's: sqrt(2 gamma (nbar+1)) J^-, sqrt(2 gamma nbar) J^+
(J^- the sum of the 6 spins' s^-), and per spin sqrt(g_down) s^-, sqrt(g_phi / 2) s^z.
darkcharge runs `simulate --sampling trajectories --threads 1` (the reduced Dicke basis:
the same unravelling in a 9-dimensional block per (j_C, j_B, M) instead of 64 states).

Prints the CPU time of each (process CPU time: QuTiP's mcsolve call in this process with
serial map and num_cpus = 1; darkcharge's child CPU time from os.wait4), their ratio, and
the agreement of E_B(t): max over t of |E_qutip - E_darkcharge| / sqrt(se_q^2 + se_d^2),
with se_q the standard error of QuTiP's trajectory mean (its per-trajectory spread / sqrt n).
Both are independent samples of the same quantity: |z| <= 3.5 at all 20 times t > 0 holds
with probability ~0.99 for a correct pair of engines.
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
TRAJECTORIES = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
NB, NC, NBAR, GAMMA = 2, 4, 0.2, 1.0
G_DOWN, G_PHI = 0.1, 0.2
T_MAX, POINTS, SEED = 2.0, 21, 7


def spin_op(op, i, n):
    ops = [qt.qeye(2)] * n
    ops[i] = op
    return qt.tensor(ops)


def qutip_case():
    n = NB + NC  # spins 0 .. NC-1: charger, NC .. n-1: battery
    # qutip's basis(2, 0) is "up" (sigmaz eigenvalue +1); destroy-like sigma^- = sigmap().dag().
    sm, sz = qt.sigmam(), qt.sigmaz()
    lower = sum(spin_op(sm, i, n) for i in range(n))
    jz_b = sum(spin_op(sz, i, n) for i in range(NC, n)) / 2
    jz = sum(spin_op(sz, i, n) for i in range(n)) / 2
    c_ops = [np.sqrt(2 * GAMMA * (NBAR + 1)) * lower, np.sqrt(2 * GAMMA * NBAR) * lower.dag()]
    for i in range(n):
        c_ops.append(np.sqrt(G_DOWN) * spin_op(sm, i, n))
        c_ops.append(np.sqrt(G_PHI / 2) * spin_op(sz, i, n))
    up, down = qt.basis(2, 0), qt.basis(2, 1)
    psi0 = qt.tensor([up] * NC + [down] * NB)
    e_b = jz_b / NB + 0.5
    return jz, psi0, c_ops, e_b


def run_qutip():
    h, psi0, c_ops, e_b = qutip_case()
    times = np.linspace(0, T_MAX, POINTS)
    opts = qt.Options(num_cpus=1, seeds=None, store_states=False)
    opts.average_expect = False  # per-trajectory values: the spread gives the standard error
    np.random.seed(SEED)
    start = time.process_time()
    r = qt.mcsolve(h, psi0, times, c_ops, [e_b], ntraj=TRAJECTORIES, options=opts,
                   progress_bar=None, map_func=qt.serial_map)
    cpu = time.process_time() - start
    per_traj = np.real(np.array([r.expect[k][0] for k in range(TRAJECTORIES)]))
    mean = per_traj.mean(axis=0)
    se = per_traj.std(axis=0, ddof=1) / np.sqrt(TRAJECTORIES)
    return times, mean, se, cpu


def run_darkcharge():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "dc.csv")
        args = [DARKCHARGE, "simulate", "--nb", str(NB), "--nc", str(NC), "--nbar", str(NBAR),
                "--battery-init", "ground", "--local-decay", str(G_DOWN),
                "--local-dephasing", str(G_PHI), "--t-max", str(T_MAX), "--points", str(POINTS),
                "--trajectories", str(TRAJECTORIES), "--seed", str(SEED), "--threads", "1",
                "--sampling", "trajectories", "--observables", "E_B", "-q", "-o", out]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        p = subprocess.Popen(args, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit(f"darkcharge failed ({status})")
        cpu = usage.ru_utime + usage.ru_stime
        data = np.loadtxt(out, delimiter=",", comments="#", skiprows=0, dtype=str)
    header = list(data[0])
    rows = data[1:].astype(float)
    return rows[:, header.index("E_B")], rows[:, header.index("E_B_err")], cpu


def main():
    times, e_q, se_q, cpu_q = run_qutip()
    e_d, se_d, cpu_d = run_darkcharge()
    later = times > 0
    z = (e_q - e_d)[later] / np.sqrt(se_q ** 2 + se_d ** 2)[later]
    print(f"N_B = {NB}, N_C = {NC}, nbar = {NBAR}, g_down = {G_DOWN}, g_phi = {G_PHI} (both "
          f"ensembles), {TRAJECTORIES} trajectories each, {POINTS} times to t = {T_MAX}")
    print(f"QuTiP {qt.__version__} mcsolve (2^{NB + NC} states, 1 core): {cpu_q:.3f} CPU-s")
    print(f"darkcharge simulate --threads 1 (reduced Dicke basis):     {cpu_d:.3f} CPU-s "
          f"(incl. process start-up)")
    print(f"ratio QuTiP / darkcharge: {cpu_q / cpu_d:.1f}x")
    print(f"E_B(t = {T_MAX:g}): QuTiP {e_q[-1]:.5f} +- {se_q[-1]:.5f}, darkcharge "
          f"{e_d[-1]:.5f} +- {se_d[-1]:.5f}")
    print(f"max |diff| / combined standard error over {later.sum()} times t > 0: "
          f"{np.abs(z).max():.2f} (mean z {z.mean():+.2f})")


if __name__ == "__main__":
    main()
