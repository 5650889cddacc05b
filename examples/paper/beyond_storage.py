#!/usr/bin/python3
"""Beyond the paper: does "a dephasing pulse, then disconnect the charger" store the energy?

The paper proposes to stop the superradiant discharge of a charged battery by "a dephasing
pulse to destroy spin coherence, before disconnecting the charger", after which "the
battery would discharge at the single-spin relaxation rate", and calls the stored energy
"intrinsically stable". It computes neither. This script runs the protocol

    charge (shared reservoir, T_CHARGE) -> [battery dephasing pulse] -> disconnect the charger
    and store (reservoir on the battery alone, battery T1 g_down = 0.01 gamma, T_STORE)

for N_B = 4, 40, 400 (R = N_C / N_B = 4, nbar = 0, battery starting in its ground state),
with and without the pulse, and scans the pulse's strength and duration at N_B = 40 for the
energy and the ergotropy left after the storage time. Every curve is the darkcharge
trajectory engine (mean, band +-1 error); N_B = 4 also has the exact reduced Dicke-basis
solver overlaid (open circles).

Writes data/beyond_storage.png, data/beyond_storage_curves.csv,
data/beyond_storage_scan.csv and data/beyond_storage_table.csv (the README table).
Usage: examples/paper/beyond_storage.py [--out data] [--threads 2] [--quick]
(PYTHONPATH must reach the darkcharge module, e.g. build/python; make_figures.sh sets it).
"""
import argparse
import csv
import math
import os
import time

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from plotting import band, finish, legend  # noqa: E402  (examples/paper/plotting.py)

import darkcharge  # noqa: E402

R = 4
T_CHARGE = 4.0          # 1/gamma: past the charging burst and at the dark plateau for every N_B here
T_STORE = 10.0          # storage time after disconnecting
STORAGE_T1 = 0.01       # battery g_down during storage, in gamma
PULSE = dict(strength=100.0, duration=0.05)  # the example pulse (battery g_phi, duration)
SIZES = (4, 40, 400)
TRAJECTORIES = {4: 4000, 40: 2000, 400: 1000}
SCAN_STRENGTHS = (10.0, 30.0, 100.0, 300.0)
SCAN_DURATIONS = (0.01, 0.03, 0.1, 0.3)
SCAN_TRAJECTORIES = 1000
COLORS = {4: "C0", 40: "C1", 400: "C2"}


def protocol(pulse):
    """The segments: charge, optionally a pulse (strength, duration), disconnect and store."""
    segments = [{"duration": T_CHARGE}]
    if pulse is not None:
        segments.append({"duration": pulse["duration"], "battery_dephasing": pulse["strength"]})
    segments.append({"duration": T_STORE, "reservoir": "battery", "battery_decay": STORAGE_T1})
    return segments


def output_times(nb, pulse_duration):
    """Fine where something happens, coarse elsewhere: the charging burst (~ln(N)/N), the
    pulse, and the discharge after disconnecting (~ln(N_B)/N_B), each on a log-spaced grid."""
    n = nb * (R + 1)
    first = 0.02 * math.log(n + 1) / n
    charge = np.geomspace(first, T_CHARGE, 40)
    store_start = T_CHARGE + pulse_duration
    pulse = np.linspace(T_CHARGE, store_start, 6)[1:] if pulse_duration > 0 else []
    store = store_start + np.geomspace(0.02 * math.log(nb + 1) / nb, T_STORE, 50)
    times = np.concatenate([[0.0], charge, pulse, store])
    return sorted(set(float(round(t, 12)) for t in times if t <= T_CHARGE + pulse_duration + T_STORE))


def run(nb, pulse, trajectories, seed, threads, times=None, points=None):
    kwargs = dict(nb=nb, nc=R * nb, nbar=0.0, battery_init="ground", protocol=protocol(pulse),
                  observables=["E_B", "W_B"], sampling="trajectories", trajectories=trajectories,
                  seed=seed, threads=threads)
    if times is not None:
        kwargs["times"] = times
    else:
        kwargs["points"] = points
    started = time.time()
    r = darkcharge.simulate(**kwargs)
    return r, time.time() - started


