"""darkcharge: quantum-jump Monte Carlo for the dark-state quantum battery.

The battery of Quach & Munro, Phys. Rev. Applied 14, 024092 (2020): a charger of N_C
excited spins and a battery of N_B spins share one thermal reservoir. Units: hbar = 1,
time in 1/gamma, energy in omega. The same engine as the ``darkcharge`` command-line tool:
the same options (snake_case) give the same numbers for the same seed.

    >>> import darkcharge as dc
    >>> r = dc.simulate(nb=2, nc=10, t_max=2, trajectories=20000)
    >>> r.t, r["E_B"], r["E_B_err"]          # numpy arrays
    >>> r.to_pandas()                        # one row per time, <name> and <name>_err columns
    >>> dc.exact(nb=1, nc=5)["E_B"]          # exact density-matrix evolution, errors 0
    >>> dc.steady(nb=2, nc=10, temperature=[0, 1, 2]).to_pandas()
    >>> dc.sweep(dc.simulate, nb=[1, 2, 3], nc=10, trajectories=2000)  # one tidy DataFrame

Columns (docs/physics.md): E_B, E_C, P_B, W_open, dark (standard errors), W_B, W_B_sym,
S_B, dS_B_dt (delete-one-block jackknife); ``r.error_methods`` says which.
Bad input raises ValueError or TypeError naming the keyword and its value; runs beyond
max_memory or max_cpu_hours (the CLI's estimates) are refused before any work. Ctrl-C
stops a simulation within ~0.1 s, even inside one long trajectory (KeyboardInterrupt).
The full reference: docs/python.md.
"""
import datetime
import itertools
import os

import json

import numpy as np

from . import _checkpoint, _checks, _core

__version__ = _core.version
__all__ = ["simulate", "resume", "exact", "steady", "sweep", "Result", "SteadyResult",
           "time_series_columns", "default_columns", "steady_columns", "__version__"]

PEAKS_NOTE = (
    "P_B_max: global maximum of P_B(t); dS_B_dt_max: largest interior local maximum of "
    "dS_B/dt (paper Fig. 5c); lag = its time minus that of P_B_max. Values and times are "
    "those of the reported curves (parabola through the grid maximum), inside the run; "
    "errors: delete-one-block jackknife spread (0 for exact runs). NaN with the reason in "
    "*_unresolved when the maximum is at an end of the run or the data do not say which "
    "local maximum is the largest")


def time_series_columns():
    """Every column simulate() can return, in output order (the observable registry's)."""
    return list(_core.time_series_columns())


def default_columns():
    """The columns simulate() returns without observables (the CLI's default set)."""
    return list(_core.default_columns())


def steady_columns():
    """Every column steady() can return, in output order."""
    return list(_core.steady_columns())


class _Table:
    """Named columns with errors over one axis (time, or temperature for steady)."""

    def __init__(self, axis_names, axes, columns):
        self._axis_names = list(axis_names)
        self._axes = dict(zip(axis_names, axes))
        self._values = {c["name"]: c["value"] for c in columns}
        self._errors = {c["name"]: c["error"] for c in columns}
        #: column names in output order (without the axis and the _err columns)
        self.columns = [c["name"] for c in columns]
        #: how each column's error was estimated: standard-error, jackknife or exact
        self.error_methods = {c["name"]: c["error_method"] for c in columns}
        #: caveats per column ("" if none)
        self.column_notes = {c["name"]: c["note"] for c in columns}

    def __getitem__(self, name):
        """r["E_B"]: values; r["E_B_err"]: their errors; also the axis ("t", "T", "nbar")."""
        if name in self._axes:
            return self._axes[name]
        if name in self._values:
            return self._values[name]
        if name.endswith("_err") and name[:-4] in self._errors:
            return self._errors[name[:-4]]
        raise KeyError(f"no column '{name}' (have: {', '.join(self.keys())})")

    def __contains__(self, name):
        return name in self.keys()

    def keys(self):
        """Axis names, then each column and its error, as in the CLI's CSV header."""
        out = list(self._axis_names)
        for c in self.columns:
            out += [c, c + "_err"]
        return out

    def to_pandas(self):
        """A DataFrame with the axis and every column and error (the CLI's CSV, as a table)."""
        import pandas as pd
        return pd.DataFrame({k: self[k] for k in self.keys()})

    @property
    def expect(self):
        """{column: values}, as QuTiP's Result.expect with a dict of e_ops."""
        return dict(self._values)

    @property
    def stderr(self):
        """{column: errors}: the standard error of each value (delete-one-block jackknife
        for the nonlinear columns, 0 for exact ones; error_methods says which); the same
        arrays as r["<column>_err"]."""
        return dict(self._errors)


