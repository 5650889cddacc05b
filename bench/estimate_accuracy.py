#!/usr/bin/env python3
"""Estimated vs measured cost of every path, at sizes growing toward the acceptance boundary.

For each case the CLI is run three times: with --max-cpu-hours 1e-12 (the refusal prints
the estimated CPU core-hours), with --max-memory 1e-9 (the refusal prints the estimated
memory), and for real under /usr/bin/time -v (user + system CPU seconds, peak RSS). A run
that exceeds the wall limit (--wall, default 120 s) is killed and reported as such; the
table then extrapolates from the largest completed size of that case with the measured
scaling (stated in the "note" column). Python calls the same library functions
(check_resources), so its estimates are the CLI's; the python cases measure its own
overhead (numpy conversion of the columns).

    bench/estimate_accuracy.py [--darkcharge build/darkcharge] [--wall 120] [--only NAME]

Prints a markdown table: path, size, estimated and measured CPU seconds and peak memory,
and the ratios measured / estimated.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

# (path, size label, CLI arguments). The output goes to a file in a temporary directory.
# Sizes grow by 10x (or the scaling variable's natural step) toward what the defaults accept.
CASES = [
    # The exact zero-temperature cascade (simulate's default at nbar = 0), points axis.
    ("cascade", "points=1e4", ["simulate", "--points", "10000"]),
    ("cascade", "points=1e5", ["simulate", "--points", "100000"]),
    ("cascade", "points=1e6", ["simulate", "--points", "1000000"]),
    ("cascade", "points=1e7", ["simulate", "--points", "10000000", "--sampling", "cascade"]),
    # The cascade, N axis (default grid).
    ("cascade", "N_B=100,N_C=1000", ["simulate", "--nb", "100", "--nc", "1000"]),
    ("cascade", "N_B=200,N_C=2000", ["simulate", "--nb", "200", "--nc", "2000"]),
    ("cascade", "N_B=1000,N_C=10000 E_B", ["simulate", "--nb", "1000", "--nc", "10000",
                                          "--observables", "E_B,P_B,dark"]),
    # Trajectories at nbar > 0: jumps grow with t_max x rates (--sampling trajectories: auto
    # would solve these small systems exactly).
    ("trajectories", "nbar=1,t=10", ["simulate", "--sampling", "trajectories", "--nbar", "1",
                                     "--t-max", "10"]),
    ("trajectories", "nbar=1,t=100", ["simulate", "--sampling", "trajectories", "--nbar", "1",
                                      "--t-max", "100"]),
    ("trajectories", "nbar=1,t=1000", ["simulate", "--sampling", "trajectories", "--nbar", "1",
                                       "--t-max", "1000"]),
    ("trajectories", "nbar=10,t=100", ["simulate", "--sampling", "trajectories", "--nbar", "10",
                                       "--t-max", "100"]),
    ("trajectories", "nbar=0.5,N_B=10,N_C=100", ["simulate", "--sampling", "trajectories",
                                                 "--nbar", "0.5", "--nb", "10", "--nc", "100",
                                                 "--t-max", "1"]),
    ("trajectories", "nbar=0.5,N_B=30,N_C=300", ["simulate", "--sampling", "trajectories",
                                                 "--nbar", "0.5", "--nb", "30", "--nc", "300",
                                                 "--t-max", "1"]),
    ("trajectories", "points=1e4,n=1000", ["simulate", "--sampling", "trajectories", "--points",
                                          "10000", "--trajectories", "1000"]),
    ("trajectories", "points=1e5,n=1000", ["simulate", "--sampling", "trajectories", "--points",
                                          "100000", "--trajectories", "1000"]),
    ("trajectories", "points=1e6,n=1000", ["simulate", "--sampling", "trajectories", "--points",
                                          "1000000", "--trajectories", "1000"]),
    ("trajectories", "n=1e6", ["simulate", "--sampling", "trajectories", "--trajectories",
                               "1000000"]),
    ("trajectories", "n=1e7 E_B", ["simulate", "--sampling", "trajectories", "--trajectories",
                                   "10000000", "--observables", "E_B"]),
    ("trajectories", "S_B N_B=20,N_C=60", ["simulate", "--sampling", "trajectories", "--nb",
                                           "20", "--nc", "60", "--observables", "S_B",
                                           "--trajectories", "2000", "--points", "21"]),
    # Local-noise trajectories.
    ("local trajectories", "N_B=2,N_C=10,t=10", ["simulate", "--local-decay", "0.1",
                                                 "--t-max", "10"]),
    ("local trajectories", "N_B=2,N_C=10,t=100", ["simulate", "--local-decay", "0.1",
                                                  "--t-max", "100"]),
    ("local trajectories", "N_B=10,N_C=30,t=10", ["simulate", "--local-decay", "0.1", "--nb",
                                                  "10", "--nc", "30", "--t-max", "10"]),
    ("local trajectories", "N_B=20,N_C=60,t=10", ["simulate", "--local-decay", "0.1", "--nb",
                                                  "20", "--nc", "60", "--t-max", "10"]),
    ("local trajectories", "N_B=50,N_C=150,t=1", ["simulate", "--local-decay", "0.1", "--nb",
                                                  "50", "--nc", "150", "--t-max", "1"]),
    ("local trajectories", "dephasing 1,t=100", ["simulate", "--local-dephasing", "1",
                                                 "--t-max", "100"]),
    # exact, coupled basis (cascade at nbar = 0, chains at nbar > 0), and product basis.
    ("exact coupled", "points=1e5", ["exact", "--points", "100000"]),
    ("exact coupled", "points=1e6", ["exact", "--points", "1000000"]),
    ("exact coupled", "points=1e7", ["exact", "--points", "10000000"]),
    ("exact coupled", "nbar=0.5,N_B=20,N_C=60", ["exact", "--nbar", "0.5", "--nb", "20",
                                                 "--nc", "60", "--t-max", "8", "--points",
                                                 "161"]),
    ("exact coupled", "nbar=0.5,N_B=40,N_C=200", ["exact", "--nbar", "0.5", "--nb", "40",
                                                  "--nc", "200", "--t-max", "3"]),
    ("exact coupled", "nbar=0.5,points=1e5", ["exact", "--nbar", "0.5", "--points", "100000"]),
    ("exact product", "N_B=4,N_C=12", ["exact", "--method", "product", "--nb", "4", "--nc",
                                       "12", "--nbar", "0.5"]),
    ("exact product", "N_B=6,N_C=30", ["exact", "--method", "product", "--nb", "6", "--nc",
                                       "30", "--nbar", "0.5"]),
    ("exact product", "points=1e5", ["exact", "--method", "product", "--nbar", "0.5",
                                     "--points", "100000"]),
    # exact with local noise: the reduced Dicke-basis solver.
    ("exact reduced Dicke", "N_B=4,N_C=8", ["exact", "--local-decay", "0.1", "--nb", "4",
                                            "--nc", "8"]),
    ("exact reduced Dicke", "N_B=6,N_C=12", ["exact", "--local-decay", "0.1", "--nb", "6",
                                             "--nc", "12"]),
    ("exact reduced Dicke", "points=1e5", ["exact", "--local-decay", "0.1", "--points",
                                           "100000"]),
    # steady: temperature tables and N.
    ("steady", "T x 1e4", ["steady", "--temperatures", "@T10000"]),
    ("steady", "T x 1e5", ["steady", "--temperatures", "@T100000"]),
    ("steady", "T x 1e5 E_B", ["steady", "--observables", "E_B", "--temperatures", "@T100000"]),
    ("steady", "N_B=300,N_C=300", ["steady", "--nb", "300", "--nc", "300",
                                   "--temperatures", "1"]),
    ("steady", "N_B=1000,N_C=1000", ["steady", "--nb", "1000", "--nc", "1000",
                                     "--temperatures", "1"]),
]

PYTHON_CASES = [
    ("python cascade", "points=1e6", "darkcharge.simulate(points=10**6)"),
    ("python steady", "T x 1e5", "darkcharge.steady(temperature=[0.01*k+0.01 for k in range(10**5)])"),
]


def expand(args):
    """@TN: N temperatures 0.01, 0.02, ... as separate arguments (one argument is limited to
    128 KiB by the kernel; all of them together to ARG_MAX: ~1.5e5 temperatures here)."""
    out = []
    for a in args:
        m = re.fullmatch(r"@T(\d+)", a)
        out += [f"{0.01 * (k + 1):.6g}" for k in range(int(m.group(1)))] if m else [a]
    return out


def estimate(path, cmd, tmp):
    """Estimated CPU seconds and bytes, from the refusals at tiny limits."""
    cpu = mem = None
    r = subprocess.run(cmd + ["--max-cpu-hours", "1e-12", "-q", "-o", os.path.join(tmp, "e.csv")],
                       capture_output=True, text=True)
    m = re.search(r"needs an estimated ([0-9.e+-]+) CPU core-hours", r.stderr)
    if m:
        cpu = float(m.group(1)) * 3600
    # The cascade's automatic choice depends on --max-memory: ask about the same method.
    extra = ["--sampling", "cascade"] if path == "cascade" else []
    r = subprocess.run(cmd + extra + ["--max-memory", "1e-9", "-q", "-o", os.path.join(tmp, "e.csv")],
                       capture_output=True, text=True)
    m = re.search(r"needs an estimated ([0-9.e+-]+) (GiB|MiB)", r.stderr)
    if m:
        mem = float(m.group(1)) * (2**30 if m.group(2) == "GiB" else 2**20)
    return cpu, mem


def measure(cmd, wall, env=None):
    """CPU seconds (user + system) and peak RSS bytes, or None when killed at the wall limit."""
    full = ["/usr/bin/time", "-v", "timeout", str(wall)] + cmd
    r = subprocess.run(full, capture_output=True, text=True, env=env)
    if r.returncode == 124:
        return None, None, "killed at %d s" % wall
    if r.returncode != 0:
        return None, None, "failed: " + r.stderr.strip().splitlines()[-1][:120]
    user = float(re.search(r"User time \(seconds\): ([0-9.]+)", r.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): ([0-9.]+)", r.stderr).group(1))
    rss = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    return user + system, rss * 1024, ""


def selected_cases(a, tmp):
    """(path, size, CLI command to estimate or None, command to measure, its environment) of
    every case --only selects: the CLI's, then with --python the Python ones (whose
    estimates are the CLI's: the same library call)."""
    cases = [(path, size, [a.darkcharge] + expand(args)) for path, size, args in CASES]
    for path, size, cli in cases:
        if not a.only or a.only in path + " " + size:
            yield path, size, cli, cli + ["-q", "-o", os.path.join(tmp, "out.csv")], None
    if a.python:
        build = os.path.dirname(os.path.abspath(a.darkcharge))
        env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
        for path, size, call in PYTHON_CASES:
            if not a.only or a.only in path + " " + size:
                yield path, size, None, [a.python_exe, "-c", f"import darkcharge; {call}"], env


