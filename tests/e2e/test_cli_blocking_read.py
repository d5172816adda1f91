"""'photofind index' on a library where one photo's read never returns (a stalled network
share): Ctrl+C still stops it within seconds, with the usual message and exit code, and
the process exits although a thread is still stuck in that read."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX signals and FIFOs"),
]

MODEL = "tiny-shapes"
START_TIMEOUT_S = 120  # a generous bound on 2 busy cores for reaching the first batch
STOP_WITHIN_S = 10  # "a few seconds", with room for two busy cores

# The child runs the real CLI; the one change is that opening the stalled photo opens a
# FIFO nobody writes to instead, which blocks in the kernel as a hard-mounted share does.
CHILD = r"""
import os
import sys

stalled, fifo = sys.argv[1:3]
real_open = os.open


def stalling_open(path, flags, *args, **kw):
    if os.fsdecode(path) == stalled:
        return real_open(fifo, os.O_RDONLY)
    return real_open(path, flags, *args, **kw)


os.open = stalling_open
from photofind.cli import main

sys.exit(main(sys.argv[3:]))
"""


def test_ctrl_c_stops_an_index_run_stuck_in_a_read(tmp_path: Path):
    folder = tmp_path / "photos"
    photos = generate_library(folder, 12, seed=21, size_range=(300, 400))
    stalled = folder / "000-stalled.jpg"  # named first and written last: read first
    stalled.write_bytes(next(p.path for p in photos if p.path.suffix == ".jpg").read_bytes())
    fifo = tmp_path / "share.fifo"
    os.mkfifo(fifo)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    args = ["--data-dir", str(data), "--model", MODEL, "--provider", "cpu", "index", str(folder)]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(stalled), str(fifo), *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        encoding="utf-8", env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        for line in proc.stderr:
            if line.startswith("Indexing 0/") or time.monotonic() > deadline:
                break
        time.sleep(1.0)  # the main thread is now waiting on the stalled read
        assert proc.poll() is None, "the run ended although one read never returns"
        proc.send_signal(signal.SIGINT)
        try:
            stdout, rest = proc.communicate(timeout=STOP_WITHIN_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"photofind index did not stop within {STOP_WITHIN_S} s of Ctrl+C")
    finally:
        proc.kill()
        proc.wait()
        with contextlib.suppress(OSError):  # let a read still stuck (a failed run's) go
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert proc.returncode == 130, rest
    assert "Stopped; run 'photofind index' again to continue." in rest
    assert "Traceback" not in rest
    assert stdout.splitlines()[-1].startswith("Indexed "), stdout
