"""Argument checks of the Python front end.

Each Python value is turned into the type the engine takes (an exact int, a finite float, a
known string, a list) or refused with a ValueError or TypeError whose message names the
keyword and shows its value, as the CLI's option validators do for the command line. The
ranges and the physics checks beyond them are the library's (it throws ValueError naming the
argument); here only what a Python value can be that a command-line string cannot: a bool
where a number belongs, NaN, inf, a string, a float that is not integral, a scalar where a
list belongs. Integers are never passed through float, so 64-bit seeds stay exact.
"""
import math
import numbers
import reprlib

import numpy as np

_short = reprlib.Repr()
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 6
_short.maxstring = _short.maxother = 60


def shown(value):
    """The value as a refusal shows it: repr, shortened for long lists and strings."""
    return _short.repr(value)


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def integer(name, value, minimum, maximum):
    """An int in [minimum, maximum]: Python and numpy integers, or floats that are integral
    (1e4); never a bool, a string, NaN or a fractional float (the CLI refuses --nc 1.5)."""
    what = f"{name} must be an integer in [{minimum}, {maximum}], got {shown(value)}"
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(what)
    if not isinstance(value, numbers.Integral):
        x = float(value)
        if not (math.isfinite(x) and x.is_integer()):
            raise ValueError(what)
        value = x
    exact = int(value)  # exact for ints and for integral floats
    if not minimum <= exact <= maximum:
        raise ValueError(what)
    return exact


def real(name, value, positive=False, maximum=None):
    """A finite float >= 0 (> 0 with positive=True, <= maximum if given); never a bool, a
    string, NaN or inf."""
    bound = "> 0" if positive else ">= 0"
    if maximum is not None:
        bound += f" and <= {maximum:g}"
    what = f"{name} must be a finite number {bound}, got {shown(value)}"
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(what)
    try:
        x = float(value)
    except (OverflowError, ValueError):
        raise ValueError(what) from None
    if not math.isfinite(x) or (x <= 0 if positive else x < 0) or (
            maximum is not None and x > maximum):
        raise ValueError(what)
    return x


def optional_real(name, value, positive=False):
    return None if value is None else real(name, value, positive)


def choice(name, value, choices):
    """One of the strings `choices`."""
    what = f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {shown(value)}"
    if not isinstance(value, str):
        raise TypeError(what)
    if value not in choices:
        raise ValueError(what)
    return value


def flag(name, value):
    """True or False (numpy bools, and the ints 0 and 1, too)."""
    if _is_bool(value):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {shown(value)}")


def reals(name, value, positive=False):
    """A list of finite floats >= 0 from None (empty), one number, or a list, tuple, range or
    1-d numpy array of numbers."""
    if value is None:
        return []
    if isinstance(value, numbers.Real) and not _is_bool(value):
        return [real(name, value, positive)]
    if isinstance(value, np.ndarray):
        if value.ndim > 1:
            raise ValueError(f"{name} must be a number or a 1-d list of numbers, got an array "
                             f"of shape {value.shape}")
        value = value.tolist() if value.ndim == 1 else [value.item()]
    if not isinstance(value, (list, tuple, range)):
        raise TypeError(f"{name} must be a number or a list of numbers, got {shown(value)}")
    out = []
    for x in value:
        if _is_bool(x) or not isinstance(x, numbers.Real):
            raise TypeError(f"{name} must hold numbers only, got {shown(x)} in {shown(value)}")
        try:
            f = float(x)
        except (OverflowError, ValueError):
            f = math.inf
        if not math.isfinite(f) or (f <= 0 if positive else f < 0):
            raise ValueError(f"{name} must hold finite numbers {'> 0' if positive else '>= 0'}, "
                             f"got {shown(x)} in {shown(value)}")
        out.append(f)
    return out


def names(name, value):
    """Column names from None (empty: the default set), "A,B" or a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [s for s in value.split(",") if s]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of column names or a comma-separated string, "
                        f"got {shown(value)}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{name} must hold column names (strings), got {shown(item)} in "
                            f"{shown(value)}")
    return list(value)


def target_errors(name, value):
    """{column: bound} (or the CLI's "COLUMN=X,COLUMN=X") as (column, bound) pairs."""
    if value is None:
        return []
    if isinstance(value, str):
        pairs = []
        for item in value.split(","):
            column, eq, bound = item.partition("=")
            try:
                x = float(bound) if eq else math.nan
            except ValueError:
                x = math.nan
            if not (math.isfinite(x) and x > 0):
                raise ValueError(f"{name}: expected COLUMN=X with X a finite number > 0, got "
                                 f"{shown(item)}")
            pairs.append((column, x))
        return pairs
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict {{column: bound}} or 'COLUMN=X,...', got "
                        f"{shown(value)}")
    pairs = []
    for column, bound in value.items():
        if not isinstance(column, str):
            raise TypeError(f"{name} keys must be column names, got {shown(column)}")
        pairs.append((column, real(f"{name}[{column!r}]", bound, positive=True)))
    return pairs


def progress(name, value):
    """False, True (a tqdm bar) or a callable(done, total)."""
    if _is_bool(value) or callable(value):
        return value
    raise TypeError(f"{name} must be True, False or a callable(done, total), got {shown(value)}")
