#!/usr/bin/python3
"""The cost estimate of `darkcharge exact` at nbar > 0 against its measured CPU time.

Usage: JOBS=2 bench/exact_cost_panel.py [path/to/darkcharge] [--only ID,ID,...]

The 31 runs the estimate's constants were fitted to (src/exact/coupled_exact_cost.cpp;
bench/README.md, "The cost estimate re-fitted on 31 runs"): each case runs `darkcharge exact`
on one thread (OMP_NUM_THREADS=1), its CPU time (user + sys) measured, and the estimate is
read from the refusal at a tiny --max-cpu-hours (the single-core seconds the resource check
uses). JOBS runs that many cases side by side (the fit ran two on the 2-core VM). Prints one
row per case and the range of estimate / CPU.
"""
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DARKCHARGE = ARGS[0] if ARGS else os.path.join(os.path.dirname(__file__), "..", "build",
                                               "darkcharge")
ONLY = None
if "--only" in sys.argv:
    ONLY = set(sys.argv[sys.argv.index("--only") + 1].split(","))
JOBS = int(os.environ.get("JOBS", "1"))

# (id, options): thermal battery unless --battery-init says otherwise.
CASES = [
    ("c01", "--nb 20 --nc 200 --nbar 0.5"),
    ("c02", "--nb 20 --nc 200 --nbar 0.5 --points 1001 --observables E_B"),
    ("c03", "--nb 20 --nc 200 --nbar 0.5 --points 9"),
    ("c04", "--nb 20 --nc 200 --nbar 0.5 --times 0,0.005,0.01,0.02,0.05,0.1,0.5,1"),
    ("c05", "--nb 20 --nc 200 --nbar 0.5 --observables E_B,W_B"),
    ("c06", "--nb 30 --nc 300 --nbar 0.5"),
    ("c07", "--nb 30 --nc 300 --nbar 0.5 --observables E_B"),
    ("c08", "--nb 30 --nc 300 --nbar 0.5 --observables E_B,W_B"),
    ("c09", "--nb 30 --nc 300 --nbar 0.5 --t-max 1"),
    ("c10", "--nb 30 --nc 300 --nbar 0.5 --points 9"),
    ("c11", "--nb 30 --nc 300 --nbar 0.5 --times 0,0.005,0.01,0.02,0.05,0.1,0.5,1"),
    ("c12", "--nb 30 --nc 300 --nbar 0.1"),
    ("c13", "--nb 40 --nc 200 --nbar 0.5 --t-max 3"),
    ("c14", "--nb 50 --nc 500 --nbar 0.5"),
    ("c15", "--nb 50 --nc 500 --nbar 0.5 --observables E_B,W_B"),
    ("c16", "--nb 50 --nc 500 --nbar 0.5 --points 9 --observables E_B,W_B"),
    ("c17", "--nb 50 --nc 500 --nbar 0.1 --points 9"),
    ("c18", "--nb 50 --nc 500 --nbar 0.5 --battery-init ground"),
    ("c19", "--nb 2 --nc 10 --nbar 0.5 --points 100000 --t-max 2"),
    ("c20", "--nb 20 --nc 60 --nbar 0.5 --points 161 --t-max 8"),
    ("c21", "--nb 70 --nc 700 --nbar 0.5"),
    ("c22", "--nb 70 --nc 700 --nbar 0.5 --observables E_B,W_B"),
    ("c23", "--nb 100 --nc 1000 --nbar 0.5"),
    ("c24", "--nb 10 --nc 100 --nbar 0.5"),
    ("c25", "--nb 50 --nc 500 --nbar 0.5 --observables E_B"),
    ("c26", "--nb 100 --nc 1000 --nbar 0.5 --observables E_B"),
    ("c27", "--nb 100 --nc 1000 --nbar 0.5 --observables E_B,W_B"),
    ("c28", "--nb 50 --nc 500 --nbar 0.1"),
    ("c29", "--nb 20 --nc 200 --nbar 0.5 --observables E_B"),
    ("c30", "--nb 10 --nc 100 --nbar 0.5 --observables E_B"),
    ("c31", "--nb 30 --nc 300 --nbar 0.5 --times 0,0.001,0.002,0.005,0.01,0.05,0.1,1"),
]


def estimate(options, out):
    """The estimate in single-core seconds, from the refusal at a tiny CPU limit."""
    run = subprocess.run([DARKCHARGE, "exact", *options, "-o", out, "--max-cpu-hours", "1e-12"],
                         capture_output=True, text=True)
    match = re.search(r"estimated ([0-9.e+-]+) CPU core-hours", run.stderr)
    if match is None:
        raise RuntimeError(f"no estimate in: {run.stderr.strip()}")
    return float(match.group(1)) * 3600


def measured_cpu(options, out):
    """CPU seconds (user + sys) of one run on one thread, from its own rusage (os.wait4, as
    bench/qutip_local_noise.py: per child, so runs side by side do not mix)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    child = subprocess.Popen([DARKCHARGE, "exact", *options, "-o", out, "-q"], env=env)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"darkcharge exact {' '.join(options)} failed")
    return usage.ru_utime + usage.ru_stime


def one(case, directory):
    name, options = case
    out = os.path.join(directory, f"{name}.csv")
    return name, options, estimate(options.split(), out), measured_cpu(options.split(), out)


def main():
    cases = [c for c in CASES if ONLY is None or c[0] in ONLY]
    with tempfile.TemporaryDirectory() as directory:
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
            rows = list(pool.map(lambda c: one(c, directory), cases))
    print("| id | case | estimate | CPU, 1 thread | estimate / CPU |")
    print("| --- | --- | --- | --- | --- |")
    for name, options, est, cpu in rows:
        print(f"| {name} | {options} | {est:.3g} s | {cpu:.3g} s | {est / cpu:.2f} |")
    ratios = [est / cpu for _, _, est, cpu in rows]
    print(f"\nestimate / CPU: {min(ratios):.2f}-{max(ratios):.2f} over {len(rows)} runs")


if __name__ == "__main__":
    main()
