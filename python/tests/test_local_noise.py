"""Local (single-spin) noise from Python: the same keywords as the CLI's --local-*,
--charger-*, --battery-* options, the same numbers, and refusals that name the keyword."""
import pathlib

import numpy as np
import pandas as pd
import pytest

import darkcharge as dc

from conftest import assert_same_estimates, run_cli

# Independent reduced Dicke-basis solver, checked against a full 2^N solver (see
# tests/data/reference/README.md): nb=3 nc=12 nbar=0, charger decay 0.1, battery decay 0.3,
# battery dephasing 0.5, ground battery.
REFERENCE = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "reference" /
             "local_nb3_nc12_nbar0.0.csv")


def test_exact_matches_the_reference_curve():
    ref = pd.read_csv(REFERENCE, comment="#")
    r = dc.exact(nb=3, nc=12, nbar=0, battery_init="ground", charger_decay=0.1,
                 battery_decay=0.3, battery_dephasing=0.5, t_max=3, points=31)
    for column in ["E_B", "E_C", "W_B", "S_B", "dark"]:
        np.testing.assert_allclose(r[column], ref[column], atol=1e-9, rtol=0, err_msg=column)
    assert "I_loc_em_B" in r.columns and "jB=0.5" in r.columns
    assert r.summary["parameters"]["local_noise"]["battery"]["dephasing"] == 0.5


def test_shared_rates_and_overrides_give_the_cli_numbers(cli, tmp_path):
    df, _, _ = run_cli(cli, ["exact", "--nb", "2", "--nc", "4", "--nbar", "0.2", "--local-decay",
                             "0.1", "--battery-decay", "0.3", "--local-dephasing", "0.2",
                             "--t-max", "1", "--points", "11"], tmp_path)
    r = dc.exact(nb=2, nc=4, nbar=0.2, local_decay=0.1, battery_decay=0.3, local_dephasing=0.2,
                 t_max=1, points=11)
    for column in ["E_B", "E_C", "P_B", "W_B", "S_B", "dark", "I_loc_em_C", "jB=0"]:
        np.testing.assert_allclose(r[column], df[column], rtol=1e-9, atol=1e-12, err_msg=column)


def test_steady_state_with_decay_is_the_ground_state():
    # nbar = 0 and single-spin decay: every spin ends down, E_B = E_C = 0.
    r = dc.steady(nb=2, nc=4, nbar=0, local_decay=0.2)
    assert abs(r["E_B"][0]) < 1e-9 and abs(r["E_C"][0]) < 1e-9


@pytest.mark.parametrize("key, value", [("battery_decay", -1.0), ("local_dephasing", float("nan")),
                                        ("charger_pumping", float("inf")), ("local_decay", "0.1"),
                                        ("battery_dephasing", True)])
def test_bad_rates_are_refused_naming_the_keyword(key, value):
    with pytest.raises((ValueError, TypeError), match=key):
        dc.exact(nb=2, nc=4, t_max=1, points=3, **{key: value})


def test_product_method_refuses_local_noise():
    with pytest.raises(ValueError, match="product"):
        dc.exact(nb=2, nc=4, local_decay=0.1, method="product", points=3, t_max=1)


def test_simulate_runs_local_noise_trajectories_with_the_cli_numbers(cli, tmp_path):
    # The same library on the same seed: the CLI's full-precision JSON summary equals Python's
    # exactly; its CSV rounds values to 10 and errors to 3 significant digits.
    args = ["simulate", "--nb", "2", "--nc", "4", "--nbar", "0.2", "--battery-init", "ground",
            "--charger-decay", "0.1", "--battery-decay", "0.2", "--battery-dephasing", "0.3",
            "--t-max", "2", "--points", "9", "--trajectories", "600", "--seed", "5",
            "--sampling", "trajectories"]
    frame, summary, _ = run_cli(cli, args, tmp_path)
    r = dc.simulate(nb=2, nc=4, nbar=0.2, battery_init="ground", charger_decay=0.1,
                    battery_decay=0.2, battery_dephasing=0.3, t_max=2, points=9,
                    trajectories=600, seed=5, sampling="trajectories")
    assert r.keys() == list(frame.columns)
    assert "W_B" in r.columns and "W_B_sym" in r.columns
    for name in r.columns:
        np.testing.assert_allclose(frame[name], r[name], rtol=1e-9, atol=1e-300, equal_nan=True,
                                   err_msg=name)
        np.testing.assert_allclose(frame[name + "_err"], r[name + "_err"], rtol=5e-3,
                                   atol=1e-300, equal_nan=True, err_msg=name)
    assert_same_estimates(summary["final"], r.summary["final"])
    assert summary["parameters"] == r.summary["parameters"]
    assert summary["error_methods"] == r.error_methods
    assert r.summary["sampling"] == "trajectories"
    # W_B_sym is undefined once battery noise can have moved the battery out of j_B = N_B/2.
    assert np.isnan(r["W_B_sym"][1:]).all() and r["W_B_sym"][0] == 0