class State(np.ndarray):
    """A state returned by a Result: a numpy array (a density matrix, or the populations of
    a diagonal one) that knows its QuTiP dims. to_qobj() gives the qutip.Qobj."""

    def __new__(cls, array, dims):
        obj = np.asarray(array, dtype=float).view(cls)
        obj.dims = dims
        return obj

    def __array_finalize__(self, obj):
        self.dims = getattr(obj, "dims", None)

    def to_qobj(self):
        """The state as a qutip.Qobj (a density matrix; populations become its diagonal),
        with dims [[2 j_C + 1, 2 j_B + 1]] * 2 for the joint state and [[N_B + 1]] * 2 for
        the battery's levels; basis order m descending, as qutip.jmat. Needs QuTiP."""
        try:
            import qutip
        except ImportError:
            raise ImportError("to_qobj() needs QuTiP (pip install qutip, or apt install "
                              "python3-qutip)") from None
        m = np.asarray(self)
        if m.ndim == 1:
            m = np.diag(m)
        return qutip.Qobj(m, dims=self.dims)


class Result(_Table):
    """A time series from simulate() or exact().

    Attributes: t (times), columns, error_methods, summary (the CLI's JSON summary as a
    dict), notes, sectors (total-J populations, if asked for), state_times. Index with a
    column name: r["E_B"], r["E_B_err"].
    """

    def __init__(self, raw, summary, j_charger, j_battery, recorded=0):
        super().__init__(["t"], [raw["t"]], raw["columns"])
        self.t = raw["t"]
        #: the output times (QuTiP's name for r.t)
        self.times = self.t
        self.summary = summary
        self.notes = list(raw.get("notes", []))
        self.sectors = None
        if "sectors" in raw:
            self.sectors = _Table(["t"], [raw["sectors"]["t"]], raw["sectors"]["columns"])
        self._states = raw.get("states", [])
        #: the grid times at which states were kept (nearest to the state_times asked for)
        self.state_times = np.array([s["t"] for s in self._states])
        self._j_charger = j_charger
        self._j_battery = j_battery
        counts = raw.get("counts", [])
        #: P(n, t) at count_times: a structured array (t, n, P, P_err), rows with P > 0
        #: (the CLI's --counts-output)
        self.counts = np.array([tuple(c) for c in counts],
                               dtype=[("t", float), ("n", np.int64), ("P", float),
                                      ("P_err", float)])
        jumps = raw.get("jumps", [])
        #: recorded jumps (record_trajectories): a structured array (trajectory, t, channel,
        #: M) in trajectory and time order, channel "em" (J^-) or "abs" (J^+), M after the
        #: jump (the CLI's --jumps-output)
        self.jumps = np.array([(k, t, "em" if emitted else "abs", m)
                               for k, t, emitted, m in jumps],
                              dtype=[("trajectory", np.int64), ("t", float), ("channel", "U3"),
                                     ("M", float)])
        recorded = min(recorded, int(summary.get("trajectories", recorded)))
        #: per recorded trajectory, its jump times (QuTiP's col_times)
        self.col_times = [self.jumps["t"][self.jumps["trajectory"] == k] for k in range(recorded)]
        #: per recorded trajectory, its jump channels: 0 = J^- (emission), 1 = J^+
        #: (absorption), the order of c_ops in a qutip.mcsolve of the same model
        #: (QuTiP's col_which)
        self.col_which = [np.where(self.jumps["channel"][self.jumps["trajectory"] == k] == "em",
                                   0, 1) for k in range(recorded)]

    def __repr__(self):
        return (f"<darkcharge.Result {self.summary['command']}: {len(self.t)} times to "
                f"t={self.t[-1]:g}, columns {', '.join(self.columns)}>")

    def _state(self, t):
        if not self._states:
            raise ValueError("no states kept: pass state_times=[...] to simulate() or exact()")
        k = int(np.argmin(np.abs(self.state_times - t)))
        if abs(self.state_times[k] - t) > 1e-9 * max(1.0, abs(t)):
            raise ValueError(f"t={t} is not one of the state times {list(self.state_times)}")
        return self._states[k]

    def battery_levels(self, t):
        """Battery level populations at state time t: a structured array (j_B, m_B,
        population), summed over each sector's Dicke copies (the CLI's --state-output)."""
        rows = self._state(t)["battery_levels"]
        return np.array(rows, dtype=[("j_B", float), ("m_B", float), ("population", float)])

    def counts_at(self, t):
        """P(n, t) at count time t as an array over n = 0, 1, ... (the emitted count), and
        its standard errors."""
        if len(self.counts) == 0:
            raise ValueError("no counts kept: pass count_times=[...] to simulate()")
        times = np.unique(self.counts["t"])
        k = int(np.argmin(np.abs(times - t)))
        if abs(times[k] - t) > 1e-9 * max(1.0, abs(t)):
            raise ValueError(f"t={t} is not one of the count times {list(times)}")
        rows = self.counts[self.counts["t"] == times[k]]
        p, err = np.zeros(rows["n"].max() + 1), np.zeros(rows["n"].max() + 1)
        p[rows["n"]], err[rows["n"]] = rows["P"], rows["P_err"]
        return p, err

    def battery_state(self, t):
        """Populations of the battery's J_B^z levels m_B = N_B/2, ..., -N_B/2 at state time
        t, summed over the sectors j_B. rho_B is diagonal in m_B (total M is conserved), so
        for a ground battery np.diag(r.battery_state(t)) is rho_B in the Dicke basis, in
        QuTiP's order (m descending)."""
        levels = self.battery_levels(t)
        out = np.zeros(int(round(2 * self._j_battery)) + 1)
        for level in levels:
            out[int(round(self._j_battery - level["m_B"]))] += level["population"]
        return State(out, [[len(out)], [len(out)]])

    def joint_blocks(self, t):
        """The averaged joint charger-battery state at state time t, block by block:
        {(j_B, M): (m_B values, matrix)} with matrix[i, k] = <M - m_i, m_i| rho |M - m_k, m_k>
        in the product basis (the CLI's --joint-state-output)."""
        out = {}
        for j_b, M, m_first, block in self._state(t)["joint_blocks"]:
            out[(j_b, M)] = (m_first + np.arange(block.shape[0]), block)
        return out

    def joint_state(self, t, j_battery=None):
        """The joint state at state time t in battery sector j_battery (default N_B/2, the
        only one for a ground battery) as a dense matrix on |j_C m_C> x |j_B m_B>, both m
        descending: the order of qutip.tensor(charger, battery) with qutip.jmat. Includes the
        sector's weight, so its trace is the sector's population."""
        j_b = self._j_battery if j_battery is None else j_battery
        n_b = int(round(2 * j_b)) + 1
        n_c = int(round(2 * self._j_charger)) + 1
        rho = np.zeros((n_c * n_b, n_c * n_b))
        for (jb, M), (m_b, block) in self.joint_blocks(t).items():
            if abs(jb - j_b) > 1e-9:
                continue
            index = (np.rint(self._j_charger - (M - m_b)) * n_b + np.rint(j_b - m_b)).astype(int)
            rho[np.ix_(index, index)] = block
        return State(rho, [[n_c, n_b], [n_c, n_b]])


