"""Bad input raises ValueError (TypeError for a value of the wrong type) naming the keyword
and the value, before any computation."""
import pytest

import darkcharge as dc


@pytest.mark.parametrize("call,message", [
    (lambda: dc.simulate(nb=0), "nb must be an integer in [1, 10000000], got 0"),
    (lambda: dc.simulate(nc=-3), "nc must be an integer in [1, 10000000], got -3"),
    (lambda: dc.simulate(nc=1.5), "nc must be an integer in [1, 10000000], got 1.5"),
    (lambda: dc.exact(points="many"), "points must be an integer in [2, 100000000], got 'many'"),
    (lambda: dc.simulate(nbar=-0.5), "nbar must be a finite number >= 0, got -0.5"),
    (lambda: dc.simulate(temperature=-1), "temperature must be a finite number >= 0, got -1"),
    (lambda: dc.simulate(nbar=0.1, temperature=1), "nbar and temperature exclude each other"),
    (lambda: dc.simulate(battery_init="hot"), "battery_init must be one of 'thermal', 'ground', got 'hot'"),
    (lambda: dc.simulate(trajectories=0), "trajectories must be an integer in [1, 1000000000000000], got 0"),
    (lambda: dc.simulate(points=1), "points must be an integer in [2, 100000000], got 1"),
    (lambda: dc.simulate(t_max=0), "t_max must be a finite number > 0, got 0"),
    (lambda: dc.simulate(gamma=float("nan")), "gamma must be a finite number"),
    (lambda: dc.simulate(threads=-1), "threads must be an integer in [1, 1024], got -1"),
    (lambda: dc.simulate(observables=["E_B", "energy"]), "observables: unknown column 'energy'"),
    (lambda: dc.simulate(t_max=1, state_times=[2]), "state_times: 2 is outside [0, t-max = 1]"),
    (lambda: dc.exact(nb=2, nc=10, max_dimension=20, method="product"), "max_dimension"),
    (lambda: dc.exact(nb=2, nc=10, method="dense"), "method"),
    (lambda: dc.exact(nb=2, nc=4, observables=["F_em"]),
     "observables: F_em is computed exactly only by method product"),
    (lambda: dc.steady(observables=["P_B"]), "observables: unknown column 'P_B'"),
    (lambda: dc.steady(nbar=[0.1, -2]), "nbar must hold finite numbers >= 0, got -2 in [0.1, -2]"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)


def test_integral_floats_are_accepted():
    r = dc.simulate(nb=2.0, nc=4, trajectories=1e3, points=3, observables=["E_B"])
    assert r.summary["trajectories"] == 1000


def test_state_accessors_explain_what_is_missing():
    r = dc.simulate(nb=1, nc=2, t_max=1, points=3, trajectories=10)
    with pytest.raises(ValueError, match="state_times"):
        r.battery_state(0.5)
    with pytest.raises(KeyError, match="no column 'X'"):
        r["X"]
