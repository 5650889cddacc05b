"""The keywords that give Python the CLI's run controls and side outputs (P(n, t) counts, jump
records, target errors, time limits, resource limits, exact 64-bit seeds), each checked
against the CLI's files for the same run: both front ends call the same library."""
import json

import numpy as np
import pandas as pd
import pytest

import darkcharge as dc
from conftest import read_table, run_cli

SMALL = dict(nb=2, nc=3, nbar=0.4, t_max=1, points=5, trajectories=600, seed=9)
SMALL_ARGS = ["--nb", "2", "--nc", "3", "--nbar", "0.4", "--t-max", "1", "--points", "5",
              "--trajectories", "600", "--seed", "9"]


def test_counts_equal_the_cli_counts_output(cli, tmp_path):
    run_cli(cli, ["simulate"] + SMALL_ARGS + ["--state-times", "0.5,1", "--counts-output",
                                             str(tmp_path / "counts.csv")], tmp_path,
            summary=False)
    r = dc.simulate(**SMALL, count_times=[0.5, 1])
    theirs = read_table(tmp_path / "counts.csv")
    assert len(theirs) == len(r.counts) > 0
    np.testing.assert_array_equal(theirs.t, r.counts["t"])
    np.testing.assert_array_equal(theirs.n, r.counts["n"])
    np.testing.assert_allclose(theirs.P, r.counts["P"], rtol=1e-9)
    np.testing.assert_allclose(theirs.P_err, r.counts["P_err"], rtol=5e-3)
    p, err = r.counts_at(1.0)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert len(p) == len(err) == r.counts["n"][r.counts["t"] == 1.0].max() + 1


def test_jump_records_equal_the_cli_jumps_output(cli, tmp_path):
    run_cli(cli, ["simulate"] + SMALL_ARGS + ["--record-trajectories", "4", "--jumps-output",
                                             str(tmp_path / "jumps.csv")], tmp_path,
            summary=False)
    r = dc.simulate(**SMALL, record_trajectories=4)
    # %.17g in the file: exact once parsed with round-trip precision.
    theirs = pd.read_csv(tmp_path / "jumps.csv", comment="#", float_precision="round_trip")
    assert len(theirs) == len(r.jumps) > 0
    np.testing.assert_array_equal(theirs.trajectory, r.jumps["trajectory"])
    np.testing.assert_array_equal(theirs.t, r.jumps["t"])  # %.17g: exact
    np.testing.assert_array_equal(theirs.channel, r.jumps["channel"])
    np.testing.assert_array_equal(theirs.M, r.jumps["M"])
    # QuTiP's layout: one array per trajectory, channel 0 = J^-, 1 = J^+.
    assert len(r.col_times) == len(r.col_which) == 4
    for k in range(4):
        mine = theirs[theirs.trajectory == k]
        np.testing.assert_array_equal(r.col_times[k], mine.t)
        np.testing.assert_array_equal(r.col_which[k], np.where(mine.channel == "em", 0, 1))


def test_target_error_stops_where_the_cli_stops(cli, tmp_path):
    args = ["--nb", "2", "--nc", "4", "--nbar", "0.5", "--t-max", "1", "--points", "5",
            "--trajectories", "100000", "--seed", "3", "--observables", "E_B",
            "--target-error", "E_B=0.02", "--sampling", "trajectories"]
    frame, summary, _ = run_cli(cli, ["simulate"] + args, tmp_path)
    r = dc.simulate(nb=2, nc=4, nbar=0.5, t_max=1, points=5, trajectories=100000, seed=3,
                    observables=["E_B"], target_error={"E_B": 0.02}, sampling="trajectories")
    assert r.summary["stop_reason"] == summary["stop_reason"] == "target-error"
    assert r.summary["trajectories_run"] == summary["trajectories_run"] < 100000
    np.testing.assert_allclose(frame.E_B, r["E_B"], rtol=1e-9)
    # The CLI's spelling works too.
    same = dc.simulate(nb=2, nc=4, nbar=0.5, t_max=1, points=5, trajectories=100000, seed=3,
                       observables=["E_B"], target_error="E_B=0.02", sampling="trajectories")
    np.testing.assert_array_equal(same["E_B"], r["E_B"])


