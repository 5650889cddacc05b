"""exact(protocol=[...]) runs the library's protocol parser and solver as the CLI's
`exact --protocol FILE`: the same rows (the CSV's 10 significant digits), the same resolved
segments in the summary, and the same refusals naming the segment and the key."""
import json
import math

import numpy as np
import pytest

import darkcharge as dc
from conftest import run_cli

VALUE_RTOL = 1e-9  # %.10g rounding of values in the CLI's CSV

CHARGE_PULSE_STORE = [
    {"duration": 0.5},
    {"duration": 0.05, "battery_dephasing": 20},
    {"duration": 1.0, "reservoir": "battery", "battery_decay": 0.1},
]


def test_protocol_equals_cli(cli, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(CHARGE_PULSE_STORE))
    frame, summary, _ = run_cli(cli, ["exact", "--nb", "2", "--nc", "4", "--nbar", "0.2",
                                      "--charger-dephasing", "0.1", "--protocol", str(path),
                                      "--points", "7"], tmp_path)
    r = dc.exact(nb=2, nc=4, nbar=0.2, charger_dephasing=0.1, protocol=CHARGE_PULSE_STORE, points=7)
    assert list(frame.columns) == r.keys()
    for name in r.columns:
        np.testing.assert_allclose(frame[name], r[name], rtol=VALUE_RTOL, atol=1e-300,
                                   equal_nan=True, err_msg=name)
    # The boundaries 0.5 and 0.55 join the 7 equally spaced times over [0, 1.55].
    assert 0.5 in list(r.times) and 0.55 in list(r.times) and len(r.times) == 9
    assert r.protocol == summary["parameters"]["protocol"]["segments"]
    assert r.summary["parameters"]["protocol"]["segments"] == r.protocol
    assert r.protocol[1]["battery"]["dephasing"] == 20
    assert r.protocol[1]["charger"]["dephasing"] == 0.1  # left out: the call's value
    assert r.protocol[2]["reservoir"] == "battery"
    for key in ("t_max", "points", "times"):
        assert summary["parameters"][key] == r.summary["parameters"][key], key


def test_one_segment_equal_to_the_call_gives_todays_numbers():
    today = dc.exact(nb=2, nc=5, nbar=0.3, t_max=0.8, points=9)
    mine = dc.exact(nb=2, nc=5, nbar=0.3, protocol=[{"duration": 0.8}], points=9)
    assert today.keys() == mine.keys()
    for name in today.columns:
        np.testing.assert_array_equal(today[name], mine[name], err_msg=name)


@pytest.mark.parametrize("protocol,match", [
    ([], "protocol: empty list"),
    ([{"duration": 1}, {"duration": 1, "nbr": 1}], "segment 2, key 'nbr': unknown key"),
    ([{"duration": 0}], "segment 1, key 'duration'"),
    ([{"duration": math.nan}], "segment 1, key 'duration': must be a finite number > 0, got NaN"),
    ([{"duration": 1, "nbar": 1, "temperature": 1}], "segment 1.*not both"),
    ([{"duration": 1, "battery_decay": -1}], "segment 1, key 'battery_decay'"),
    ([{"duration": 1, "reservoir": "nowhere"}], "segment 1, key 'reservoir'.*nowhere"),
    ("[{\"duration\": 1}]", "protocol: expected a list"),
])
def test_bad_protocols_are_refused_as_the_cli_refuses_them(protocol, match):
    with pytest.raises(ValueError, match=match):
        dc.exact(nb=2, nc=3, protocol=protocol)


def test_t_max_and_protocol_exclude_each_other():
    with pytest.raises(ValueError, match="t_max"):
        dc.exact(nb=2, nc=3, t_max=1, protocol=[{"duration": 1}])


def test_simulate_through_a_protocol_equals_cli(cli, tmp_path):
    """simulate(protocol=...) with trajectories: the CLI's simulate --protocol rows (same
    seed), its grid, its resolved segments; auto takes the exact protocol solver when cheap."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps(CHARGE_PULSE_STORE))
    frame, summary, _ = run_cli(cli, ["simulate", "--nb", "2", "--nc", "4", "--nbar", "0.2",
                                      "--protocol", str(path), "--points", "5",
                                      "--trajectories", "300", "--seed", "7",
                                      "--sampling", "trajectories"], tmp_path)
    r = dc.simulate(nb=2, nc=4, nbar=0.2, protocol=CHARGE_PULSE_STORE, points=5, trajectories=300,
                    seed=7, sampling="trajectories")
    assert list(frame.columns) == r.keys()
    for name in r.columns:
        np.testing.assert_allclose(frame[name], r[name], rtol=VALUE_RTOL, atol=1e-300,
                                   equal_nan=True, err_msg=name)
    assert 0.5 in list(r.times) and 0.55 in list(r.times) and len(r.times) == 7
    assert r.protocol == summary["parameters"]["protocol"]["segments"]
    assert r.summary["sampling"] == "trajectories"
    exact = dc.simulate(nb=2, nc=4, nbar=0.2, protocol=CHARGE_PULSE_STORE, points=5)
    assert exact.summary["sampling"] == "exact"
    reference = dc.exact(nb=2, nc=4, nbar=0.2, protocol=CHARGE_PULSE_STORE, points=5)
    np.testing.assert_array_equal(exact["E_B"], reference["E_B"])


@pytest.mark.parametrize("keywords, match", [
    ({"sampling": "cascade"}, "cascade"),
    ({"state_times": [0.5]}, "state_times"),
    ({"t_max": 2.0}, "t_max"),
])
def test_simulate_through_a_protocol_refuses_by_name(keywords, match):
    with pytest.raises(ValueError, match=match):
        dc.simulate(nb=2, nc=4, protocol=CHARGE_PULSE_STORE, points=5, trajectories=10, **keywords)


def test_simulate_through_a_protocol_resumes_to_an_uninterrupted_run(tmp_path):
    # ~1-2 s of trajectories on one core: a 0.1 s time limit stops it after its first units.
    run = dict(nb=4, nc=20, nbar=0.5, protocol=CHARGE_PULSE_STORE, points=5, trajectories=20000,
               seed=7, sampling="trajectories", observables=["E_B", "P_B"])
    uninterrupted = dc.simulate(**run, threads=2)
    path = tmp_path / "run.ckpt"
    first = dc.simulate(**run, checkpoint=str(path), time_limit=0.1, threads=1)
    assert first.summary["stop_reason"] == "time-limit"
    assert first.summary["trajectories_run"] < run["trajectories"]
    assert path.exists()
    # The checkpoint holds the segments: resume runs them, whatever the caller's list is now.
    done = dc.resume(path, threads=2, time_limit=0)
    assert done.summary["stop_reason"] == "completed"
    assert done.summary["trajectories_run"] == run["trajectories"]
    assert done.protocol == uninterrupted.protocol
    assert list(done.times) == list(uninterrupted.times)
    for name in uninterrupted.columns:
        np.testing.assert_array_equal(done[name], uninterrupted[name], err_msg=name)
        np.testing.assert_array_equal(done[name + "_err"], uninterrupted[name + "_err"], err_msg=name)
    assert not path.exists()
