"""QuTiP habits: r.times, r.expect, r.stderr, and to_qobj() on returned states, checked
against qutip.mesolve on a small case (skipped without QuTiP)."""
import sys

import numpy as np
import pytest

import darkcharge as dc


def test_times_expect_and_stderr_are_the_columns():
    r = dc.simulate(nb=2, nc=4, nbar=0.5, t_max=1, points=5, trajectories=500, seed=2,
                    observables=["E_B", "W_B"], sampling="trajectories")
    np.testing.assert_array_equal(r.times, r.t)
    assert list(r.expect) == list(r.stderr) == ["E_B", "W_B"]
    np.testing.assert_array_equal(r.expect["E_B"], r["E_B"])
    np.testing.assert_array_equal(r.stderr["E_B"], r["E_B_err"])
    assert (r.stderr["E_B"][1:] > 0).all()
    s = dc.steady(nb=1, nc=2, temperature=[0, 1], observables=["E_B"])
    np.testing.assert_array_equal(s.expect["E_B"], s["E_B"])
    np.testing.assert_array_equal(s.stderr["E_B"], [0, 0])


def test_to_qobj_without_qutip_says_what_is_missing(monkeypatch):
    r = dc.simulate(nb=1, nc=2, nbar=0, battery_init="ground", t_max=1, points=3,
                    state_times=[0.5])
    state = r.joint_state(0.5)
    assert state.dims == [[3, 2], [3, 2]]
    monkeypatch.setitem(sys.modules, "qutip", None)
    with pytest.raises(ImportError, match="QuTiP"):
        state.to_qobj()


def test_joint_and_battery_states_equal_mesolve():
    qutip = pytest.importorskip("qutip")
    nb, nc, gamma, omega, t = 1, 2, 0.7, 1.3, 0.4
    # nbar = 0: the exact cascade, so the averaged state is exact (no sampling error).
    r = dc.simulate(nb=nb, nc=nc, nbar=0, battery_init="ground", gamma=gamma, omega=omega,
                    t_max=0.8, points=5, state_times=[t], sampling="cascade")
    rho = r.joint_state(t).to_qobj()
    jc, jb = nc / 2, nb / 2
    ic, ib = qutip.qeye(nc + 1), qutip.qeye(nb + 1)
    j_minus = qutip.tensor(qutip.jmat(jc, "-"), ib) + qutip.tensor(ic, qutip.jmat(jb, "-"))
    j_z = qutip.tensor(qutip.jmat(jc, "z"), ib) + qutip.tensor(ic, qutip.jmat(jb, "z"))
    # Charger all up (m_C = +j_C: index 0), battery all down (m_B = -j_B: the last index).
    psi0 = qutip.tensor(qutip.basis(nc + 1, 0), qutip.basis(nb + 1, nb))
    # physics.md: emission J^- at rate 2 gamma (nbar + 1).
    out = qutip.mesolve(omega * j_z, psi0 * psi0.dag(), [0, t],
                        [np.sqrt(2 * gamma) * j_minus], [],
                        options=qutip.Options(atol=1e-12, rtol=1e-10))
    expected = out.states[-1]
    assert rho.dims == expected.dims == [[nc + 1, nb + 1], [nc + 1, nb + 1]]
    np.testing.assert_allclose(rho.full(), expected.full(), atol=1e-8)
    battery = r.battery_state(t).to_qobj()
    assert battery.dims == [[nb + 1], [nb + 1]]
    np.testing.assert_allclose(battery.full(), expected.ptrace(1).full(), atol=1e-8)
    # The energy column is the same state's: E_B = <J_B^z>/N_B + 1/2.
    k = int(np.argmin(np.abs(r.t - t)))
    e_b = qutip.expect(qutip.tensor(ic, qutip.jmat(jb, "z")), expected) / nb + 0.5
    assert r["E_B"][k] == pytest.approx(e_b, abs=1e-8)
