"""The module and the CLI run the same library: the same options and seed must give the same
numbers. The CLI's CSV prints values with 10 significant digits and errors with 3, so the
CSV comparison allows that rounding; its JSON summary holds full doubles, compared exactly."""
import numpy as np
import pytest

import darkcharge as dc
from conftest import assert_same_estimates, read_table, run_cli

VALUE_RTOL = 1e-9   # %.10g rounding of values in the CLI's CSV
ERROR_RTOL = 5e-3   # %.3g rounding of errors


def assert_csv_matches(frame, result):
    assert list(frame.columns) == result.keys()
    for name in result.columns:
        np.testing.assert_allclose(frame[name], result[name], rtol=VALUE_RTOL, atol=1e-300,
                                   equal_nan=True, err_msg=name)
        np.testing.assert_allclose(frame[name + "_err"], result[name + "_err"],
                                   rtol=ERROR_RTOL, atol=1e-300, equal_nan=True, err_msg=name)


CASES = [
    # (CLI arguments, the same as keyword arguments)
    (["--t-max", "2", "--points", "11", "--trajectories", "3000", "--seed", "7"],
     dict(t_max=2, points=11, trajectories=3000, seed=7)),
    (["--nb", "3", "--nc", "6", "--temperature", "1.5", "--battery-init", "thermal",
      "--t-max", "1", "--points", "6", "--trajectories", "1500", "--seed", "11",
      "--observables", "E_B,W_B,S_B"],
     dict(nb=3, nc=6, temperature=1.5, battery_init="thermal", t_max=1, points=6,
          trajectories=1500, seed=11, observables=["E_B", "W_B", "S_B"])),
    (["--nb", "2", "--nc", "5", "--nbar", "0.3", "--battery-init", "ground", "--gamma", "0.5",
      "--omega", "2", "--t-max", "3", "--points", "7", "--trajectories", "1000", "--seed", "2",
      "--threads", "1"],
     dict(nb=2, nc=5, nbar=0.3, battery_init="ground", gamma=0.5, omega=2, t_max=3, points=7,
          trajectories=1000, seed=2, threads=1)),
    # The registry's columns beyond the default set (jump-record statistics).
    (["--nb", "2", "--nc", "4", "--nbar", "0.5", "--t-max", "1.5", "--points", "6",
      "--trajectories", "1200", "--seed", "3",
      "--observables", "E_B,sigma_B,I_em,I_abs,N_em,N_abs,F_em"],
     dict(nb=2, nc=4, nbar=0.5, t_max=1.5, points=6, trajectories=1200, seed=3,
          observables=["E_B", "sigma_B", "I_em", "I_abs", "N_em", "N_abs", "F_em"])),
    # Explicit output times (a tlist), fine in the burst and coarse after it.
    (["--nb", "2", "--nc", "6", "--nbar", "0.2", "--times", "0,0.02,0.05,0.1,0.5,2",
      "--trajectories", "1500", "--seed", "4"],
     dict(nb=2, nc=6, nbar=0.2, times=[0, 0.02, 0.05, 0.1, 0.5, 2], trajectories=1500, seed=4)),
]


@pytest.mark.parametrize("args,kwargs", CASES)
def test_simulate_equals_cli(cli, tmp_path, args, kwargs):
    frame, summary, _ = run_cli(cli, ["simulate"] + args, tmp_path)
    r = dc.simulate(**kwargs)
    assert_csv_matches(frame, r)
    assert_same_estimates(summary["final"], r.summary["final"])
    def split(p):  # estimates, and the reasons a peak is unresolved (strings)
        est = {k: v for k, v in p.items() if k != "note" and not k.endswith("_unresolved")}
        why = {k: v for k, v in p.items() if k.endswith("_unresolved")}
        return est, why
    cli_est, cli_why = split(summary["peaks"])
    py_est, py_why = split(r.summary["peaks"])
    assert_same_estimates(cli_est, py_est)
    assert cli_why == py_why
    # The summaries describe the run with the same keys and parameters.
    assert list(summary) == list(r.summary)
    assert summary["parameters"] == r.summary["parameters"]
    assert summary["error_methods"] == r.error_methods


def test_exact_equals_cli(cli, tmp_path):
    frame, summary, _ = run_cli(cli, ["exact", "--nb", "1", "--nc", "3", "--nbar", "0.2",
                                      "--t-max", "2", "--points", "9"], tmp_path)
    r = dc.exact(nb=1, nc=3, nbar=0.2, t_max=2, points=9)
    assert_csv_matches(frame, r)
    assert_same_estimates(summary["final"], r.summary["final"])
    assert set(r.error_methods.values()) == {"exact"}