class SteadyResult(_Table):
    """The closed-form steady state, one row per temperature: r["T"], r["nbar"], r["E_B"],
    r["E_B_err"] (zeros), ..., r.to_pandas(), r.summary."""

    def __init__(self, raw, summary):
        super().__init__(["T", "nbar"], [raw["T"], raw["nbar"]], raw["columns"])
        self.T = raw["T"]
        self.nbar = raw["nbar"]
        self.summary = summary

    def __repr__(self):
        return f"<darkcharge.SteadyResult {len(self.T)} rows, columns {', '.join(self.columns)}>"


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _call_line(name, kwargs):
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"darkcharge.{name}({args})"


def _output_times(times, t_max, points):
    """Explicit output times (checked numbers; order and the leading 0 are checked by the
    library), or [] for the equally spaced grid of t_max and points."""
    output_times = _checks.reals("times", times)
    if output_times and (t_max is not None or points != 201):
        raise ValueError("times: give either times or t_max/points, not both "
                         f"(got times with t_max={t_max!r}, points={points!r})")
    return output_times


def _grid(output_times, t_max, points, model, nbar):
    """(t_max, points) of the output grid, for estimates and headers."""
    if output_times:
        # The rates first (as _t_max): refusals name gamma and nbar/temperature.
        _core.check_rate_scale("simulate", model.nb, model.nc, nbar, model.gamma)
        return float(output_times[-1]), len(output_times)
    return (_t_max(t_max, model.nb, model.nc, nbar, model.gamma),
            _checks.integer("points", points, 2, _core.max_points))


def _t_max(t_max, nb, nc, nbar, gamma):
    """t_max, or the system's own time scale when None (as the CLI without --t-max):
    10 ln(N) / (gamma (nbar + 1) N), N = N_C + N_B, rounded down to one digit."""
    # The rates first (as the CLI): refusals name gamma and nbar/temperature, not t_max.
    _core.check_rate_scale("simulate", nb, nc, nbar, gamma)
    if t_max is not None:
        value = _checks.real("t_max", t_max, positive=True)
        _core.check_rate_scale("simulate", nb, nc, nbar, gamma, value)
        return value
    value = _core.default_t_max(nb, nc, nbar, gamma)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"t_max: the default 10 ln(N) / (gamma (nbar + 1) N) is not a usable "
                         f"time at gamma={gamma!r} and nbar={nbar!r}; give t_max or physical "
                         f"rates")
    return value


def _nbar(nbar, temperature, omega):
    if nbar is not None and temperature is not None:
        raise ValueError(f"nbar and temperature exclude each other: give one of them (got "
                         f"nbar={_checks.shown(nbar)}, temperature={_checks.shown(temperature)})")
    if temperature is not None:
        return float(_core.nbar_from_temperature(_checks.real("temperature", temperature), omega))
    return 0.0 if nbar is None else _checks.real("nbar", nbar)


_LOCAL_KEYS = ("local_decay", "local_pumping", "local_dephasing",
               "charger_decay", "charger_pumping", "charger_dephasing",
               "battery_decay", "battery_pumping", "battery_dephasing")


