"""sweep(): one tidy DataFrame over a grid or list of parameter sets, with parameter columns,
whose rows equal the individual runs."""
import numpy as np

import darkcharge as dc


def test_grid_sweep_equals_individual_runs():
    frame = dc.sweep(dc.simulate, nb=[1, 2], temperature=[0, 1], nc=4, t_max=1, points=3,
                     trajectories=300, observables=["E_B"])
    assert list(frame.columns) == ["nb", "temperature", "nc", "t_max", "points", "trajectories",
                                   "observables", "t", "E_B", "E_B_err"]
    assert set(frame.observables) == {"E_B"} and set(frame.trajectories) == {300}
    assert len(frame) == 2 * 2 * 3
    one = frame[(frame.nb == 2) & (frame.temperature == 1)]
    r = dc.simulate(nb=2, temperature=1, nc=4, t_max=1, points=3, trajectories=300,
                    observables=["E_B"])
    np.testing.assert_array_equal(one["E_B"], r["E_B"])


def test_case_list_sweep_of_the_steady_capacity():
    cases = [dict(nb=n, nc=5 * n) for n in (1, 2, 4)]
    frame = dc.sweep("steady", cases=cases, observables=["E_B"])
    assert list(frame.columns) == ["nb", "nc", "observables", "T", "nbar", "E_B", "E_B_err"]
    assert list(frame.nc) == [5, 10, 20]
    assert frame.E_B.iloc[1] == dc.steady(nb=2, nc=10, observables=["E_B"])["E_B"][0]


def test_list_valued_arguments_are_not_swept():
    frame = dc.sweep(dc.exact, nb=[1, 2], nc=2, t_max=1, points=2, observables=["E_B", "dark"])
    assert list(frame.columns) == ["nb", "nc", "t_max", "points", "observables", "t", "E_B",
                                   "E_B_err", "dark", "dark_err"]
    assert set(frame.observables) == {"E_B,dark"}


def test_every_parameter_of_the_call_is_a_column():
    frame = dc.sweep(dc.simulate, seed=[2**53, 2**53 + 1], nb=1, nc=2, t_max=0.5, points=2,
                     trajectories=50, observables=["E_B"], max_cpu_hours=1.0)
    assert list(frame.seed) == [2**53] * 2 + [2**53 + 1] * 2  # exact, not through float
    for name in ("nb", "nc", "t_max", "points", "trajectories", "observables", "max_cpu_hours"):
        assert name in frame.columns, name
    assert (frame.nc == 2).all()


def test_steady_nbar_is_not_repeated():
    frame = dc.sweep(dc.steady, nbar=[0.1, 0.2], nb=1, nc=2, observables=["E_B"])
    assert list(frame.columns).count("nbar") == 1
    assert list(frame.nbar) == [0.1, 0.2]
