"""Shared helpers: the CLI binary to compare against, and reading its files."""
import io
import json
import math
import os
import subprocess

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def cli():
    """Path of the darkcharge binary (ctest passes DARKCHARGE_CLI)."""
    path = os.environ.get("DARKCHARGE_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("DARKCHARGE_CLI not set to the darkcharge binary")
    return path


def run_cli(binary, args, tmp_path, summary=True):
    """Runs `darkcharge <args> -o <tmp>/out.csv [--summary <tmp>/out.json] -q`; returns the
    CSV as a DataFrame, the summary dict (or None) and the raw CSV text."""
    csv = tmp_path / "out.csv"
    cmd = [binary] + args + ["-o", str(csv), "-q"]
    if summary:
        cmd += ["--summary", str(tmp_path / "out.json")]
    subprocess.run(cmd, check=True, stderr=subprocess.PIPE)
    text = csv.read_text()
    frame = pd.read_csv(io.StringIO(text), comment="#")
    js = json.loads((tmp_path / "out.json").read_text()) if summary else None
    return frame, js, text


def read_table(path):
    return pd.read_csv(path, comment="#")


def nan_if_none(x):
    return math.nan if x is None else x


def assert_same_estimates(cli_dict, py_dict):
    """{"name": {"value", "error"}} from the CLI's JSON (NaN written as null) and Python:
    bit-identical, because both run the same library on the same seed."""
    assert set(cli_dict) == set(py_dict)
    for name, e in cli_dict.items():
        for key in ("value", "error"):
            np.testing.assert_array_equal(nan_if_none(e[key]), py_dict[name][key], err_msg=name)
