"""Generated bad calls (the Python counterpart of the CLI's argument fuzz test): each must be
refused at once with a ValueError or TypeError whose message names the keyword and shows
its value -- never pybind11's "incompatible function arguments", never a crash, never a
long run. The calls are drawn from a fixed random seed, so the set is the same every time."""
import math
import random
import time

import pytest

import darkcharge as dc
from darkcharge import _checks

# A small valid run of each command: a bad keyword is the only thing wrong with a call.
SMALL = {
    "simulate": dict(nb=1, nc=2, t_max=0.5, points=3, trajectories=20, observables=["E_B"]),
    "exact": dict(nb=1, nc=2, t_max=0.5, points=3, observables=["E_B"]),
    "steady": dict(nb=1, nc=2, observables=["E_B"]),
}
FUNCTIONS = {"simulate": dc.simulate, "exact": dc.exact, "steady": dc.steady}

# Bad values by the kind of keyword.
NOT_NUMBERS = [True, False, "3", b"3", None, [2], (2,), {"a": 1}, 1j, object()]
BAD_INTEGERS = NOT_NUMBERS + [1.5, -0.5, math.nan, math.inf, -math.inf, -1, 10**30, -10**30]
BAD_REALS = [v for v in NOT_NUMBERS if v is not None] + [math.nan, math.inf, -math.inf, -1,
                                                        -1e-300, 10**400, "nan"]
BAD_STRINGS = [1, None, True, "abc", "", b"ground", ["ground"], 2.5]
BAD_FLAGS = ["abc", 2, None, 0.5, math.nan, [True]]
BAD_NAME_LISTS = [1, 2.5, True, "abc", ["E_B", 1], [None], {"E_B"}, ["E_B", "energy"], [b"E_B"]]
BAD_TIME_LISTS = ["abc", [math.nan], [-1], [1e9], [[0.1]], {"a": 1}, [True], [0.1, "x"],
                  [math.inf], object()]

INTEGERS = {"nb": (1,), "nc": (1,), "points": (2,), "trajectories": (1,), "seed": (0,),
            "threads": (1,), "max_dimension": (1,), "record_trajectories": (0,)}
REALS = {"nbar", "temperature", "gamma", "omega", "t_max", "local_decay", "local_pumping",
         "local_dephasing", "charger_decay", "battery_dephasing", "max_memory",
         "max_cpu_hours", "max_seconds", "time_limit", "checkpoint_every"}
POSITIVE = {"gamma", "omega", "t_max", "max_memory", "max_cpu_hours", "max_seconds",
            "time_limit"}
STRINGS = {"battery_init", "sampling", "method"}

KEYWORDS = {
    "simulate": ["nb", "nc", "nbar", "temperature", "battery_init", "gamma", "omega", "t_max",
                 "points", "trajectories", "seed", "threads", "observables", "state_times",
                 "sectors", "sampling", "progress", "local_decay", "charger_decay",
                 "battery_dephasing", "max_memory", "max_cpu_hours", "target_error",
                 "time_limit", "count_times", "record_trajectories", "checkpoint",
                 "checkpoint_every", "times"],
    "exact": ["nb", "nc", "nbar", "temperature", "battery_init", "gamma", "omega", "t_max",
              "points", "observables", "max_dimension", "method", "local_pumping",
              "local_dephasing", "max_memory", "max_cpu_hours", "max_seconds", "times"],
    "steady": ["nb", "nc", "nbar", "temperature", "battery_init", "gamma", "omega",
               "observables", "local_decay", "max_memory", "max_cpu_hours"],
}


def bad_values(command, keyword):
    """Values of `keyword` that `command` must refuse."""
    if keyword in INTEGERS:
        values = list(BAD_INTEGERS)
        values.append(INTEGERS[keyword][0] - 1)
        if keyword == "threads":
            values.remove(None)  # None: all cores
        if keyword == "seed":
            values += [2**64, -2**63]
        return values
    if keyword in REALS:
        values = list(BAD_REALS)
        if keyword in POSITIVE:
            values += [0, 0.0]
        if keyword == "t_max" or keyword in ("nbar", "temperature"):
            values = [v for v in values if v is not None]
        return values
    if keyword in STRINGS:
        return list(BAD_STRINGS)
    if keyword == "sectors":
        return list(BAD_FLAGS)
    if keyword == "progress":
        return ["yes", 1.5, None, [1]]
    if keyword == "observables":
        values = list(BAD_NAME_LISTS)
        if command == "steady":
            values.append(["P_B"])  # a simulate column, not a steady one
        return values
    if keyword in ("state_times", "count_times"):
        return list(BAD_TIME_LISTS)
    if keyword == "times":  # explicit output times: from 0, strictly ascending, two or more
        return list(BAD_TIME_LISTS) + [[0.1, 0.2], [0, 0.2, 0.1], [0, 0.5, 0.5], [0]]
    if keyword == "checkpoint":
        return [1, 2.5, True, "", b"file", ["file"]]
    if keyword == "target_error":
        return ["E_B", "E_B=-1", "E_B=nan", {"E_B": -1}, {"E_B": math.nan}, {"X": 0.1},
                {1: 0.1}, 5, ["E_B"], {"E_B": True}]
    raise AssertionError(keyword)