def _local_rates(args):
    """The six single-spin rates (charger decay, pumping, dephasing; battery decay,
    pumping, dephasing) from the keywords: local_* for both ensembles, charger_*/battery_*
    overriding them (the library's override rule, local_noise_rates). Each must be a finite
    number >= 0."""
    given = {key: _checks.optional_real(key, args.get(key)) for key in _LOCAL_KEYS}
    return list(_core.local_noise_rates(
        [given["local_" + c] for c in ("decay", "pumping", "dephasing")],
        [given["charger_" + c] for c in ("decay", "pumping", "dephasing")],
        [given["battery_" + c] for c in ("decay", "pumping", "dephasing")]))


def _local_summary(rates):
    names = ("decay", "pumping", "dephasing")
    return {"charger": dict(zip(names, rates[:3])), "battery": dict(zip(names, rates[3:]))}


class _Model:
    """The keywords every command shares, checked once: nb, nc, battery_init, gamma,
    omega, the local rates, and the limits max_memory and max_cpu_hours."""

    def __init__(self, args):
        self.nb = _checks.integer("nb", args["nb"], 1, _core.max_spins)
        self.nc = _checks.integer("nc", args["nc"], 1, _core.max_spins)
        self.battery_init = _checks.choice("battery_init", args["battery_init"],
                                           ("thermal", "ground"))
        self.gamma = _checks.real("gamma", args["gamma"], positive=True)
        self.omega = _checks.real("omega", args["omega"], positive=True)
        self.local = _local_rates(args)
        memory = _checks.optional_real("max_memory", args["max_memory"], positive=True)
        #: 0 tells the engine: the machine's physical memory (the CLI's default)
        self.max_memory = 0.0 if memory is None else memory
        self.max_cpu_hours = _checks.real("max_cpu_hours", args["max_cpu_hours"], positive=True)

    def parameters(self, nbar, temperature, grid=None, times=None):
        """The summary's "parameters", key for key the CLI's (file_header.cpp); the limits
        and run controls are in the summary's command_line."""
        out = {"nb": self.nb, "nc": self.nc}
        if grid is None:  # steady: the lists of rows
            out.update({"temperature": temperature, "nbar": nbar})
        else:
            out.update({"nbar": nbar, "temperature": temperature})
        out.update({"battery_init": self.battery_init, "gamma": self.gamma,
                    "omega": self.omega, "local_noise": _local_summary(self.local)})
        if grid is not None:
            out.update({"t_max": grid[0], "points": grid[1]})
        if times:
            out["times"] = [float(t) for t in times]
        return out


def _header(command, call, parameters):
    return {"version": __version__, "command": command, "command_line": call,
            "created": _now(), "parameters": parameters}


def _final(raw):
    return {c["name"]: {"value": float(c["value"][-1]), "error": float(c["error"][-1])}
            for c in raw["columns"]}


def _tqdm_progress(total, desc):
    """A tqdm bar: (bars, update, phase). A new phase of the run (the estimate after the
    trajectories, e.g. "estimate S_B") closes the bar and opens one named after it."""
    from tqdm.auto import tqdm
    bars = [tqdm(total=total, desc=desc, unit="traj")]

    def update(done, _total):
        bar = bars[-1]
        if _total != bar.total:  # the exact cascade counts solver steps, not trajectories
            bar.total, bar.unit = _total, "step" if len(bars) == 1 else "time"
            bar.refresh()
        bar.update(done - bar.n)
        if done >= _total:
            bar.close()

    def phase(name):
        bars[-1].close()
        bars.append(tqdm(total=None, desc=desc if name == "trajectories" else f"{desc}: {name}",
                         unit="traj" if name == "trajectories" else "time"))
    return bars, update, phase


