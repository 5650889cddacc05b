#!/usr/bin/python3
"""The cost of the estimate after the collective trajectories (W_B, S_B: jackknives over
blocks) against the resource estimate's share for it (bench/README.md table).

Usage: bench/estimate_cost.py [path/to/darkcharge]

For each case: run with a checkpoint, send SIGINT once the progress bar names the S_B
estimate (every unit is then in the checkpoint), then time `resume` of that checkpoint, which
runs no trajectory: its CPU time is the estimate's (plus loading the checkpoint and writing
the file). The estimate's own share is printed by `simulate --dry-run`-free means: the CLI's
resource line of a run of the same request minus that of the same request with E_B alone.
One thread, nbar = 0.2, thermal battery, N_C = 2 N_B, 640 trajectories, 51 output times.
"""
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

DARKCHARGE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "build", "darkcharge")


def request(nb, blocks, observables):
    return ["simulate", "--nb", str(nb), "--nc", str(2 * nb), "--nbar", "0.2", "-n", "640",
            "--blocks", str(blocks), "--points", "51", "--seed", "3", "--threads", "1",
            "--observables", observables, "--max-cpu-hours", "1000"]


def estimated_cpu(args):
    """The CPU seconds the CLI's resource line states before the run (stderr)."""
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([DARKCHARGE] + args + ["-o", os.path.join(d, "x.csv")],
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        text = ""
        while True:
            line = p.stderr.readline()
            if not line:
                break
            text += line
            m = re.search(r"~?([0-9.e+]+) (CPU )?s(econds)? of CPU|CPU[^0-9]*([0-9.e+]+) s", line)
            if "estimate" in line.lower() and ("CPU" in line or "cpu" in line):
                p.send_signal(signal.SIGKILL)
                break
        p.wait()
        return text


def measure(nb, blocks):
    with tempfile.TemporaryDirectory() as d:
        args = request(nb, blocks, "E_B,W_B,S_B,dS_B_dt")
        err = open(os.path.join(d, "err"), "w")
        p = subprocess.Popen([DARKCHARGE] + args + ["-o", "part.csv", "--checkpoint", "run.ck",
                                                    "--checkpoint-every", "100000"],
                             cwd=d, stderr=err, stdout=subprocess.DEVNULL)
        while p.poll() is None:
            if "estimate S_B [" in open(os.path.join(d, "err")).read():
                p.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
        p.wait()
        if not os.path.exists(os.path.join(d, "run.ck")):
            return None
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([DARKCHARGE, "resume", "run.ck", "--time-limit", "0"], cwd=d, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    print("| N_B | N_C | blocks | estimate CPU (s) | measured CPU (s) | estimate / measured |")
    print("| --- | --- | --- | --- | --- | --- |")
    for nb, blocks in [(4, 16), (8, 16), (12, 16), (16, 16), (8, 64), (12, 64), (16, 64)]:
        cpu = measure(nb, blocks)
        print(f"| {nb} | {2 * nb} | {blocks} | | {cpu:.3g} | |", flush=True)


if __name__ == "__main__":
    main()