def steady_list_ok(command, keyword, value):
    """steady takes nbar and temperature as numbers or lists; [2] and (2,) are fine there."""
    return command == "steady" and keyword in ("nbar", "temperature") and value in ([2], (2,))


def value_forms(value):
    """Ways a refusal may show `value` (its repr, shortened or not; a number as %g; an
    element of a list)."""
    forms = {repr(value), str(value), _checks.shown(value)}
    if isinstance(value, float):
        forms.add(f"{value:g}")
        if math.isfinite(value) and value.is_integer():
            forms.add(str(int(value)))
    if isinstance(value, (list, tuple, set)):
        for item in value:
            forms |= value_forms(item)
    if isinstance(value, dict):
        for key, item in value.items():
            forms |= value_forms(key) | value_forms(item)
    if isinstance(value, str) and "=" in value:
        forms.add(value.split("=", 1)[0])
    return forms


def generated_calls(count, seed=20261205):
    rng = random.Random(seed)
    calls = []
    while len(calls) < count:
        command = rng.choice(sorted(KEYWORDS))
        keyword = rng.choice(KEYWORDS[command])
        value = rng.choice(bad_values(command, keyword))
        if steady_list_ok(command, keyword, value):
            continue
        calls.append((command, keyword, value))
    return calls


CALLS = generated_calls(400)


def test_the_generated_calls_cover_every_keyword():
    covered = {(c, k) for c, k, _ in CALLS}
    assert covered == {(c, k) for c in KEYWORDS for k in KEYWORDS[c]}


def test_every_generated_bad_call_is_refused_at_once_naming_keyword_and_value():
    refused, slowest, failures = 0, 0.0, []
    for command, keyword, value in CALLS:
        arguments = dict(SMALL[command])
        arguments[keyword] = value
        if keyword == "temperature":
            arguments.pop("nbar", None)
        start = time.monotonic()
        try:
            FUNCTIONS[command](**arguments)
        except (ValueError, TypeError) as error:
            message = str(error)
            elapsed = time.monotonic() - start
            slowest = max(slowest, elapsed)
            if "incompatible function arguments" in message or keyword not in message:
                failures.append(f"{command}({keyword}={value!r}): {message}")
            elif not any(form in message for form in value_forms(value)):
                failures.append(f"{command}({keyword}={value!r}) does not show the value: "
                                f"{message}")
            else:
                refused += 1
            continue
        failures.append(f"{command}({keyword}={value!r}) was accepted")
    assert not failures, f"{len(failures)} of {len(CALLS)}:\n" + "\n".join(failures[:40])
    assert refused == len(CALLS)
    # Refusals come before any work: far below a second each even on a loaded machine.
    assert slowest < 2.0, f"slowest refusal took {slowest:.2f} s"


@pytest.mark.parametrize("command,arguments,keyword", [
    # The CLI's estimates refuse these at once (tests/test_cli_safety.cpp has the CLI's side).
    ("simulate", dict(nb=10**7), "max_memory"),
    ("simulate", dict(nb=200, nc=1000, nbar=1, trajectories=10**9), "max_cpu_hours"),
    ("exact", dict(nb=30, nc=300, method="product"), "max_dimension"),
    # The CLI's own list (tests/test_cli_safety.cpp), spelled the Python way.
    ("simulate", dict(nbar=1e6, t_max=2, sampling="trajectories"), "max_cpu_hours"),
    ("exact", dict(method="product", t_max=1e9), "max_cpu_hours"),
    ("simulate", dict(gamma=1e300), "gamma 1e+300"),
    ("simulate", dict(temperature=1e308), "nbar/temperature"),
    ("exact", dict(nbar=1e300), "nbar 1e+300"),
    ("steady", dict(nbar=1e300), "nbar 1e+300"),
    ("steady", dict(nb=500, nc=500, nbar=0.1, observables=["W_B"]), "observables"),
    # Under the default limits these are legitimate runs of seconds to minutes; a lower
    # limit refuses them by the same estimate, at once.
    ("steady", dict(temperature=list(range(10**6)), max_cpu_hours=1e-4), "max_cpu_hours"),
    ("simulate", dict(points=10**7, sampling="trajectories", max_memory=0.5), "max_memory"),
])
def test_hopeless_runs_are_refused_at_once_as_the_cli_refuses_them(command, arguments, keyword):
    start = time.monotonic()
    with pytest.raises(ValueError) as info:
        FUNCTIONS[command](**arguments)
    assert keyword in str(info.value)
    assert time.monotonic() - start < 5.0