def simulate(nb=2, nc=10, nbar=None, temperature=None, battery_init="thermal", gamma=1.0,
             omega=1.0, t_max=None, points=201, trajectories=10000, seed=1, threads=None,
             observables=None, state_times=None, sectors=False, sampling="auto",
             progress=False, local_decay=None, local_pumping=None, local_dephasing=None,
             charger_decay=None, charger_pumping=None, charger_dephasing=None,
             battery_decay=None, battery_pumping=None, battery_dephasing=None,
             max_memory=None, max_cpu_hours=24.0, target_error=None, time_limit=None,
             count_times=None, record_trajectories=0, checkpoint=None, checkpoint_every=60.0,
             times=None, protocol=None):
    """Quantum-jump trajectories, averaged with errors (``darkcharge simulate``).

    nb, nc: battery and charger spins; nbar or temperature (T in hbar omega / k_B, sets
    nbar = 1/(exp(omega/T) - 1)); battery_init "thermal" or "ground"; gamma, omega; t_max
    (None: the system's time scale, as the CLI's default)
    and points: the output grid, or times: explicit output times from 0, ascending (a
    QuTiP tlist; the CLI's --times); trajectories, seed (0 to 2**64 - 1, exact; trajectory k
    draws from (seed, k) only), threads (None: all cores; results do not depend on it);
    observables: a subset of time_series_columns() (default: the CLI's default set;
    sigma_B, I_em, I_abs, N_em, N_abs, F_em only on request; leaving out W_B, W_B_sym, S_B,
    dS_B_dt is faster); state_times: times at which to keep the averaged state
    (battery_state, joint_state, state); sectors: keep total-J sector populations
    (r.sectors); progress: a tqdm bar (one per phase: the trajectories, then each costly
    estimate, e.g. "simulate: estimate S_B"), or a callable(done, total) (total: the
    trajectories, then each estimate's output times); sampling: "auto" (at
    nbar = 0 the exact cascade when cheap, at nbar > 0 the exact coupled-basis solver and with
    local noise the exact reduced Dicke-basis solver when cheap and every column asked for is
    theirs, else trajectories; a note says which and why), "trajectories", or "cascade"
    (nbar = 0 only: the distribution of the emitted count integrated instead of sampled;
    every column exact, errors 0), as the CLI's --sampling. local_decay, local_pumping,
    local_dephasing (both ensembles) and charger_*/battery_* (one ensemble, overriding):
    single-spin rates, as the CLI's --local-* options: with any of them > 0, local-noise
    trajectories (reduced Dicke basis) give E_B, E_C, P_B, W_open, dark, W_B, W_B_sym,
    sigma_B, I_em, I_abs and on request S_B, dS_B_dt and N_em, N_abs, F_em (collective
    jumps only: the reservoir's record) (the CLI's numbers), with target_error, time_limit and
    checkpoint, without state_times, sectors, count_times or record_trajectories (refused by
    name).

    Limits and stopping rules (the CLI's): max_memory (GiB; None: the machine's memory) and
    max_cpu_hours refuse, before any work, a run whose estimate exceeds them; target_error
    {column: bound} stops once every named column's largest error is <= its bound
    (trajectories is then the cap); time_limit (seconds) covers the whole run: it starts no
    work unit after it, and the estimate after the trajectories (W_B, W_B_sym, S_B, dS_B_dt)
    leaves the times it did not reach NaN with a note (stop_reason "time-limit").
    count_times: times at which to keep P(n, t), the distribution of the emitted count
    (r.counts, the CLI's --counts-output); record_trajectories: keep the jumps of the first
    so many trajectories (r.col_times, r.col_which, r.jumps; the CLI's --jumps-output).

    checkpoint: a file to which finished work units are saved (atomically, every
    checkpoint_every seconds, after Ctrl-C and at the time limit); resume(checkpoint)
    continues the run, with the same numbers as an uninterrupted one. Removed when the run
    completes.

    protocol: a list of segments run one after the other, as exact(protocol=...) (the CLI's
    simulate --protocol): the total duration is t_max (give no t_max), the boundaries join
    the output times. More than one segment, or a reservoir on one ensemble, runs the
    local-noise trajectories through the segments (sampling "auto": the exact reduced
    Dicke-basis protocol solver when cheap; "cascade" is refused), with their columns and
    refusals; checkpoint and resume() work as without one (the checkpoint keeps the
    segments). The result's ``protocol`` holds the resolved segments.
    """
    return _simulate(dict(locals()))


