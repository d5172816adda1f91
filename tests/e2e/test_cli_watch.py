"""``photofind watch`` run as a user runs it: a real process that indexes a photo copied into
the library while it runs, and stops on SIGTERM or Ctrl+C with exit code 0."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

MODEL = "tiny-shapes"
TIMEOUT_S = 120  # a generous bound on 2 busy cores, not a speed requirement


def command(*args: str, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "photofind", "--data-dir", str(data_dir), "--model", MODEL,
            "--provider", "cpu", *args]  # fmt: skip


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args, data_dir=data_dir), stdin=subprocess.DEVNULL, capture_output=True,
        encoding="utf-8", timeout=TIMEOUT_S, env=clean_env(), cwd=data_dir.parent,
    )  # fmt: skip


def found(path: Path, data_dir: Path) -> bool:
    result = run("search", "a red circle", "--all", "-k", "100", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return os.fspath(path) in {r["path"] for r in json.loads(result.stdout)["results"]}


def start_watch(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command("watch", *args, data_dir=data_dir), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", env=clean_env(),
        cwd=data_dir.parent,
    )  # fmt: skip


def wait_for_line(proc: subprocess.Popen[str]) -> str:
    """The next line on stdout that reports an index run ('12:34:56  2 new photos')."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line[:2].isdigit() and line[2] == ":":
            return line
    raise AssertionError(f"watch ended early: {proc.wait()} {proc.stderr.read()}")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_watch_indexes_a_photo_copied_in_and_stops_cleanly(tmp_path: Path, stop: int):
    photos = tmp_path / "photos"
    for p in generate_library(photos, 4, seed=12, size_range=(200, 300)):
        os.utime(p.path, (time.time() - 3600, time.time() - 3600))  # copied with their times
    newcomer = generate_library(tmp_path / "new", 1, seed=13, size_range=(200, 300))[0].path
    data = tmp_path / "data"
    proc = start_watch(str(photos), data_dir=data)
    try:
        first = wait_for_line(proc)
        target = photos / newcomer.name
        shutil.copy(newcomer, target)
        deadline = time.monotonic() + TIMEOUT_S
        while not found(target, data):
            assert time.monotonic() < deadline, "the copied photo never became searchable"
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.2)
        again = wait_for_line(proc)
        proc.send_signal(stop)
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "4 new photos" in first
    assert "1 new photo" in again
    assert "stopping" in stderr


def test_watch_refuses_what_index_refuses(tmp_path: Path):
    data = tmp_path / "data"
    (tmp_path / "a-file.jpg").write_bytes(b"x")
    for bad in ("", os.fspath(tmp_path / "a-file.jpg"), "/proc"):
        result = run("watch", bad, data_dir=data)
        assert result.returncode == 2, (bad, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("photofind: ")
    result = run("watch", data_dir=data)  # no library folders at all
    assert result.returncode == 2 and "photofind index FOLDER" in result.stderr


def test_index_low_impact(tmp_path: Path):
    photos = tmp_path / "photos"
    generate_library(photos, 3, seed=14, size_range=(200, 300))
    result = run("index", "--low-impact", str(photos), data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "Indexed 3 new photos" in result.stdout