def fmt_s(x):
    return "-" if x is None else f"{x:.3g}"


def fmt_b(x):
    return "-" if x is None else (f"{x / 2**30:.3g} GiB" if x >= 2**30 else f"{x / 2**20:.3g} MiB")


def ratio(measured, est):
    return "-" if measured is None or not est else f"{measured / est:.2g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--darkcharge", default="build/darkcharge")
    ap.add_argument("--wall", type=int, default=120)
    ap.add_argument("--only", default="", help="run only cases whose path or size contains this")
    ap.add_argument("--python", action="store_true", help="also the Python cases")
    ap.add_argument("--python-exe", default=sys.executable, help="an interpreter with numpy")
    ap.add_argument("--estimates-only", action="store_true", help="print the estimates, run nothing")
    a = ap.parse_args()
    print("| path | size | est. CPU s | measured CPU s | ratio | est. memory | peak RSS | ratio | note |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for path, size, cli, run, env in selected_cases(a, tmp):
            cpu_est, mem_est = estimate(path, cli, tmp) if cli else (None, None)
            cpu, rss, note = (None, None, "not run") if a.estimates_only else \
                measure(run, a.wall, env)
            shown = fmt_s(cpu_est) if cli else "(as CLI)"
            print(f"| {path} | {size} | {shown} | {fmt_s(cpu)} | {ratio(cpu, cpu_est)} | "
                  f"{fmt_b(mem_est)} | {fmt_b(rss)} | {ratio(rss, mem_est)} | {note} |", flush=True)

if __name__ == "__main__":
    main()
