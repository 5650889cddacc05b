"""How a run behaves in an interactive session: the GIL is released, Ctrl-C stops it
within a second or two, progress is reported."""
import os
import signal
import subprocess
import sys
import threading
import time

import darkcharge as dc

# Long enough that it cannot finish before the signal arrives (~minutes on 2 cores).
LONG_RUN = ("import darkcharge, sys\n"
            "print('running', flush=True)\n"
            "darkcharge.simulate(nb=40, nc=200, t_max=0.5, points=11, trajectories=10**8, sampling=\"trajectories\",\n"
            "                    observables=['E_B'], max_cpu_hours=1e9)\n"
            "print('finished', flush=True)\n")


# One trajectory of ~10^8 jumps (nbar = 10^6 up to t = 1: tens of seconds on one core), so
# only a look at the stop flag inside the jump loop can stop it in time.
ONE_LONG_TRAJECTORY = dict(nb=2, nc=10, nbar=1e6, t_max=1, points=2, trajectories=1,
                           threads=1, observables=["E_B"], sampling="trajectories")
ONE_LONG_RUN = ("import darkcharge, sys\n"
                "print('running', flush=True)\n"
                f"darkcharge.simulate(**{ONE_LONG_TRAJECTORY!r})\n"
                "print('finished', flush=True)\n")


def interrupt_after_start(command, started_line=None, wait=1.0):
    """Starts `command`, waits for `started_line` on its stdout (if given) and `wait`
    seconds more, sends SIGINT; returns (seconds from the signal to the exit, return code,
    stderr)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    try:
        if started_line is not None:
            assert proc.stdout.readline().strip() == started_line
        time.sleep(wait)  # inside the run by now
        assert proc.poll() is None, proc.stderr.read()
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        return time.monotonic() - sent, proc.returncode, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_ctrl_c_stops_a_long_run_with_keyboard_interrupt():
    elapsed, code, err = interrupt_after_start([sys.executable, "-c", LONG_RUN], "running")
    assert "KeyboardInterrupt" in err, err
    assert code != 0
    # 100 ms polling plus the trajectories in flight (~ms each): well under 2 s.
    assert elapsed < 2.0, f"took {elapsed:.2f} s to stop"


def test_ctrl_c_stops_inside_one_long_trajectory():
    elapsed, code, err = interrupt_after_start([sys.executable, "-c", ONE_LONG_RUN], "running",
                                               wait=1.5)
    assert "KeyboardInterrupt" in err, err
    assert code != 0
    # 100 ms polling plus 4096 jumps (~1 ms) before the trajectory looks at the flag.
    assert elapsed < 1.5, f"took {elapsed:.2f} s to stop"


def test_the_cli_stops_inside_one_long_trajectory_too(cli, tmp_path):
    p = ONE_LONG_TRAJECTORY
    command = [cli, "simulate", "--nb", "2", "--nc", "10", "--nbar", "1000000", "--t-max", "1",
               "--points", "2", "--trajectories", "1", "--threads", "1", "--observables", "E_B",
               "--sampling", "trajectories", "-q", "-o", str(tmp_path / "out.csv")]
    assert p["nbar"] == 1e6 and p["t_max"] == 1  # the same run as above
    elapsed, code, err = interrupt_after_start(command, wait=1.5)
    assert code == 128 + signal.SIGINT, err
    assert "interrupted by SIGINT" in err, err
    assert not (tmp_path / "out.csv").exists()
    assert elapsed < 1.5, f"took {elapsed:.2f} s to stop"


def test_gil_is_released_while_running():
    ticks = 0
    worker = threading.Thread(target=dc.simulate, kwargs=dict(
        nb=20, nc=100, t_max=0.5, points=11, trajectories=60000, observables=["E_B"],
        sampling="trajectories"))  # a run of ~0.3-1 s (the exact cascade takes ~0.04 s)
    start = time.monotonic()
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.01)
    worker.join()
    # With the GIL held the main thread could not tick until the run ended (at most once
    # before the call takes it). The run takes ~0.3-1 s; a 10 ms sleep ticks many times even
    # on a loaded machine.
    assert ticks >= 5, f"{ticks} ticks in {time.monotonic() - start:.2f} s"


def test_progress_callback_counts_to_the_total():
    seen = []
    dc.simulate(nb=20, nc=100, t_max=0.5, points=11, trajectories=40000, observables=["E_B"], sampling="trajectories",
                progress=lambda done, total: seen.append((done, total)))
    assert seen, "no progress reported"
    assert seen[-1] == (40000, 40000)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))


def test_progress_bar_with_tqdm(capsys):
    dc.simulate(nb=2, nc=10, trajectories=2000, points=11, sampling="trajectories", progress=True)
    assert "2000/2000" in capsys.readouterr().err


def test_progress_names_the_estimate_after_the_trajectories(capsys):
    # The estimate of S_B after the trajectories is a phase of its own: a callable sees the
    # trajectories end (2000, 2000), then that phase's output times end (11, 11); a tqdm bar
    # per phase names it. Both are delivered whatever the timing (phase switches are queued).
    seen = []
    dc.simulate(nb=2, nc=10, nbar=0.5, trajectories=2000, points=11, threads=1,
                observables=["E_B", "S_B"], sampling="trajectories",
                progress=lambda done, total: seen.append((done, total)))
    assert (2000, 2000) in seen
    assert seen.index((2000, 2000)) < len(seen) - 1
    assert seen[-1] == (11, 11)
    dc.simulate(nb=2, nc=10, nbar=0.5, trajectories=2000, points=11, threads=1,
                observables=["E_B", "S_B"], sampling="trajectories", progress=True)
    err = capsys.readouterr().err
    assert "2000/2000" in err
    assert "simulate: estimate S_B" in err
