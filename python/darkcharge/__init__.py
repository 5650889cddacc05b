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
Bad input raises ValueError; Ctrl-C stops a simulation between trajectories
(KeyboardInterrupt).
"""
import datetime
import itertools

import numpy as np

from . import _core

__version__ = _core.version
__all__ = ["simulate", "exact", "steady", "sweep", "Result", "SteadyResult",
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


class Result(_Table):
    """A time series from simulate() or exact().

    Attributes: t (times), columns, error_methods, summary (the CLI's JSON summary as a
    dict), notes, sectors (total-J populations, if asked for), state_times. Index with a
    column name: r["E_B"], r["E_B_err"].
    """

    def __init__(self, raw, summary, j_charger, j_battery):
        super().__init__(["t"], [raw["t"]], raw["columns"])
        self.t = raw["t"]
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

    def __repr__(self):
        return (f"<darkcharge.Result {self.summary['command']}: {len(self.t)} times to "
                f"t={self.t[-1]:g}, columns {', '.join(self.columns)}>")

    def _state(self, t):
        if not self._states:
            raise ValueError("no states kept: pass state_times=[...] to simulate()")
        k = int(np.argmin(np.abs(self.state_times - t)))
        if abs(self.state_times[k] - t) > 1e-9 * max(1.0, abs(t)):
            raise ValueError(f"t={t} is not one of the state times {list(self.state_times)}")
        return self._states[k]

    def battery_levels(self, t):
        """Battery level populations at state time t: a structured array (j_B, m_B,
        population), summed over each sector's Dicke copies (the CLI's --state-output)."""
        rows = self._state(t)["battery_levels"]
        return np.array(rows, dtype=[("j_B", float), ("m_B", float), ("population", float)])

    def battery_state(self, t):
        """Populations of the battery's J_B^z levels m_B = N_B/2, ..., -N_B/2 at state time
        t, summed over the sectors j_B. rho_B is diagonal in m_B (total M is conserved), so
        for a ground battery np.diag(r.battery_state(t)) is rho_B in the Dicke basis, in
        QuTiP's order (m descending)."""
        levels = self.battery_levels(t)
        out = np.zeros(int(round(2 * self._j_battery)) + 1)
        for level in levels:
            out[int(round(self._j_battery - level["m_B"]))] += level["population"]
        return out

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
        return rho


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


def _integer(name, value):
    """int(value) if value is integral (2, 2.0, 1e4, numpy integers); ValueError otherwise,
    as the CLI rejects --nc 1.5 (no silent truncation)."""
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if not as_float.is_integer():
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(as_float)


def _t_max(t_max, nb, nc, nbar, gamma):
    """t_max, or the system's own time scale when None (as the CLI without --t-max):
    10 ln(N) / (gamma (nbar + 1) N), N = N_C + N_B, rounded down to one digit."""
    if t_max is None:
        return _core.default_t_max(_integer("nb", nb), _integer("nc", nc), float(nbar),
                                   float(gamma))
    return float(t_max)


def _nbar(nbar, temperature, omega):
    if nbar is not None and temperature is not None:
        raise ValueError("nbar and temperature exclude each other: give one of them")
    if temperature is not None:
        return float(_core.nbar_from_temperature(float(temperature), float(omega)))
    return 0.0 if nbar is None else float(nbar)


_LOCAL_KEYS = ("local_decay", "local_pumping", "local_dephasing",
               "charger_decay", "charger_pumping", "charger_dephasing",
               "battery_decay", "battery_pumping", "battery_dephasing")


def _local_rates(args):
    """The six single-spin rates (charger decay, pumping, dephasing; battery decay,
    pumping, dephasing) from the keywords: local_* for both ensembles, charger_*/battery_*
    overriding them. Each must be a finite number >= 0."""
    def rate(key):
        value = args.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{key} must be a number >= 0, got {value!r}")
        value = float(value)
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{key} must be a finite number >= 0, got {value!r}")
        return value
    shared = {c: rate("local_" + c) for c in ("decay", "pumping", "dephasing")}
    out = []
    for ensemble in ("charger", "battery"):
        for c in ("decay", "pumping", "dephasing"):
            own = rate(f"{ensemble}_{c}")
            out.append(own if own is not None else (shared[c] or 0.0))
    return out


def _local_summary(rates):
    names = ("decay", "pumping", "dephasing")
    return {"charger": dict(zip(names, rates[:3])), "battery": dict(zip(names, rates[3:]))}


def _names(observables):
    if observables is None:
        return []
    if isinstance(observables, str):
        return [s for s in observables.split(",") if s]
    return list(observables)


def _header(command, call, parameters):
    return {"version": __version__, "command": command, "command_line": call,
            "created": _now(), "parameters": parameters}


def _final(raw):
    return {c["name"]: {"value": float(c["value"][-1]), "error": float(c["error"][-1])}
            for c in raw["columns"]}


