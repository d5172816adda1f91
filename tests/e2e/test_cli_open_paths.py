"""``photofind PATH...`` with no command word, as a file manager's "Open with" runs it: a real
process opens the window (offscreen) with the folder added to its library, and every command
still means itself, even beside a file of the same name."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofind.cli import _gui_for_paths as gui_for_paths
from photofind.cli import build_parser
from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    return {**env, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


def _folders(data: Path) -> list[str]:
    catalog = data / "catalog.sqlite3"
    if not catalog.exists():
        return []
    db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    try:
        return [os.fsdecode(r[0]) for r in db.execute("SELECT path FROM folders")]
    except sqlite3.OperationalError:
        return []  # not made yet
    finally:
        db.close()


def test_a_folder_alone_on_the_command_line_opens_the_window_with_it(tmp_path):
    photos = tmp_path / "photos"
    generate_library(photos, 4, seed=3, size_range=(120, 200))
    data = tmp_path / "data"
    window = subprocess.Popen(
        [sys.executable, "-m", "photofind", "--data-dir", str(data), "--model", "tiny-shapes",
         "--provider", "cpu", "photos"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=_env(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while str(photos) not in _folders(data) and time.monotonic() < deadline:
            assert window.poll() is None, window.stderr.read().decode() if window.stderr else ""
            time.sleep(0.2)
        assert str(photos) in _folders(data)
        assert window.poll() is None  # the window is open, not a command that ended
    finally:
        window.send_signal(signal.SIGINT)  # Ctrl+C closes the window like Quit
        try:
            window.wait(timeout=30)
        except subprocess.TimeoutExpired:
            window.kill()
            window.wait()
    err = window.stderr.read().decode() if window.stderr else ""
    assert window.returncode == 0, err
    assert "Traceback" not in err


def test_a_command_beside_a_file_of_its_name_is_still_the_command(tmp_path):
    (tmp_path / "status").mkdir()  # a folder called "status" where the command runs
    result = subprocess.run(
        [sys.executable, "-m", "photofind", "--data-dir", str(tmp_path / "data"), "--model",
         "tiny-shapes", "status"],
        capture_output=True, encoding="utf-8", cwd=tmp_path, env=_env(), timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "photos" in result.stdout.lower()


def test_a_word_that_is_neither_a_command_nor_a_path_stays_a_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "photofind", "--data-dir", str(tmp_path / "data"), "serch", "x"],
        capture_output=True, encoding="utf-8", cwd=tmp_path, env=_env(), timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_option_values_are_not_taken_for_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "pic.jpg").write_bytes(b"")
    parser = build_parser()
    assert gui_for_paths(parser, ["--data-dir", "data", "index"]) == ["--data-dir", "data", "index"]
    assert gui_for_paths(parser, ["--data", "data", "pic.jpg"]) == [
        "--data",
        "data",
        "gui",
        "pic.jpg",
    ]
    assert gui_for_paths(parser, ["--data-dir=data", "pic.jpg"]) == [
        "--data-dir=data",
        "gui",
        "pic.jpg",
    ]
    assert gui_for_paths(parser, ["data"]) == ["gui", "data"]
    assert gui_for_paths(parser, []) == []