def _simulate(args, completed_units=None):
    """simulate() with the keywords in `args`, continuing from `completed_units` (resume)."""
    model = _Model(args)
    nb, nc, nbar, temperature = args["nb"], args["nc"], args["nbar"], args["temperature"]
    t_max, points, trajectories = args["t_max"], args["points"], args["trajectories"]
    seed, threads, observables = args["seed"], args["threads"], args["observables"]
    state_times, sectors, sampling = args["state_times"], args["sectors"], args["sampling"]
    progress, target_error = args["progress"], args["target_error"]
    time_limit, count_times = args["time_limit"], args["count_times"]
    record_trajectories = args["record_trajectories"]
    n = _nbar(nbar, temperature, model.omega)
    protocol = args.get("protocol")
    text, output_times, grid_t_max, n_points = _requested_grid(
        protocol, args.get("times"), t_max, points, model, n)
    n_trajectories = _checks.integer("trajectories", trajectories, 1, _core.max_trajectories)
    exact_seed = _checks.integer("seed", seed, 0, 2**64 - 1)
    n_threads = 0 if threads is None else _checks.integer("threads", threads, 1,
                                                          _core.max_threads)
    names = _checks.names("observables", observables)
    times = _checks.reals("state_times", state_times)
    counted = _checks.reals("count_times", count_times)
    keep_sectors = _checks.flag("sectors", sectors)
    how = _checks.choice("sampling", sampling, ("auto", "trajectories", "cascade"))
    targets = _checks.target_errors("target_error", target_error)
    limit = _checks.optional_real("time_limit", time_limit, positive=True)
    recorded = _checks.integer("record_trajectories", record_trajectories, 0,
                               _core.max_trajectories)
    _checks.progress("progress", progress)
    path = args.get("checkpoint")
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a file name, got {_checks.shown(path)}")
    if path is not None and not os.fspath(path):
        raise ValueError("checkpoint must be a file name, got ''")
    every = _checks.real("checkpoint_every", args.get("checkpoint_every", 60.0))
    save_units = None
    if path is not None:
        # What resume() needs to run the same request again: the checked keywords.
        stored = {"nb": model.nb, "nc": model.nc,
                  "nbar": None if nbar is None else float(nbar),
                  "temperature": None if temperature is None else float(temperature),
                  "battery_init": model.battery_init, "gamma": model.gamma,
                  "omega": model.omega,
                  "t_max": None if output_times else grid_t_max,
                  "points": 201 if output_times else n_points,
                  "times": output_times or None,
                  "trajectories": n_trajectories, "seed": exact_seed,
                  "observables": names or None, "state_times": times,
                  "sectors": keep_sectors, "sampling": how,
                  "max_memory": model.max_memory or None,
                  "max_cpu_hours": model.max_cpu_hours, "target_error": dict(targets),
                  "time_limit": limit, "count_times": counted,
                  "record_trajectories": recorded, "checkpoint_every": every}
        stored.update({k: args.get(k) for k in _LOCAL_KEYS if args.get(k) is not None})
        if protocol is not None:
            # The segments themselves (their duration is t_max): resume runs these, not a file.
            stored.update({"protocol": json.loads(text), "t_max": None, "points": n_points})

        def save_units(units):
            _checkpoint.write(path, stored, units)
    bars, callback, phase = None, None, None
    if progress is True:
        bars, callback, phase = _tqdm_progress(n_trajectories, "simulate")
    elif callable(progress):
        callback = progress
    try:
        raw = _core.run_simulate(model.nb, model.nc, n, model.battery_init, model.gamma,
                                 model.omega, grid_t_max, n_points, n_trajectories, exact_seed,
                                 n_threads, names, times, keep_sectors, how, callback,
                                 model.local, model.max_memory, model.max_cpu_hours, targets,
                                 limit or 0.0, counted, recorded, completed_units or {},
                                 save_units, every, output_times, text, phase)
    finally:
        for bar in bars or []:
            bar.close()
    # A finished run needs no checkpoint; one stopped by its time limit keeps it to resume.
    if path is not None and raw["stop_reason"] != "time-limit" and os.path.exists(path):
        os.remove(path)
    call = _call_line("simulate", {k: v for k, v in args.items() if k != "progress"})
    parameters = _run_parameters(model, n, temperature, raw, protocol, (grid_t_max, n_points),
                                 output_times)
    summary = _header("simulate", call, parameters)
    summary.update({"seed": exact_seed, "trajectories": n_trajectories,
                    "threads": raw["threads"],
                    "error_methods": {c["name"]: c["error_method"] for c in raw["columns"]},
                    "wall_time_seconds": raw["wall_time_seconds"],
                    "final_time": float(raw["t"][-1]), "final": _final(raw),
                    "trajectories_run": raw["trajectories_run"],
                    "stop_reason": raw["stop_reason"],
                    "sampling": raw["sampling"],
                    "peaks": dict(raw["peaks"], note=PEAKS_NOTE)})
    result = Result(raw, summary, 0.5 * model.nc, 0.5 * model.nb, recorded=recorded)
    if protocol is not None:
        result.protocol = parameters["protocol"]["segments"]
    return result


def resume(checkpoint, threads=None, time_limit=None, progress=False):
    """Continue a simulate(checkpoint=...) run that was stopped (Ctrl-C, a kill, its time
    limit): runs only the work units the file lacks. The numbers equal an uninterrupted
    run's for any thread counts before and after (the CLI's ``darkcharge resume``).
    threads and time_limit (0: none) replace the run's; the checkpoint keeps being saved."""
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a file name, got {_checks.shown(checkpoint)}")
    stored, units = _checkpoint.read(checkpoint)
    args = {k: None for k in _LOCAL_KEYS}
    args.update(stored)
    args.update({"threads": threads, "progress": progress, "checkpoint": checkpoint})
    if time_limit is not None:  # 0: none (the CLI's resume --time-limit 0)
        args["time_limit"] = _checks.real("time_limit", time_limit) or None
    try:
        return _simulate(args, completed_units=units)
    except ValueError as error:
        if str(error).startswith("completed_units:"):
            raise ValueError(f"checkpoint: '{os.fspath(checkpoint)}' is damaged or of another "
                             f"run ({error})") from None
        raise


