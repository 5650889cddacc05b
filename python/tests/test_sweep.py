"""sweep(): one tidy DataFrame over a grid or list of parameter sets, with parameter columns,
whose rows equal the individual runs."""
import numpy as np

import darkcharge as dc


def test_grid_sweep_equals_individual_runs():
    frame = dc.sweep(dc.simulate, nb=[1, 2], temperature=[0, 1], nc=4, t_max=1, points=3,
                     trajectories=300, observables=["E_B"])
    assert list(frame.columns) == ["nb", "temperature", "t", "E_B", "E_B_err"]
    assert len(frame) == 2 * 2 * 3
    one = frame[(frame.nb == 2) & (frame.temperature == 1)]
    r = dc.simulate(nb=2, temperature=1, nc=4, t_max=1, points=3, trajectories=300,
                    observables=["E_B"])
    np.testing.assert_array_equal(one["E_B"], r["E_B"])


def test_case_list_sweep_of_the_steady_capacity():
    cases = [dict(nb=n, nc=5 * n) for n in (1, 2, 4)]
    frame = dc.sweep("steady", cases=cases, observables=["E_B"])
    assert list(frame.columns) == ["nb", "nc", "T", "nbar", "E_B", "E_B_err"]
    assert list(frame.nc) == [5, 10, 20]
    assert frame.E_B.iloc[1] == dc.steady(nb=2, nc=10, observables=["E_B"])["E_B"][0]


def test_list_valued_arguments_are_not_swept():
    frame = dc.sweep(dc.exact, nb=[1, 2], nc=2, t_max=1, points=2, observables=["E_B", "dark"])
    assert list(frame.columns) == ["nb", "t", "E_B", "E_B_err", "dark", "dark_err"]