def test_time_limit_stops_early():
    r = dc.simulate(nb=4, nc=20, nbar=1, t_max=1, points=5, trajectories=10**7,
                    observables=["E_B"], time_limit=0.5, max_cpu_hours=1e6,
                    sampling="trajectories")
    assert r.summary["stop_reason"] == "time-limit"
    assert 0 < r.summary["trajectories_run"] < 10**7


def test_seeds_are_exact_64_bit_integers(cli, tmp_path):
    kwargs = dict(nb=1, nc=2, nbar=0.5, t_max=1, points=3, trajectories=200,
                  observables=["E_B"], sampling="trajectories")
    a = dc.simulate(**kwargs, seed=2**53)
    b = dc.simulate(**kwargs, seed=2**53 + 1)
    assert b.summary["seed"] == 2**53 + 1 and a.summary["seed"] == 2**53
    assert not np.array_equal(a["E_B"], b["E_B"])
    top = dc.simulate(**kwargs, seed=2**64 - 1)
    assert top.summary["seed"] == 2**64 - 1
    _, summary, _ = run_cli(cli, ["simulate", "--nb", "1", "--nc", "2", "--nbar", "0.5",
                                  "--t-max", "1", "--points", "3", "--trajectories", "200",
                                  "--observables", "E_B", "--seed", str(2**53 + 1),
                                  "--sampling", "trajectories"], tmp_path)
    assert summary["seed"] == 2**53 + 1
    np.testing.assert_array_equal(summary["final"]["E_B"]["value"], b["E_B"][-1])


@pytest.mark.parametrize("kwargs,cli_args", [
    (dict(nb=10**7), ["--nb", "10000000"]),
    (dict(nb=200, nc=1000, nbar=1, trajectories=10**9),
     ["--nb", "200", "--nc", "1000", "--nbar", "1", "--trajectories", "1000000000"]),
])
def test_resource_refusals_are_the_cli_refusals(cli, tmp_path, kwargs, cli_args):
    import subprocess
    done = subprocess.run([cli, "simulate"] + cli_args + ["-q", "-o", str(tmp_path / "x.csv")],
                          stderr=subprocess.PIPE, text=True)
    assert done.returncode != 0
    with pytest.raises(ValueError) as info:
        dc.simulate(**kwargs)
    mine = str(info.value)
    # The same library check: the same text, with the options spelled the Python way.
    theirs = done.stderr.strip().split("error: ", 1)[-1]
    for cli_name, py_name in [("--sampling cascade", 'sampling="cascade"'),
                              ("--max-memory", "max_memory"), ("--max-cpu-hours", "max_cpu_hours"),
                              ("--points", "points"), ("--trajectories", "trajectories"),
                              ("--observables", "observables")]:
        theirs = theirs.replace(cli_name, py_name)
    assert mine == theirs


def test_limits_can_be_raised_and_lowered():
    with pytest.raises(ValueError, match="max_memory"):
        dc.simulate(nb=1, nc=2, t_max=1, points=3, trajectories=10, max_memory=1e-9)
    with pytest.raises(ValueError, match="max_cpu_hours"):
        dc.simulate(nb=2, nc=10, nbar=1, trajectories=10**6, max_cpu_hours=1e-9)
    with pytest.raises(ValueError, match="max_cpu_hours"):
        dc.steady(nb=2, nc=10, temperature=list(range(1000)), max_cpu_hours=1e-9)
    with pytest.raises(ValueError, match="max_cpu_hours"):
        dc.exact(nb=3, nc=12, nbar=1, method="product", max_cpu_hours=1e-12)
    r = dc.simulate(nb=1, nc=2, t_max=1, points=3, trajectories=10, max_memory=1.0,
                    max_cpu_hours=0.01)
    assert r.summary["trajectories_run"] in (0, 10)  # cascade (exact) or trajectories
