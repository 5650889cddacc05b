"""The result object: arrays, tables, summary, states and sectors, checked against identities
that hold exactly for any sample (same trajectories), so no statistical tolerance is needed."""
import numpy as np
import pytest

import darkcharge as dc


@pytest.fixture(scope="module")
def thermal():
    return dc.simulate(nb=3, nc=6, nbar=0.5, t_max=1, points=6, trajectories=2000, seed=4,
                       state_times=[0, 0.6], sectors=True)


def test_arrays_and_table(thermal):
    r = thermal
    assert isinstance(r.t, np.ndarray) and r.t.shape == (6,)
    assert r.columns == dc.default_columns()  # sigma_B, I_em, ... only on request
    assert set(r.columns) < set(dc.time_series_columns())
    frame = r.to_pandas()
    assert list(frame.columns) == r.keys() == ["t"] + [
        n + s for n in r.columns for s in ("", "_err")]
    np.testing.assert_array_equal(frame["E_B_err"], r["E_B_err"])
    assert r.error_methods["E_B"] == "standard-error"
    assert r.error_methods["W_B"] == "jackknife"
    assert r.summary["final"]["E_B"]["value"] == r["E_B"][-1]
    assert r.summary["parameters"]["nbar"] == 0.5


def test_battery_state_reproduces_the_energy_column(thermal):
    # E_B = <J_B^z>/N_B + 1/2 from the same trajectories as the E_B column: equal to rounding.
    r = thermal
    for t in (0, 0.6):
        p = r.battery_state(t)
        m = 1.5 - np.arange(4)  # m_B = N_B/2 ... -N_B/2
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        g = int(np.argmin(abs(r.t - t)))
        assert p @ m / 3 + 0.5 == pytest.approx(r["E_B"][g], abs=1e-12)


def test_sector_populations_are_conserved(thermal):
    # Total J is conserved by the dynamics, so each sector's population keeps its initial
    # value on average (single trajectories move between J within their M). Every time and
    # sector within 5 combined standard errors: ~20 checks, false-failure rate < 1e-4.
    s = thermal.sectors
    for name in s.columns:
        diff = s[name] - s[name][0]
        sigma = np.hypot(s[name + "_err"], s[name + "_err"][0])
        assert np.all(np.abs(diff) <= 5 * sigma), (name, diff / np.where(sigma > 0, sigma, 1))
    np.testing.assert_allclose(sum(s[name] for name in s.columns), 1.0, atol=1e-12)


def test_joint_state_at_t0_is_the_initial_product_state():
    # Ground battery, charger fully up: |j_C, +j_C> x |j_B, -j_B>, index 0 * 3 + 2.
    r = dc.simulate(nb=2, nc=4, battery_init="ground", t_max=1, points=3, trajectories=50,
                    state_times=[0, 1])
    rho0 = r.joint_state(0)
    assert rho0.shape == (15, 15)
    expected = np.zeros((15, 15))
    expected[2, 2] = 1.0
    np.testing.assert_allclose(rho0, expected, atol=1e-14)
    rho1 = r.joint_state(1)
    assert np.trace(rho1) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(rho1, rho1.T, atol=1e-14)
    assert np.linalg.eigvalsh(rho1).min() > -1e-12  # an average of pure states


def test_steady_result_and_temperature_alias():
    by_t = dc.steady(nb=2, nc=4, temperature=[0, 2])
    by_nbar = dc.steady(nb=2, nc=4, nbar=list(by_t.nbar))
    np.testing.assert_allclose(by_t["E_B"], by_nbar["E_B"], rtol=1e-12)
    assert by_t.columns == dc.steady_columns()
    assert list(by_t.to_pandas().columns[:2]) == ["T", "nbar"]
    single = dc.steady(nb=2, nc=4, temperature=2)
    assert single["E_B"][0] == by_t["E_B"][1]


def test_exact_and_simulate_agree_within_errors():
    # A sanity check of the wiring (the engine itself is validated by the C++ suite): E_B of
    # 20000 trajectories against the exact solver, |z| < 5 at every time (false-failure
    # rate < 1e-5 for 11 times, seed fixed).
    sim = dc.simulate(nb=1, nc=4, t_max=1.5, points=11, trajectories=20000, seed=9,
                      observables=["E_B"], sampling="trajectories")
    ex = dc.exact(nb=1, nc=4, t_max=1.5, points=11, observables=["E_B"])
    err = np.where(sim["E_B_err"] > 0, sim["E_B_err"], 1.0)
    assert np.all(np.abs(sim["E_B"] - ex["E_B"]) / err < 5)


def test_exact_product_counts_match_trajectories():
    # N_em, N_abs, F_em by full counting statistics (method="product") against 20000
    # trajectories at nbar = 0.5: |z| < 6 at t = 0.5, 1 (false-failure rate < 1e-6, seed fixed).
    names = ["N_em", "N_abs", "F_em"]
    ex = dc.exact(nb=2, nc=4, nbar=0.5, t_max=1, points=3, observables=names, method="product")
    sim = dc.simulate(nb=2, nc=4, nbar=0.5, t_max=1, points=3, trajectories=20000, seed=3,
                      observables=names)
    for name in names:
        assert ex[name][2] > 1.0
        assert np.all(np.abs(sim[name][1:] - ex[name][1:]) < 6 * sim[name + "_err"][1:])


def test_cascade_sampling_is_the_exact_solution():
    # At nbar = 0 the default (sampling="auto") integrates the emitted-count distribution
    # instead of sampling it: the exact solver's numbers (to its 1e-13 step tolerance), errors 0.
    sim = dc.simulate(nb=2, nc=8, t_max=1, points=11, observables=["E_B", "S_B", "W_B"])
    ex = dc.exact(nb=2, nc=8, t_max=1, points=11, observables=["E_B", "S_B", "W_B"])
    assert sim.summary["sampling"] == "cascade"
    for name in ["E_B", "S_B", "W_B"]:
        assert np.allclose(sim[name], ex[name], rtol=0, atol=1e-12)
        assert np.all(sim[name + "_err"] == 0)
    with pytest.raises(ValueError, match="cascade needs nbar = 0"):
        dc.simulate(nb=2, nc=8, nbar=0.3, sampling="cascade")
