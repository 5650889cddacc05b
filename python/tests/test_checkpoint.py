"""simulate(checkpoint=...) and resume(): a run stopped by its time limit or by Ctrl-C
continues from its finished work units and gives the same numbers as an uninterrupted run
(blocks fold units in a fixed order; any thread counts)."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import darkcharge as dc

# ~2-4 s of trajectories on one core: a 0.3 s time limit stops it early (sampling "auto"
# would solve this small case exactly, with no units to checkpoint).
RUN = dict(nb=4, nc=20, nbar=1, t_max=1, points=5, trajectories=100000, seed=5,
           observables=["E_B", "P_B"], sampling="trajectories")


@pytest.fixture(scope="module")
def uninterrupted():
    return dc.simulate(**RUN)


def assert_same_rows(a, b):
    for name in a.columns:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        np.testing.assert_array_equal(a[name + "_err"], b[name + "_err"], err_msg=name)


def test_time_limit_then_resume_equals_an_uninterrupted_run(tmp_path, uninterrupted):
    path = tmp_path / "run.ckpt"
    first = dc.simulate(**RUN, checkpoint=str(path), time_limit=0.3, threads=2)
    assert first.summary["stop_reason"] == "time-limit"
    assert first.summary["trajectories_run"] < RUN["trajectories"]
    assert path.exists()
    done = dc.resume(path, threads=1, time_limit=0)  # 0: drop the run's time limit
    assert done.summary["stop_reason"] == "completed"
    assert done.summary["trajectories_run"] == RUN["trajectories"]
    assert done.summary["seed"] == RUN["seed"]
    assert_same_rows(uninterrupted, done)
    assert not path.exists()  # a finished run needs no checkpoint


def test_ctrl_c_saves_the_checkpoint_and_resume_finishes(tmp_path, uninterrupted):
    path = tmp_path / "run.ckpt"
    code = ("import darkcharge\n"
            "print('running', flush=True)\n"
            f"darkcharge.simulate(**{RUN!r}, checkpoint={str(path)!r}, checkpoint_every=0,\n"
            "                    threads=1)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "running"
        time.sleep(1.0)
        if proc.poll() is not None:
            pytest.skip("the run finished before the signal (a very fast machine)")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "KeyboardInterrupt" in err, err
    assert path.exists()
    assert_same_rows(uninterrupted, dc.resume(str(path)))


def test_a_damaged_checkpoint_is_refused_by_name(tmp_path):
    path = tmp_path / "run.ckpt"
    dc.simulate(**RUN, checkpoint=str(path), time_limit=0.2)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checkpoint: .* is damaged"):
        dc.resume(path)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="checkpoint: .* is not a darkcharge"):
        dc.resume(path)
    with pytest.raises(ValueError, match="checkpoint: .* is not a regular file"):
        dc.resume(tmp_path / "missing")


def test_local_noise_time_limit_then_resume_equals_an_uninterrupted_run(tmp_path):
    # Single-spin rates: the local-noise trajectories run in the same work units, so the
    # same long-run keywords hold (checkpoint, time_limit, target_error, resume). ~1 s of
    # trajectories on one core; a 0.1 s limit stops it early. The limit covers the whole run,
    # so the W_B estimate after the trajectories gets no time: NaN at every time, with a note.
    local = dict(nb=4, nc=20, nbar=0.5, t_max=1, points=5, trajectories=20000, seed=5,
                 sampling="trajectories", observables=["E_B", "W_B"], battery_decay=0.2,
                 charger_dephasing=0.3)
    whole = dc.simulate(**local, threads=2)
    path = tmp_path / "local.ckpt"
    first = dc.simulate(**local, checkpoint=str(path), time_limit=0.1, threads=2)
    assert first.summary["stop_reason"] == "time-limit"
    assert first.summary["trajectories_run"] < local["trajectories"]
    assert np.isnan(first["W_B"]).all() and not np.isnan(first["E_B"]).any()
    assert "The time limit ended this estimate" in first.column_notes["W_B"]
    done = dc.resume(path, threads=1, time_limit=0)
    assert done.summary["stop_reason"] == "completed"
    assert done.summary["trajectories_run"] == local["trajectories"]
    assert_same_rows(whole, done)
    assert not path.exists()
    # A target error stops at the same point for any thread count.
    capped = dict(local, trajectories=100000, target_error={"E_B": 0.01})
    one, two = dc.simulate(**capped, threads=1), dc.simulate(**capped, threads=2)
    assert one.summary["stop_reason"] == "target-error"
    assert one.summary["trajectories_run"] == two.summary["trajectories_run"]
    assert_same_rows(one, two)
