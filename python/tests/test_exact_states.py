"""exact(state_times=...): the exact solvers' states, read as simulate()'s (state,
joint_state, battery_state, to_qobj), checked against each other, against the cascade,
against qutip.mesolve and against the CLI's exact --state-output / --joint-state-output.
Everything here is deterministic (no sampling)."""
import subprocess

import numpy as np
import pandas as pd
import pytest

import darkcharge as dc

# Both solvers integrate to local tolerances 1e-10 relative (product: Dormand-Prince at
# rtol 1e-10, atol 1e-12; coupled: rational exponential, or the cascade at 1e-13), so their
# states agree to ~1e-11 on these small cases.
STATE_ATOL = 1e-10


def sectors(nb):
    """The battery sectors j_B = N_B/2, N_B/2 - 1, ... >= 0."""
    return [nb / 2 - k for k in range(int(nb // 2) + 1)]


def assert_same_states(a, b, nb, times, atol=STATE_ATOL):
    """Joint states of every battery sector and battery populations at each state time."""
    np.testing.assert_allclose(a.state_times, b.state_times, rtol=0, atol=1e-12)
    for t in times:
        for j_b in sectors(nb):
            np.testing.assert_allclose(a.joint_state(t, j_b), b.joint_state(t, j_b), rtol=0,
                                       atol=atol, err_msg=f"t={t} j_B={j_b}")
        np.testing.assert_allclose(a.battery_state(t), b.battery_state(t), rtol=0, atol=atol)


@pytest.mark.parametrize("method", ["coupled", "product"])
def test_exact_state_equals_the_cascade_at_zero_temperature(method):
    # The cascade (simulate at nbar = 0) is exact: sum_k P(k, t) |psi_k><psi_k|. The product
    # solver integrates the master equation itself, an independent route to the same state.
    times = [0.15, 0.4, 1.0]
    kwargs = dict(nb=2, nc=5, nbar=0, battery_init="ground", t_max=1, points=21,
                  state_times=times)
    r = dc.exact(method=method, **kwargs)
    s = dc.simulate(sampling="cascade", **kwargs)
    assert_same_states(r, s, 2, times)
    # Not a trivially empty state: the trace is 1 and the battery has charged.
    assert np.trace(r.joint_state(1.0)) == pytest.approx(1.0, abs=1e-12)
    assert r.battery_state(1.0)[0] > 0.1


@pytest.mark.parametrize("battery_init", ["thermal", "ground"])
def test_coupled_state_equals_product_state_at_positive_temperature(battery_init):
    # nbar > 0: the coupled solver's birth-death chains, turned into the product basis with
    # Clebsch-Gordan columns, against the product-basis density matrix; N_B = 3 with a thermal
    # battery holds the sectors j_B = 3/2 and 1/2 (weighted by their populations).
    times = [0.0, 0.3, 1.2]
    kwargs = dict(nb=3, nc=4, nbar=0.6, battery_init=battery_init, t_max=1.2, points=13,
                  state_times=times)
    coupled = dc.exact(method="coupled", **kwargs)
    product = dc.exact(method="product", **kwargs)
    assert_same_states(coupled, product, 3, times)
    total = sum(np.trace(product.joint_state(1.2, j_b)) for j_b in sectors(3))
    assert total == pytest.approx(1.0, abs=1e-12)
    # The columns are the states' own: E_B = <J_B^z>/N_B + 1/2 from the battery populations.
    m_b = 1.5 - np.arange(4)
    assert product["E_B"][-1] == pytest.approx(
        np.dot(m_b, product.battery_state(1.2)) / 3 + 0.5, abs=1e-12)


def test_exact_states_equal_mesolve():
    qutip = pytest.importorskip("qutip")
    nb, nc, nbar, gamma, omega, t = 1, 2, 0.4, 0.7, 1.3, 0.5
    jc, jb = nc / 2, nb / 2
    ic, ib = qutip.qeye(nc + 1), qutip.qeye(nb + 1)
    j_minus = qutip.tensor(qutip.jmat(jc, "-"), ib) + qutip.tensor(ic, qutip.jmat(jb, "-"))
    j_z = qutip.tensor(qutip.jmat(jc, "z"), ib) + qutip.tensor(ic, qutip.jmat(jb, "z"))
    # Charger all up (m_C = +j_C: index 0), battery all down (m_B = -j_B: the last index).
    psi0 = qutip.tensor(qutip.basis(nc + 1, 0), qutip.basis(nb + 1, nb))
    # physics.md: emission J^- at rate 2 gamma (nbar + 1), absorption J^+ at 2 gamma nbar.
    c_ops = [np.sqrt(2 * gamma * (nbar + 1)) * j_minus, np.sqrt(2 * gamma * nbar) * j_minus.dag()]
    out = qutip.mesolve(omega * j_z, psi0 * psi0.dag(), [0, t], c_ops, [],
                        options=qutip.Options(atol=1e-12, rtol=1e-10))
    expected = out.states[-1]
    for method in ("coupled", "product"):
        r = dc.exact(nb=nb, nc=nc, nbar=nbar, battery_init="ground", gamma=gamma, omega=omega,
                     t_max=1, points=11, state_times=[t], method=method)
        rho = r.joint_state(t).to_qobj()
        assert rho.dims == expected.dims == [[nc + 1, nb + 1], [nc + 1, nb + 1]]
        np.testing.assert_allclose(rho.full(), expected.full(), atol=1e-8, err_msg=method)
        np.testing.assert_allclose(r.battery_state(t).to_qobj().full(),
                                   expected.ptrace(1).full(), atol=1e-8, err_msg=method)


def read_csv(path):
    return pd.read_csv(path, comment="#")


@pytest.mark.parametrize("method", ["coupled", "product"])
def test_exact_states_equal_the_cli(cli, tmp_path, method):
    times = [0.25, 1.0]
    subprocess.run([cli, "exact", "--nb", "2", "--nc", "3", "--nbar", "0.3", "--t-max", "1",
                    "--points", "9", "--method", method, "--state-times", "0.25,1",
                    "--state-output", str(tmp_path / "s.csv"),
                    "--joint-state-output", str(tmp_path / "j.csv"),
                    "-o", str(tmp_path / "o.csv"), "-q"], check=True, stderr=subprocess.PIPE)
    r = dc.exact(nb=2, nc=3, nbar=0.3, t_max=1, points=9, method=method, state_times=times)
    # The CLI writes %.12g populations and entries, %.10g times.
    levels = read_csv(tmp_path / "s.csv")
    ours = np.concatenate([r.battery_levels(t) for t in times])
    np.testing.assert_allclose(levels["t"], np.repeat(times, [len(r.battery_levels(t))
                                                               for t in times]))
    np.testing.assert_array_equal(levels["j_B"], ours["j_B"])
    np.testing.assert_array_equal(levels["m_B"], ours["m_B"])
    np.testing.assert_allclose(levels["population"], ours["population"], rtol=1e-11, atol=1e-300)
    joint = read_csv(tmp_path / "j.csv")
    rows = []
    for t in times:
        for (j_b, M), (m_b, block) in r.joint_blocks(t).items():
            for i in range(len(m_b)):
                for k in range(len(m_b)):
                    rows.append((t, j_b, M, m_b[i], m_b[k], block[i, k]))
    ours = np.array(rows)
    assert joint.shape == ours.shape
    np.testing.assert_allclose(joint.to_numpy()[:, :5], ours[:, :5], rtol=0, atol=1e-12)
    np.testing.assert_allclose(joint["value"], ours[:, 5], rtol=1e-11, atol=1e-300)


BAD_STATE_TIMES = [([-0.1], ValueError), ([1.5], ValueError), ([float("nan")], ValueError),
                   ("abc", TypeError), (["0.5"], TypeError), ([[0.5]], TypeError)]


@pytest.mark.parametrize("value,error", BAD_STATE_TIMES)
@pytest.mark.parametrize("method", ["coupled", "product"])
def test_bad_state_times_are_refused(value, error, method):
    with pytest.raises(error, match="state_times"):
        dc.exact(nb=1, nc=2, t_max=1, points=5, method=method, state_times=value)


def test_state_times_with_local_noise_are_refused():
    with pytest.raises(ValueError, match="state_times"):
        dc.exact(nb=1, nc=2, t_max=1, points=5, battery_dephasing=0.1, state_times=[0.5])


@pytest.mark.parametrize("value", ["-0.1", "1.5", "nan", "abc"])
def test_the_cli_refuses_bad_state_times(cli, tmp_path, value):
    out = tmp_path / "o.csv"
    run = subprocess.run([cli, "exact", "--nb", "1", "--nc", "2", "--t-max", "1", "--points",
                          "5", "--state-times", value, "--state-output",
                          str(tmp_path / "s.csv"), "-o", str(out), "-q"],
                         stderr=subprocess.PIPE, text=True)
    assert run.returncode != 0
    assert "--state-times" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_cli_refuses_state_times_with_local_noise(cli, tmp_path):
    run = subprocess.run([cli, "exact", "--nb", "1", "--nc", "2", "--t-max", "1", "--points",
                          "5", "--battery-dephasing", "0.1", "--state-times", "0.5",
                          "--state-output", str(tmp_path / "s.csv"),
                          "-o", str(tmp_path / "o.csv"), "-q"],
                         stderr=subprocess.PIPE, text=True)
    assert run.returncode != 0
    assert "--state-times" in run.stderr
    assert list(tmp_path.iterdir()) == []