def column(r, name):
    return np.asarray(r[name], dtype=float), np.asarray(r[name + "_err"], dtype=float)


def x_position(t, pulse_duration):
    """Piecewise axis: the charge on a log scale in [0, 1], the pulse linear in [1, 1.15],
    the storage on a log scale of the time since disconnecting in [1.15, 3]."""
    t = np.asarray(t, dtype=float)
    lo = 1e-3
    charge = np.log10(np.maximum(t, lo) / lo) / math.log10(T_CHARGE / lo)
    start = T_CHARGE + pulse_duration
    pulse = 1 + 0.15 * (t - T_CHARGE) / max(pulse_duration, 1e-300)
    store = 1.15 + 1.85 * np.log10(np.maximum(t - start, lo) / lo) / math.log10(T_STORE / lo)
    return np.where(t <= T_CHARGE, charge, np.where(t <= start, pulse, store))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="a tenth of the trajectories")
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    os.makedirs(args.out, exist_ok=True)

    curves, table = [], []
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for nb in SIZES:
        for pulse in (None, PULSE):
            duration = pulse["duration"] if pulse else 0.0
            times = output_times(nb, duration)
            n = max(20, int(TRAJECTORIES[nb] * scale))
            r, seconds = run(nb, pulse, n, seed=1000 + nb, threads=args.threads, times=times)
            t = np.asarray(r["t"], dtype=float)
            e, de = column(r, "E_B")
            w, dw = column(r, "W_B")
            label = f"N_B = {nb}, " + ("pulse" if pulse else "no pulse")
            print(f"{label}: {n} trajectories, {seconds:.1f} s; after storage E_B = {e[-1]:.4f} +- {de[-1]:.4f}, "
                  f"W_B = {w[-1]:.4f} +- {dw[-1]:.4f}", flush=True)
            ls = "-" if pulse else "--"
            x = x_position(t, duration)
            band(axes[0, 0], x, e, de, COLORS[nb], label=label, ls=ls, name=label)
            band(axes[0, 1], x, w, dw, COLORS[nb], label=label, ls=ls, name=label)
            charged = int(np.searchsorted(t, T_CHARGE))
            table.append(dict(N_B=nb, N_C=R * nb, pulse="yes" if pulse else "no", trajectories=n,
                              E_B_charged=e[charged], E_B_charged_err=de[charged],
                              W_B_charged=w[charged], W_B_charged_err=dw[charged],
                              E_B_stored=e[-1], E_B_stored_err=de[-1],
                              W_B_stored=w[-1], W_B_stored_err=dw[-1], seconds=round(seconds, 1)))
            for i in range(len(t)):
                curves.append(dict(N_B=nb, pulse="yes" if pulse else "no", t=t[i], E_B=e[i],
                                   E_B_err=de[i], W_B=w[i], W_B_err=dw[i]))
            if nb == 4:  # the exact reduced Dicke-basis solver through the same protocol
                ex = darkcharge.exact(nb=nb, nc=R * nb, nbar=0.0, battery_init="ground",
                                      protocol=protocol(pulse), times=times, observables=["E_B", "W_B"])
                xe = x_position(np.asarray(ex["t"], dtype=float), duration)
                for ax, name in ((axes[0, 0], "E_B"), (axes[0, 1], "W_B")):
                    ax.plot(xe, ex[name], color="k", ls="none", marker="o", ms=3, mfc="none", mew=0.6,
                            markevery=3, label="exact (N_B = 4)" if pulse is None else None)

    ticks = [(0, "0"), (x_position(0.01, 0), "0.01"), (x_position(0.1, 0), "0.1"),
             (x_position(1, 0), "1"), (1.0, "4"), (1.15, "+0"), (1.15 + 1.85 * 1 / 4, "+0.01"),
             (1.15 + 1.85 * 2 / 4, "+0.1"), (1.15 + 1.85 * 3 / 4, "+1"), (3.0, "+10")]
    for ax, name in ((axes[0, 0], "battery energy $E_B$ per spin [$\\hbar\\omega$]"),
                     (axes[0, 1], "battery ergotropy $W_B$ per spin [$\\hbar\\omega$]")):
        ax.set_xticks([p for p, _ in ticks], [s for _, s in ticks], fontsize=8)
        ax.axvspan(1.0, 1.15, color="0.9", zorder=0)
        ax.set_xlabel("time [$1/\\gamma$]: charge (log) | pulse | storage, time since disconnecting (log)")
        ax.set_ylabel(name)
        legend(ax, fontsize=7)
    axes[0, 0].set_title("(a) energy through charge, pulse, storage", loc="left")
    axes[0, 1].set_title("(b) ergotropy through charge, pulse, storage", loc="left")

    # The scan at N_B = 40: what survives T_STORE after the pulse.
    scan = []
    energy = np.zeros((len(SCAN_DURATIONS), len(SCAN_STRENGTHS)))
    ergotropy = np.zeros_like(energy)
    n = max(20, int(SCAN_TRAJECTORIES * scale))
    for i, duration in enumerate(SCAN_DURATIONS):
        for j, strength in enumerate(SCAN_STRENGTHS):
            pulse = dict(strength=strength, duration=duration)
            r, seconds = run(40, pulse, n, seed=2000 + 10 * i + j, threads=args.threads, points=2)
            e, de = column(r, "E_B")
            w, dw = column(r, "W_B")
            energy[i, j], ergotropy[i, j] = e[-1], w[-1]
            scan.append(dict(N_B=40, strength=strength, duration=duration, trajectories=n,
                             E_B_stored=e[-1], E_B_stored_err=de[-1], W_B_stored=w[-1],
                             W_B_stored_err=dw[-1], seconds=round(seconds, 1)))
            print(f"scan N_B = 40, g_phi = {strength}, duration {duration}: E_B = {e[-1]:.4f} +- {de[-1]:.4f}, "
                  f"W_B = {w[-1]:.4f} +- {dw[-1]:.4f} ({seconds:.1f} s)", flush=True)
    for ax, values, errors, title in ((axes[1, 0], energy, "E_B_stored_err", "(c) energy left"),
                                      (axes[1, 1], ergotropy, "W_B_stored_err", "(d) ergotropy left")):
        image = ax.imshow(values, origin="lower", cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(SCAN_STRENGTHS)), [f"{s:g}" for s in SCAN_STRENGTHS])
        ax.set_yticks(range(len(SCAN_DURATIONS)), [f"{d:g}" for d in SCAN_DURATIONS])
        ax.set_xlabel("pulse strength: battery dephasing $g_\\phi$ [$\\gamma$]")
        ax.set_ylabel("pulse duration [$1/\\gamma$]")
        ax.set_title(f"{title} per spin after storage {T_STORE:g}/$\\gamma$, N_B = 40")
        for i in range(len(SCAN_DURATIONS)):
            for j in range(len(SCAN_STRENGTHS)):
                err = scan[i * len(SCAN_STRENGTHS) + j][errors]
                ax.text(j, i, f"{values[i, j]:.3f}\n$\\pm${err:.3f}", ha="center", va="center",
                        fontsize=7, color="w" if values[i, j] < 0.6 * values.max() else "k")
        fig.colorbar(image, ax=ax, label="per spin [$\\hbar\\omega$]")

    note = (f"R = N_C/N_B = {R}, nbar = 0, battery from its ground state. Charge {T_CHARGE:g}/gamma with the "
            f"shared reservoir; pulse: battery dephasing (a: g_phi = {PULSE['strength']:g} for "
            f"{PULSE['duration']:g}/gamma; c, d: scanned); then the charger is disconnected (reservoir on "
            f"the battery alone) and the battery stores with single-spin decay g_down = {STORAGE_T1:g} gamma. "
            "Curves: trajectories (band +-1 error; solid with the pulse, dashed without); circles: exact "
            "reduced Dicke-basis solver (N_B = 4).")
    finish(fig, os.path.join(args.out, "beyond_storage.png"), note)
    for name, rows in (("beyond_storage_curves.csv", curves), ("beyond_storage_scan.csv", scan),
                       ("beyond_storage_table.csv", table)):
        with open(os.path.join(args.out, name), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print("wrote", os.path.join(args.out, "beyond_storage.png"))


if __name__ == "__main__":
    main()