def _tqdm_progress(total, desc):
    from tqdm.auto import tqdm
    bar = tqdm(total=total, desc=desc, unit="traj")

    def update(done, _total):
        if _total != bar.total:  # the exact cascade counts solver steps, not trajectories
            bar.total, bar.unit = _total, "step"
            bar.refresh()
        bar.update(done - bar.n)
        if done >= _total:
            bar.close()
    return bar, update


def simulate(nb=2, nc=10, nbar=None, temperature=None, battery_init="thermal", gamma=1.0,
             omega=1.0, t_max=None, points=201, trajectories=10000, seed=1, threads=None,
             observables=None, state_times=None, sectors=False, sampling="auto",
             progress=False, local_decay=None, local_pumping=None, local_dephasing=None,
             charger_decay=None, charger_pumping=None, charger_dephasing=None,
             battery_decay=None, battery_pumping=None, battery_dephasing=None):
    """Quantum-jump trajectories, averaged with errors (``darkcharge simulate``).

    nb, nc: battery and charger spins; nbar or temperature (T in hbar omega / k_B, sets
    nbar = 1/(exp(omega/T) - 1)); battery_init "thermal" or "ground"; gamma, omega; t_max
    (None: the system's time scale, as the CLI's default)
    and points: the output grid; trajectories, seed (trajectory k draws from (seed, k)
    only), threads (None: all cores; results do not depend on it); observables: a subset
    of time_series_columns() (default: the CLI's default set; sigma_B, I_em, I_abs, N_em,
    N_abs, F_em only on request; leaving out W_B, W_B_sym, S_B, dS_B_dt is faster);
    state_times: times at which to keep the averaged state (battery_state,
    joint_state); sectors: keep total-J sector populations (r.sectors); progress: a tqdm
    bar, or a callable(done, total); sampling: "auto" (at nbar = 0 the exact cascade when
    cheap, else trajectories), "trajectories", or "cascade" (nbar = 0 only: the
    distribution of the emitted count integrated instead of sampled; every column exact,
    errors 0), as the CLI's --sampling. local_decay, local_pumping, local_dephasing (both
    ensembles) and charger_*/battery_* (one ensemble, overriding): single-spin rates, as the
    CLI's --local-* options; simulate refuses them for now (use exact()).
    """
    call = _call_line("simulate", {k: v for k, v in locals().items() if k != "progress"})
    local = _local_rates(locals())
    n = _nbar(nbar, temperature, omega)
    names = _names(observables)
    times = [float(x) for x in (state_times or [])]
    bar, callback = None, None
    if progress is True:
        bar, callback = _tqdm_progress(_integer("trajectories", trajectories), "simulate")
    elif callable(progress):
        callback = progress
    try:
        raw = _core.run_simulate(_integer("nb", nb), _integer("nc", nc), n, battery_init,
                                 float(gamma), float(omega), _t_max(t_max, nb, nc, n, gamma),
                                 _integer("points", points),
                                 _integer("trajectories", trajectories), _integer("seed", seed),
                                 0 if threads is None else _integer("threads", threads), names,
                                 times, bool(sectors), str(sampling), callback, local)
    finally:
        if bar is not None:
            bar.close()
    summary = _header("simulate", call, {
        "nb": _integer("nb", nb), "nc": _integer("nc", nc), "nbar": n, "temperature": temperature,
        "battery_init": battery_init, "gamma": float(gamma), "omega": float(omega),
        "t_max": _t_max(t_max, nb, nc, n, gamma), "points": _integer("points", points),
        "local_noise": _local_summary(local)})
    summary.update({"seed": int(seed), "trajectories": int(float(trajectories)),
                    "threads": raw["threads"],
                    "error_methods": {c["name"]: c["error_method"] for c in raw["columns"]},
                    "wall_time_seconds": raw["wall_time_seconds"],
                    "final_time": float(raw["t"][-1]), "final": _final(raw),
                    "trajectories_run": raw["trajectories_run"],
                    "stop_reason": raw["stop_reason"],
                    "sampling": raw["sampling"],
                    "peaks": dict(raw["peaks"], note=PEAKS_NOTE)})
    return Result(raw, summary, 0.5 * nc, 0.5 * nb)


