"""One window per library, end to end: a real `photofind gui` runs (offscreen); a second
`photofind gui FOLDER` on the same data folder hands the folder over and exits at once, and
the running window adds it to its library."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from photofind.gui.single_instance import hand_over

ROOT = Path(__file__).resolve().parents[2]


def _photofind(data: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "photofind", "--data-dir", str(data), "--model", "tiny-shapes",
         "--provider", "cpu", "gui", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip


def _folders(data: Path) -> list[str]:
    db = sqlite3.connect(f"file:{data / 'catalog.sqlite3'}?mode=ro", uri=True)
    try:
        return [os.fsdecode(r[0]) for r in db.execute("SELECT path FROM folders")]
    except sqlite3.OperationalError:
        return []  # not made yet
    finally:
        db.close()


def test_a_second_launch_hands_its_folder_to_the_running_window_and_exits(
    qtbot, tmp_path, make_library
):
    folder = make_library(4, name="handed")[0].path.parent
    data = tmp_path / "data"
    first = _photofind(data)
    try:
        # The first one listens once its window is up (an empty hand-over is a ping).
        qtbot.waitUntil(lambda: first.poll() is None and hand_over(data, []), timeout=60_000)
        second = _photofind(data, str(folder))
        started = time.monotonic()
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err.decode()
        assert time.monotonic() - started < 60
        qtbot.waitUntil(lambda: str(folder) in _folders(data), timeout=30_000)
        assert first.poll() is None  # the first window runs on
    finally:
        first.send_signal(signal.SIGINT)  # Ctrl+C closes the window like Quit
        try:
            first.wait(timeout=30)
        except subprocess.TimeoutExpired:
            first.kill()
            first.wait()
    assert first.returncode == 0, first.stderr.read().decode() if first.stderr else ""