def exact(nb=2, nc=10, nbar=None, temperature=None, battery_init="thermal", gamma=1.0,
          omega=1.0, t_max=None, points=201, observables=None, max_dimension=2000,
          method="coupled", local_decay=None, local_pumping=None, local_dephasing=None,
          charger_decay=None, charger_pumping=None, charger_dephasing=None,
          battery_decay=None, battery_pumping=None, battery_dephasing=None,
          max_memory=None, max_cpu_hours=24.0, max_seconds=3600.0, times=None, protocol=None,
          state_times=None):
    """Exact density-matrix evolution (``darkcharge exact``): the same columns as
    simulate() with errors 0, at t_max/points or at explicit times (as simulate()). method: "coupled" (block structure of the coupled basis,
    thousands of spins at nbar = 0) or "product" (dense product-basis matrices, small
    systems; the independent cross-check). max_dimension: with "product", refuse
    dimensions (N_C+1)(N_B+1) above this. sigma_B, I_em and I_abs: on request (both
    methods); N_em, N_abs and F_em: on request, method "product" only (full counting
    statistics). Ctrl-C stops the local-noise solver within a step; the collective solvers
    take it when they return. local_* / charger_* / battery_*: single-spin rates (as the
    CLI's --local-* options); with any > 0 the reduced Dicke-basis solver runs and adds the
    single-spin currents I_loc_* and the battery-sector populations jB=<j_B>. max_memory
    (GiB; None: the machine's memory), max_cpu_hours and max_seconds (the coupled and
    local solvers' single-core estimate; the CLI's --max-seconds) refuse a run before any
    work. state_times: times in [0, t_max] at whose nearest grid times the exact state is
    kept (r.state_times, r.battery_state(t), r.joint_state(t), .to_qobj(); the CLI's
    --state-times with --state-output / --joint-state-output), for both methods; refused
    with local rates > 0 or a protocol (that state spreads over every charger sector j_C).

    protocol: a list of segments run one after the other (the CLI's --protocol file), e.g.
    ``[{"duration": 4}, {"duration": 0.05, "battery_dephasing": 100},
    {"duration": 10, "reservoir": "battery", "battery_decay": 0.01}]``; keys duration,
    reservoir ("both", "battery", "charger", "none"), nbar or temperature, gamma and the
    local_* / charger_* / battery_* rates; a key left out takes this call's value. The total
    duration is t_max (give no t_max); the boundaries join the output times (points over
    [0, total] or times). More than one segment, or a reservoir on one ensemble, runs the
    reduced Dicke-basis solver. The result's ``protocol`` (and summary["parameters"]
    ["protocol"]) holds the resolved segments."""
    args = dict(locals())
    model = _Model(args)
    n = _nbar(nbar, temperature, model.omega)
    text, output_times, grid_t_max, n_points = _requested_grid(protocol, times, t_max, points,
                                                               model, n)
    names = _checks.names("observables", observables)
    dimension = _checks.integer("max_dimension", max_dimension, 1, 2**63 - 1)
    how = _checks.choice("method", method, ("coupled", "product"))
    seconds = _checks.real("max_seconds", max_seconds, positive=True)
    kept = _checks.reals("state_times", state_times)
    raw = _core.run_exact(model.nb, model.nc, n, model.battery_init, model.gamma, model.omega,
                          grid_t_max, n_points, names, dimension, how, model.local,
                          model.max_memory, model.max_cpu_hours, seconds, output_times, text, kept)
    parameters = _run_parameters(model, n, temperature, raw, protocol, (grid_t_max, n_points),
                                 output_times)
    summary = _header("exact", _call_line("exact", args), parameters)
    summary.update({"error_methods": {c["name"]: c["error_method"] for c in raw["columns"]},
                    "wall_time_seconds": raw["wall_time_seconds"],
                    "final_time": float(raw["t"][-1]), "final": _final(raw),
                    "peaks": dict(raw["peaks"], note=PEAKS_NOTE)})
    result = Result(raw, summary, 0.5 * model.nc, 0.5 * model.nb)
    if protocol is not None:
        result.protocol = parameters["protocol"]["segments"]
    return result


def _requested_grid(protocol, times, t_max, points, model, n):
    """The protocol's JSON text ("" without one) and the requested grid: (text, output times,
    t_max, points). A protocol's total duration is t_max, so the two are not given together;
    its boundaries join the output times inside the library."""
    if protocol is None:
        output_times = _output_times(times, t_max, points)
        return ("", output_times) + tuple(_grid(output_times, t_max, points, model, n))
    if t_max is not None:
        raise ValueError(f"t_max: a protocol's total duration is t_max; give t_max or "
                         f"protocol, not both (got t_max={_checks.shown(t_max)})")
    return (_protocol_text(protocol), list(_output_times(times, None, points)), 0.0,
            _checks.integer("points", points, 2, _core.max_points))


def _run_parameters(model, n, temperature, raw, protocol, grid, output_times):
    """The summary's parameters; with a protocol its resolved segments and the grid the run
    used (total duration, points and, when more than the equally spaced ones, its times, as
    the CLI's header records them)."""
    kelvin = None if temperature is None else float(temperature)
    if protocol is None:
        return model.parameters(n, kelvin, grid, output_times)
    grid_times = [float(t) for t in raw["grid_times"]]
    parameters = model.parameters(n, kelvin, (float(raw["t"][-1]), len(raw["t"])), grid_times)
    parameters["protocol"] = {"segments": json.loads(raw["protocol"])}
    return parameters