@pytest.mark.parametrize("key, value", [("state_times", [1.0]), ("sectors", True),
                                        ("count_times", [1.0]), ("record_trajectories", 2)])
def test_simulate_with_local_noise_refuses_what_it_lacks_naming_the_keyword(key, value):
    with pytest.raises(ValueError, match=key):
        dc.simulate(nb=2, nc=4, local_decay=0.1, trajectories=10, points=3, t_max=1,
                    **{key: value})


def test_simulate_with_local_noise_stops_at_a_target_error_as_the_cli(cli, tmp_path):
    # Stopping is decided after whole rounds of trajectory indices: the same stopping point
    # and the same numbers from the CLI and Python, for 1 and 2 threads.
    args = ["simulate", "--nb", "2", "--nc", "4", "--nbar", "0", "--battery-init", "ground",
            "--battery-decay", "0.2", "--battery-dephasing", "0.3", "--t-max", "2",
            "--points", "5", "--trajectories", "100000", "--seed", "8",
            "--observables", "E_B,W_B", "--target-error", "E_B=0.01", "--threads", "1",
            "--sampling", "trajectories"]
    _, summary, _ = run_cli(cli, args, tmp_path)
    r = dc.simulate(nb=2, nc=4, nbar=0, battery_init="ground", battery_decay=0.2,
                    battery_dephasing=0.3, t_max=2, points=5, trajectories=100000, seed=8,
                    observables=["E_B", "W_B"], target_error={"E_B": 0.01}, threads=2,
                    sampling="trajectories")
    assert r.summary["stop_reason"] == summary["stop_reason"] == "target-error"
    assert r.summary["trajectories_run"] == summary["trajectories_run"] < 100000
    assert_same_estimates(summary["final"], r.summary["final"])
    assert max(r["E_B_err"]) <= 0.01


def test_simulate_auto_takes_the_exact_solver_when_cheap_and_samples_on_request():
    # A tiny case: the reduced Dicke-basis solver is estimated far under the 120 s budget, so
    # sampling="auto" runs it (errors 0, the numbers of exact()) with a note saying why;
    # sampling="trajectories" samples; N_em (the jump record) always needs trajectories.
    keys = dict(nb=2, nc=3, nbar=0.1, battery_init="ground", local_decay=0.1,
                local_dephasing=0.2, t_max=1, points=6)
    r = dc.simulate(observables=["E_B", "W_B"], **keys)
    assert r.summary["sampling"] == "exact"
    assert any("sampling=exact" in note for note in r.notes)
    e = dc.exact(**keys)
    for name in ["E_B", "W_B"]:
        np.testing.assert_array_equal(r[name], e[name], err_msg=name)
        assert (r[name + "_err"] == 0).all()
    s = dc.simulate(observables=["E_B"], sampling="trajectories", trajectories=200, **keys)
    assert s.summary["sampling"] == "trajectories" and s["E_B_err"][-1] > 0
    n = dc.simulate(observables=["E_B", "N_em", "F_em"], trajectories=200, **keys)
    assert n.summary["sampling"] == "trajectories" and n["N_em"][-1] > 0


def test_simulate_with_local_noise_gives_s_b_on_request_as_the_cli(cli, tmp_path):
    # S_B and dS_B_dt from the local-noise trajectories: the CLI's numbers, finite, with
    # errors (agreement with exact(): tests/test_local_entanglement.cpp).
    args = ["simulate", "--nb", "2", "--nc", "3", "--local-decay", "0.2", "--local-dephasing",
            "0.3", "--battery-init", "ground", "--t-max", "1", "--points", "6",
            "--trajectories", "400", "--seed", "3", "--sampling", "trajectories",
            "--observables", "S_B,dS_B_dt"]
    df, _, _ = run_cli(cli, args, tmp_path)
    r = dc.simulate(nb=2, nc=3, local_decay=0.2, local_dephasing=0.3, battery_init="ground",
                    t_max=1, points=6, trajectories=400, seed=3, sampling="trajectories",
                    observables=["S_B", "dS_B_dt"])
    for name in ["S_B", "dS_B_dt"]:
        assert np.isfinite(r[name]).all() and np.isfinite(r[name + "_err"]).all()
        np.testing.assert_allclose(r[name], df[name], rtol=1e-8, atol=1e-12, err_msg=name)
    assert (r["S_B_err"][1:] > 0).all()
