#!/usr/bin/python3
"""The cost of the estimate after the collective trajectories (the root-n corrected W_B and
S_B with their jackknives over blocks) against the resource estimate's share for it
(bench/README.md table).

Usage: bench/estimate_cost.py [path/to/darkcharge] [--estimates-only]

For each case: run with a checkpoint, send SIGINT once the progress bar names the S_B
estimate (every unit is then in the checkpoint), then time `resume` of that checkpoint,
which runs no trajectory: its CPU time (user + sys of the child) is the estimate's, plus
loading the checkpoint and writing the file. The estimate's share as the CLI estimates it
is read from the refusal of the same request with --max-cpu-hours 1e-12 ("the estimate
after them ~X s"). One thread, nbar = 0.2, thermal battery, N_C = 2 N_B, 51 output times.
"""
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DARKCHARGE = os.path.abspath(ARGS[0] if ARGS else os.path.join(
    os.path.dirname(__file__), "..", "build", "darkcharge"))
ESTIMATES_ONLY = "--estimates-only" in sys.argv


def request(nb, trajectories):
    return ["simulate", "--nb", str(nb), "--nc", str(2 * nb), "--nbar", "0.2", "-n",
            str(trajectories), "--points", "51", "--seed", "3", "--threads", "1",
            "--observables", "E_B,W_B,S_B,dS_B_dt"]


def estimated(nb, trajectories):
    """The estimate's share (CPU seconds) the library states, from the refusal's text."""
    r = subprocess.run([DARKCHARGE] + request(nb, trajectories) + ["--max-cpu-hours", "1e-12"],
                       capture_output=True, text=True)
    m = re.search(r"the estimate after them ~([0-9.e+-]+) s", r.stderr)
    return float(m.group(1)) if m else float("nan")


def measured(nb, trajectories):
    """CPU seconds of resuming a checkpoint that holds every unit (no trajectory to run)."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "err"), "w") as err:
            p = subprocess.Popen([DARKCHARGE] + request(nb, trajectories) +
                                 ["-o", "part.csv", "--checkpoint", "run.ck",
                                  "--checkpoint-every", "100000", "--max-cpu-hours", "1000"],
                                 cwd=d, stderr=err, stdout=subprocess.DEVNULL)
            while p.poll() is None:
                with open(os.path.join(d, "err")) as f:
                    if "estimate S_B [" in f.read():
                        p.send_signal(signal.SIGINT)
                        break
                time.sleep(0.05)
            p.wait()
        if not os.path.exists(os.path.join(d, "run.ck")):
            return float("nan")  # the estimate ended before the bar showed it
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([DARKCHARGE, "resume", "run.ck", "--time-limit", "0", "-q"], cwd=d,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    print("| N_B | N_C | trajectories | blocks | estimated (s) | measured CPU (s) | estimated / measured |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for nb, n in [(8, 640), (12, 640), (16, 640), (20, 640), (12, 16), (12, 160), (16, 6400)]:
        e = estimated(nb, n)
        m = float("nan") if ESTIMATES_ONLY else measured(nb, n)
        print(f"| {nb} | {2 * nb} | {n} | {min(n, 32)} | {e:.3g} | {m:.3g} | {e / m:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