def _protocol_text(protocol):
    """A protocol (a list of segment dicts) as the JSON text the library parses; the library
    checks it (parse_protocol), so Python and the CLI refuse the same input alike."""
    if isinstance(protocol, (str, bytes)) or not isinstance(protocol, (list, tuple)):
        raise ValueError(f"protocol: expected a list of segments such as [{{'duration': 4}}, "
                         f"{{'duration': 10, 'reservoir': 'battery'}}], got {_checks.shown(protocol)}")

    def plain(value):
        if isinstance(value, np.generic):
            return plain(value.item())
        if isinstance(value, float) and not np.isfinite(value):
            # JSON has no NaN: the library names the segment and key of "NaN", "Infinity".
            return "NaN" if np.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise ValueError(f"protocol: {_checks.shown(value)} is not a number, string, list or dict")

    return json.dumps(plain(list(protocol)), allow_nan=False)


def steady(nb=2, nc=10, nbar=None, temperature=None, battery_init="thermal", gamma=1.0,
           omega=1.0, observables=None, local_decay=None, local_pumping=None, local_dephasing=None,
           charger_decay=None, charger_pumping=None, charger_dephasing=None,
           battery_decay=None, battery_pumping=None, battery_dephasing=None,
           max_memory=None, max_cpu_hours=24.0):
    """The exact steady state in closed form (``darkcharge steady``), one row per value of
    temperature (a number or a list) or of nbar (a number or a list); T = 0 if neither.
    Columns steady_columns(): E_B, E_C, W_open, dark, W_B, W_B_sym, S_B, dE_B_dT (errors 0).
    Without W_B, W_B_sym and S_B in observables only the cheap columns are computed.
    local_* / charger_* / battery_*: single-spin rates; the steady state is then the reduced
    Dicke-basis generator's null vector (unique once some decay or pumping is on).
    max_memory (GiB) and max_cpu_hours: the CLI's limits, checked before any work."""
    args = dict(locals())
    model = _Model(args)
    if nbar is not None and temperature is not None:
        raise ValueError(f"nbar and temperature exclude each other: give one of them (got "
                         f"nbar={_checks.shown(nbar)}, temperature={_checks.shown(temperature)})")
    temperatures = _checks.reals("temperature", temperature)
    nbars = _checks.reals("nbar", nbar)
    names = _checks.names("observables", observables)
    raw = _core.run_steady(model.nb, model.nc, 0.0, model.battery_init, model.gamma,
                           model.omega, temperatures, nbars, names, model.local,
                           model.max_memory, model.max_cpu_hours)
    summary = _header("steady", _call_line("steady", args),
                      model.parameters(nbars, temperatures))
    summary.update({"error_methods": {c["name"]: c["error_method"] for c in raw["columns"]},
                    "T": list(raw["T"]), "nbar": list(raw["nbar"]),
                    "values": {c["name"]: list(c["value"]) for c in raw["columns"]}})
    return SteadyResult(raw, summary)


# Arguments whose value is itself a list: never swept over.
_LIST_VALUED = {"observables", "state_times", "count_times"}


def _cell(value):
    """A parameter as a DataFrame cell: lists as their comma-joined items ("E_B,dark")."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return value


def sweep(function, cases=None, progress=False, **parameters):
    """Run `function` (simulate, exact, steady, or their names) over many parameter sets and
    return one tidy pandas DataFrame: a column for every parameter of the call, then the
    result's rows (one per time, or per temperature for steady).

    Parameter sets are either `cases`, a list of dicts, or the grid (Cartesian product) of
    every keyword argument given as a list or tuple; scalars are shared by all sets. Both
    may be combined: each case is run on the whole grid.

        sweep(simulate, nb=[1, 2, 3], nc=10, trajectories=2000)          # 3 runs
        sweep(steady, cases=[dict(nb=n, nc=5 * n) for n in range(1, 11)])  # capacity
        sweep(simulate, temperature=[0, 1], battery_init=["ground", "thermal"])  # 4 runs

    Parameter columns: the cases' keys and the swept keywords (in the order given), then the
    fixed ones, so every frame says how it was made; list-valued ones (observables,
    state_times) as their comma-joined items. A parameter the result already has as a
    column (steady's nbar) is not repeated. The same seed is used for every set unless
    `seed` is swept. progress=True shows a tqdm bar over the sets.
    """
    import pandas as pd
    if isinstance(function, str):
        function = {"simulate": simulate, "exact": exact, "steady": steady}[function]
    swept = {k: list(v) for k, v in parameters.items()
             if isinstance(v, (list, tuple, np.ndarray)) and k not in _LIST_VALUED}
    fixed = {k: v for k, v in parameters.items() if k not in swept}
    grid = [dict(zip(swept, values)) for values in itertools.product(*swept.values())]
    sets = [dict(fixed, **case, **point) for case in (cases or [{}]) for point in grid]
    iterator = sets
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(sets, desc=getattr(function, "__name__", "sweep"), unit="run")
    columns = list(dict.fromkeys([k for c in (cases or []) for k in c] + list(swept) +
                                 [k for k in fixed if k != "progress"]))
    frames = []
    for params in iterator:
        frame = function(**params).to_pandas()
        position = 0
        for name in columns:
            if name in frame.columns:
                continue
            frame.insert(position, name, [_cell(params.get(name))] * len(frame))
            position += 1
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
