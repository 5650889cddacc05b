"""Local (single-spin) noise from Python: the same keywords as the CLI's --local-*,
--charger-*, --battery-* options, the same numbers, and refusals that name the keyword."""
import pathlib

import numpy as np
import pandas as pd
import pytest

import darkcharge as dc

from conftest import run_cli

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


def test_simulate_and_the_product_method_refuse_local_noise():
    with pytest.raises(ValueError, match="no local-noise trajectories yet"):
        dc.simulate(nb=2, nc=4, local_decay=0.1, trajectories=10, points=3, t_max=1)
    with pytest.raises(ValueError, match="product"):
        dc.exact(nb=2, nc=4, local_decay=0.1, method="product", points=3, t_max=1)