def exact(nb=2, nc=10, nbar=None, temperature=None, battery_init="thermal", gamma=1.0,
          omega=1.0, t_max=None, points=201, observables=None, max_dimension=2000,
          method="coupled", local_decay=None, local_pumping=None, local_dephasing=None,
          charger_decay=None, charger_pumping=None, charger_dephasing=None,
          battery_decay=None, battery_pumping=None, battery_dephasing=None):
    """Exact density-matrix evolution (``darkcharge exact``): the same columns as
    simulate() with errors 0. method: "coupled" (block structure of the coupled basis,
    thousands of spins at nbar = 0) or "product" (dense product-basis matrices, small
    systems; the independent cross-check). max_dimension: with "product", refuse
    dimensions (N_C+1)(N_B+1) above this. sigma_B, I_em and I_abs: on request (both
    methods); N_em, N_abs and F_em: on request, method "product" only (full counting
    statistics). The solver cannot be stopped midway: Ctrl-C takes
    effect when it returns. local_* / charger_* / battery_*: single-spin rates (as the CLI's
    --local-* options); with any > 0 the reduced Dicke-basis solver runs and adds the
    single-spin currents I_loc_* and the battery-sector populations jB=<j_B>."""
    call = _call_line("exact", locals())
    local = _local_rates(locals())
    n = _nbar(nbar, temperature, omega)
    raw = _core.run_exact(_integer("nb", nb), _integer("nc", nc), n, battery_init, float(gamma),
                          float(omega), _t_max(t_max, nb, nc, n, gamma), _integer("points", points),
                          _names(observables), _integer("max_dimension", max_dimension),
                          str(method), local)
    summary = _header("exact", call, {
        "nb": _integer("nb", nb), "nc": _integer("nc", nc), "nbar": n, "temperature": temperature,
        "battery_init": battery_init, "gamma": float(gamma), "omega": float(omega),
        "t_max": _t_max(t_max, nb, nc, n, gamma), "points": _integer("points", points),
        "local_noise": _local_summary(local)})
    summary.update({"error_methods": {c["name"]: c["error_method"] for c in raw["columns"]},
                    "wall_time_seconds": raw["wall_time_seconds"],
                    "final_time": float(raw["t"][-1]), "final": _final(raw),
                    "peaks": dict(raw["peaks"], note=PEAKS_NOTE)})
    return Result(raw, summary, 0.5 * nc, 0.5 * nb)


def _as_list(x):
    if x is None:
        return []
    return [float(v) for v in np.atleast_1d(x)]


def steady(nb=2, nc=10, nbar=None, temperature=None, battery_init="thermal", gamma=1.0,
           omega=1.0, observables=None, local_decay=None, local_pumping=None, local_dephasing=None,
           charger_decay=None, charger_pumping=None, charger_dephasing=None,
           battery_decay=None, battery_pumping=None, battery_dephasing=None):
    """The exact steady state in closed form (``darkcharge steady``), one row per value of
    temperature (a number or a list) or of nbar (a number or a list); T = 0 if neither.
    Columns steady_columns(): E_B, E_C, W_open, dark, W_B, W_B_sym, S_B, dE_B_dT (errors 0).
    Without W_B, W_B_sym and S_B in observables only the cheap columns are computed.
    local_* / charger_* / battery_*: single-spin rates; the steady state is then the reduced
    Dicke-basis generator's null vector (unique once some decay or pumping is on)."""
    call = _call_line("steady", locals())
    local = _local_rates(locals())
    if nbar is not None and temperature is not None:
        raise ValueError("nbar and temperature exclude each other: give one of them")
    temperatures, nbars = _as_list(temperature), _as_list(nbar)
    raw = _core.run_steady(_integer("nb", nb), _integer("nc", nc), 0.0, battery_init, float(gamma), float(omega),
                           temperatures, nbars, _names(observables), local)
    summary = _header("steady", call, {
        "nb": _integer("nb", nb), "nc": _integer("nc", nc), "temperature": temperatures, "nbar": nbars,
        "battery_init": battery_init, "gamma": float(gamma), "omega": float(omega),
        "local_noise": _local_summary(local)})
    summary.update({"error_methods": {c["name"]: c["error_method"] for c in raw["columns"]},
                    "T": list(raw["T"]), "nbar": list(raw["nbar"]),
                    "values": {c["name"]: list(c["value"]) for c in raw["columns"]}})
    return SteadyResult(raw, summary)


# Arguments whose value is itself a list: never swept over.
_LIST_VALUED = {"observables", "state_times"}


def sweep(function, cases=None, progress=False, **parameters):
    """Run `function` (simulate, exact, steady, or their names) over many parameter sets and
    return one tidy pandas DataFrame: the parameter columns, then the result's rows (one per
    time, or per temperature for steady).

    Parameter sets are either `cases`, a list of dicts, or the grid (Cartesian product) of
    every keyword argument given as a list or tuple; scalars are shared by all sets. Both
    may be combined: each case is run on the whole grid.

        sweep(simulate, nb=[1, 2, 3], nc=10, trajectories=2000)          # 3 runs
        sweep(steady, cases=[dict(nb=n, nc=5 * n) for n in range(1, 11)])  # capacity
        sweep(simulate, temperature=[0, 1], battery_init=["ground", "thermal"])  # 4 runs

    The same seed is used for every set unless `seed` is swept. progress=True shows a tqdm
    bar over the sets.
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
    # Parameter columns: the cases' keys, then the swept keywords, in the order given.
    varied = list(dict.fromkeys([k for c in (cases or []) for k in c] + list(swept)))
    frames = []
    for params in iterator:
        frame = function(**params).to_pandas()
        for position, name in enumerate(varied):
            frame.insert(position, name, [params.get(name)] * len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