def test_exact_at_explicit_times_equals_cli(cli, tmp_path):
    frame, summary, _ = run_cli(cli, ["exact", "--nb", "2", "--nc", "4", "--nbar", "0.3",
                                      "--times", "0,0.01,0.1,1,3"], tmp_path)
    r = dc.exact(nb=2, nc=4, nbar=0.3, times=[0, 0.01, 0.1, 1, 3])
    assert_csv_matches(frame, r)
    assert list(r.times) == [0, 0.01, 0.1, 1, 3]
    assert summary["parameters"] == r.summary["parameters"]


def test_explicit_times_conflict_with_t_max_and_points():
    with pytest.raises(ValueError, match="times"):
        dc.exact(nb=1, nc=2, times=[0, 1], t_max=2)
    with pytest.raises(ValueError, match="first output time must be 0"):
        dc.simulate(nb=1, nc=2, times=[0.5, 1], trajectories=10)


@pytest.mark.parametrize("method", ["coupled", "product"])
def test_exact_jump_statistics_equal_cli(cli, tmp_path, method):
    columns = "E_B,sigma_B,I_em,I_abs"
    frame, _, _ = run_cli(cli, ["exact", "--nb", "2", "--nc", "3", "--nbar", "0.4", "--t-max",
                                "1", "--points", "5", "--method", method, "--observables",
                                columns], tmp_path)
    r = dc.exact(nb=2, nc=3, nbar=0.4, t_max=1, points=5, method=method,
                 observables=columns.split(","))
    assert r.columns == columns.split(",")
    assert_csv_matches(frame, r)


def test_steady_equals_cli_and_selects_columns(cli, tmp_path):
    frame, summary, text = run_cli(cli, ["steady", "--nb", "2", "--nc", "6", "--temperature",
                                         "0,1,2.5", "--observables", "E_B,dark,dE_B_dT"],
                                   tmp_path)
    r = dc.steady(nb=2, nc=6, temperature=[0, 1, 2.5], observables=["E_B", "dark", "dE_B_dT"])
    assert list(frame.columns) == ["T", "nbar", "E_B", "E_B_err", "dark", "dark_err",
                                   "dE_B_dT", "dE_B_dT_err"]
    assert list(frame.columns) == r.keys()
    for name in r.keys():
        np.testing.assert_allclose(frame[name], r[name], rtol=VALUE_RTOL, atol=1e-300)
    np.testing.assert_array_equal(summary["values"]["E_B"], r["E_B"])
    assert "# errors: E_B=exact dark=exact dE_B_dT=exact" in text


def test_state_files_equal_cli(cli, tmp_path):
    args = ["simulate", "--nb", "2", "--nc", "3", "--nbar", "0.4", "--t-max", "1", "--points",
            "5", "--trajectories", "800", "--seed", "5", "--state-times", "0.5,1",
            "--state-output", str(tmp_path / "state.csv"),
            "--joint-state-output", str(tmp_path / "joint.csv"),
            "--sectors-output", str(tmp_path / "sectors.csv")]
    run_cli(cli, args, tmp_path, summary=False)
    r = dc.simulate(nb=2, nc=3, nbar=0.4, t_max=1, points=5, trajectories=800, seed=5,
                    state_times=[0.5, 1], sectors=True)
    state = read_table(tmp_path / "state.csv")
    for t in (0.5, 1.0):
        mine = r.battery_levels(t)
        theirs = state[state.t == t]
        np.testing.assert_allclose(theirs.population, mine["population"], rtol=1e-11)
        np.testing.assert_array_equal(theirs.m_B, mine["m_B"])
    joint = read_table(tmp_path / "joint.csv")
    blocks = r.joint_blocks(1.0)
    rows = joint[joint.t == 1.0]
    assert len(rows) == sum(b.size for _, b in blocks.values())
    for row in rows.itertuples():
        m_b, block = blocks[(row.j_B, row.M)]
        i = int(np.flatnonzero(m_b == row.m_B)[0])
        k = int(np.flatnonzero(m_b == row.m_B_prime)[0])
        assert block[i, k] == pytest.approx(row.value, rel=1e-11, abs=1e-300)
    sectors = read_table(tmp_path / "sectors.csv")
    for name in r.sectors.columns:
        np.testing.assert_allclose(sectors[name], r.sectors[name], rtol=VALUE_RTOL)
