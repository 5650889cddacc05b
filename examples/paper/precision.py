#!/usr/bin/env python3
"""Charging precision and photon statistics at the superradiant burst, beyond
the paper: sigma_B (the battery energy's spread per spin), the emission current I_em and
the Fano factor F_em of the emitted-quanta count, for R = N_C/N_B = 5 at zero temperature
(battery ground), from `darkcharge simulate`. At nbar = 0 simulate's default is the exact
zero-temperature cascade (no sampling: every trajectory with k emissions holds the same
state, and the distribution of k is integrated), so the curves are exact, up to
N_B = 1000 (6000 spins).

Writes data/beyond_precision.png and data/beyond_precision.csv (one row per N_B: the time
of peak power and sigma_B, F_em, N_em there, with errors).

Usage: /usr/bin/python3 examples/paper/precision.py [--darkcharge BUILD/darkcharge]
"""
import argparse
import io
import os
import subprocess
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from plotting import finish, legend  # noqa: E402  (examples/paper/plotting.py)

COLUMNS = "E_B,P_B,sigma_B,I_em,N_em,F_em"
SIZES = [2, 5, 10, 20, 50, 100, 200, 500, 1000]
RATIO = 5


def read_csv(path):
    with open(path) as f:
        lines = [line for line in f if not line.startswith("#")]
    data = np.genfromtxt(io.StringIO("".join(lines)), delimiter=",", names=True)
    return {name: np.asarray(data[name], dtype=float) for name in data.dtype.names}


def simulate(binary, nb, t_max, work, threads):
    out = os.path.join(work, f"nb{nb}.csv")
    subprocess.run([binary, "simulate", "--nb", str(nb), "--nc", str(RATIO * nb), "--nbar", "0",
                    "--battery-init", "ground", "--sampling", "cascade",
                    "--t-max", str(t_max), "--points", "201", "--threads", str(threads), "-q",
                    "--observables", COLUMNS, "-o", out], check=True)
    return read_csv(out)


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--darkcharge", default=os.path.join(repo, "build", "darkcharge"))
    parser.add_argument("--out", default=os.path.join(repo, "data"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rows = []
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.8))
    with tempfile.TemporaryDirectory() as work:
        for nb in SIZES:
            # The burst comes at t ~ ln(N)/N (superradiance): scale the window with it.
            n = (RATIO + 1) * nb
            t_max = round(8.0 * np.log(n) / n, 6)
            d = simulate(args.darkcharge, nb, t_max, work, args.threads)
            g = int(np.argmax(d["P_B"]))
            rows.append((nb, d["t"][g], d["sigma_B"][g], d["sigma_B_err"][g], d["F_em"][g],
                         d["F_em_err"][g], d["N_em"][g], d["N_em_err"][g]))
            x = d["t"] * n / np.log(n)
            color = f"C{len(rows) - 1}"
            # Exact curves (errors 0): lines, no bands.
            axes[0].plot(x, d["sigma_B"], color=color, lw=1.2, label=f"$N_B={nb}$")
            axes[1].plot(x, d["F_em"], color=color, lw=1.2, label=f"$N_B={nb}$")
    rows = np.array(rows)
    axes[0].set(xlabel=r"$\gamma t N / \ln N$ (time in burst units, dimensionless)",
                ylabel=r"energy spread per spin $\sigma_B$ ($\hbar\omega$)")
    axes[0].set_title("(a) charging precision", loc="left", fontsize=10)
    axes[1].set(xlabel=r"$\gamma t N / \ln N$ (time in burst units, dimensionless)",
                ylabel=r"Fano factor $F_{em} = $Var$(n_{em})/\langle n_{em}\rangle$ (dimensionless)",
                yscale="log")
    axes[1].set_title("(b) Fano factor of the emitted quanta", loc="left", fontsize=10)
    # Panel (a): the plateaus fill the right-hand side; the legend goes in the empty band
    # between the N_B = 2 and N_B = 5 plateaus, in three columns.
    axes[0].set_ylim(top=0.46)
    legend(axes[0], fontsize=7, ncol=3, loc="upper right", columnspacing=0.8,
           handlelength=1.5)
    legend(axes[1], fontsize=8)
    axes[2].plot(rows[:, 0], rows[:, 2], "o-", color="C0", ms=4,
                 label=r"$\sigma_B$ at $\mathcal{P}_B^{max}$")
    axes[2].plot(rows[:, 0], rows[:, 4], "s-", color="C1", ms=4,
                 label=r"$F_{em}$ at $\mathcal{P}_B^{max}$")
    axes[2].plot(rows[:, 0], 0.5 / np.sqrt(rows[:, 0]), "k:",
                 label=r"$1/(2\sqrt{N_B})$ (independent spins)")
    axes[2].set(xscale="log", yscale="log", xlabel=r"$N_B$",
                ylabel=r"$\sigma_B$ ($\hbar\omega$), $F_{em}$ (dimensionless)")
    axes[2].set_title("(c) at the power peak", loc="left", fontsize=10)
    legend(axes[2], fontsize=8)
    os.makedirs(args.out, exist_ok=True)
    finish(fig, os.path.join(args.out, "beyond_precision.png"),
           "R = N_C/N_B = 5, nbar = 0, battery ground; N = 6 N_B; 201 points per N_B. Exact: "
           "simulate's zero-temperature cascade (the distribution of the emitted count "
           "integrated, no sampling; errors 0), which is its default at nbar = 0.")
    np.savetxt(os.path.join(args.out, "beyond_precision.csv"), rows, delimiter=",",
               header="N_B,t_Pmax,sigma_B,sigma_B_err,F_em,F_em_err,N_em,N_em_err", comments="")
    for r in rows:
        print(f"N_B={int(r[0]):4d} t(P_B max)={r[1]:.4f} sigma_B={r[2]:.4f}+-{r[3]:.4f} "
              f"F_em={r[4]:.3f}+-{r[5]:.3f} N_em={r[6]:.2f}")


if __name__ == "__main__":
    main()
