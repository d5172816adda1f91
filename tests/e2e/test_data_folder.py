"""The data folder's disk, locks and odd values, met through the ``photofind`` command in a
real process: a full disk (a small tmpfs, filled to several levels), a read-only one (the
tmpfs remounted read-only, or one file bind-mounted read-only), another program holding the
catalog's write lock, a folder name that is not UTF-8, a model name no file system holds.

Every case ends in one plain sentence or in an answer, never in "unexpected error", and
never in advice to throw away a catalog that is fine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

TIMEOUT_S = 120


def photofind(*args: str, data_dir: Path, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", os.fspath(data_dir)]
    # The demo model named on purpose: without a choice, 'index' would refuse it
    # (test_no_demo_model.py). A --model in ``args`` comes later and wins.
    cmd += ["--provider", "cpu", "--model", "tiny-shapes", *args]
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8",
        errors="backslashreplace", timeout=TIMEOUT_S, env={**clean, **(env or {})},
    )  # fmt: skip


def one_sentence(result, code: int = 1) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("photofind: "), result.stderr
    assert "unexpected" not in lines[0] and "Traceback" not in result.stderr
    return lines[0]


def last_sentence(result, code: int = 1) -> str:
    """The error that ended a run that had started (its progress lines come before it)."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("photofind: "), result.stderr
    return line


def test_a_model_name_longer_than_any_file_name_is_a_plain_sentence(tmp_path):
    line = one_sentence(photofind("--model", "m" * 300, "status", data_dir=tmp_path / "data"))
    assert "No model named" in line and len(line) < 300


def not_damage(line: str) -> None:
    """A full or read-only disk is never called damage, nor met with advice to move the
    catalog away or restore it."""
    for wrong in ("damaged", "cannot be opened", ".bak", "move it away", "restore"):
        assert wrong not in line, line


@pytest.fixture
def indexed_on_tmpfs(tmp_path):
    """48 photos (outside the disk) indexed into a data folder on a 6 MB tmpfs."""
    from helpers.disks import small_tmpfs

    photos = tmp_path / "photos"
    generate_library(photos, 48, seed=77, size_range=(200, 400))
    with small_tmpfs(tmp_path / "disk", "6m") as disk:
        data = disk / "data"
        assert photofind("index", os.fspath(photos), data_dir=data).returncode == 0
        yield photos, data, disk


def status_of(data: Path) -> dict:
    result = photofind("status", "--json", data_dir=data)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# Free bytes left on the disk: none, less than one SQLite page, a few pages, room for a
# little of the run but not all of it.
FILL_LEVELS = [0, 2_000, 40_000, 400_000]


@pytest.mark.parametrize("leave", FILL_LEVELS)
def test_a_full_disk_is_reported_as_full_and_looking_still_works(indexed_on_tmpfs, leave):
    from helpers.disks import fill, free_space

    photos, data, disk = indexed_on_tmpfs
    generate_library(photos / "more", 24, seed=78, size_range=(200, 400))
    (data / "index-tiny-shapes.hnsw").unlink()  # searches must rebuild it, in memory only
    files_before = sorted(p.name for p in data.iterdir())
    fill(disk, leave=leave)

    status = status_of(data)
    assert status["photos"] == 48
    found = photofind("search", "a red circle", "--json", "--all", data_dir=data)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["results"], "a search answers"
    similar = photofind("similar", os.fspath(next(photos.glob("*.png"))), "--all", data_dir=data)
    assert similar.returncode == 0, similar.stderr
    assert not (data / "index-tiny-shapes.hnsw").exists(), "a search wrote the index"

    if leave == 0:
        line = one_sentence(photofind("model", "use", "tiny-shapes", data_dir=data))
        assert f"The disk holding {data / 'models'} is full" in line, line
        not_damage(line)
    indexing = photofind("index", data_dir=data)
    if indexing.returncode != 0:
        line = indexing.stderr.strip().splitlines()[-1]
        assert indexing.returncode == 1 and "unexpected" not in indexing.stderr, indexing.stderr
        assert f"The disk holding {data} is full; free some space on it" in line, line
        assert "nothing was lost" in line
        not_damage(line)

    free_space(disk)
    assert status_of(data)["photos"] >= 48, "the catalog was fine all along"
    again = photofind("index", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert status_of(data)["photos"] == 72
    assert {"catalog.sqlite3", "index-tiny-shapes.hnsw"} <= set(os.listdir(data))
    assert set(files_before) - {"catalog.sqlite3-wal", "catalog.sqlite3-shm"} <= set(
        os.listdir(data)
    )


def test_a_read_only_data_folder_answers_searches_and_refuses_changes_plainly(
    indexed_on_tmpfs,
):
    from helpers.disks import read_only

    photos, data, disk = indexed_on_tmpfs
    with read_only(disk):
        assert status_of(data)["photos"] == 48
        found = photofind("search", "a blue square", "--all", data_dir=data)
        assert found.returncode == 0 and found.stdout.splitlines(), found.stderr

        line = one_sentence(photofind("index", data_dir=data))
        assert f"The data folder {data} is not writable" in line and "--data-dir" in line
        not_damage(line)
        line = one_sentence(photofind("model", "use", "tiny-shapes", data_dir=data))
        assert "cannot be written (Read-only file system)" in line
        not_damage(line)


def test_a_read_only_catalog_file_in_a_writable_folder_is_a_plain_sentence(indexed_on_tmpfs):
    import subprocess as sp

    photos, data, disk = indexed_on_tmpfs
    generate_library(photos / "more", 6, seed=79, size_range=(200, 400))
    catalog = os.fspath(data / "catalog.sqlite3")
    if sp.run(["mount", "--bind", catalog, catalog]).returncode != 0:
        pytest.skip("this machine refuses a bind mount")
    try:
        if sp.run(["mount", "-o", "remount,bind,ro", catalog]).returncode != 0:
            pytest.skip("this machine refuses a read-only bind mount")
        line = one_sentence(photofind("index", data_dir=data))
        assert f"The catalog {catalog} is read-only" in line, line
        assert "nothing was changed" in line
        not_damage(line)
        assert status_of(data)["photos"] == 48
    finally:
        sp.run(["umount", catalog], check=False)
    assert photofind("index", data_dir=data).returncode == 0
    assert status_of(data)["photos"] == 54


HOLD_WRITE_LOCK = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    print("holding", flush=True)
    time.sleep(60)
    """
)


def test_another_program_holding_the_write_lock(tmp_path):
    photos = tmp_path / "photos"
    generate_library(photos, 12, seed=80, size_range=(200, 400))
    data = tmp_path / "data"
    assert photofind("index", os.fspath(photos), data_dir=data).returncode == 0
    generate_library(photos / "more", 3, seed=81, size_range=(200, 400))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, os.fspath(data / "catalog.sqlite3")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        quick = {"PHOTOFIND_BUSY_TIMEOUT_S": "1"}
        assert status_of(data)["photos"] == 12  # looking needs no lock
        found = photofind("search", "a green triangle", "--all", data_dir=data, env=quick)
        assert found.returncode == 0, found.stderr
        assert "locked" not in found.stderr and "unexpected" not in found.stderr
        line = last_sentence(photofind("index", data_dir=data, env=quick))
        assert "Another program (another photofind?) is using the library" in line
        assert "try again when it finishes" in line
    finally:
        holder.kill()
        holder.wait()
    assert photofind("index", data_dir=data).returncode == 0
    assert status_of(data)["photos"] == 15


def test_a_data_folder_whose_name_is_not_utf8(tmp_path):
    photos = tmp_path / "photos"
    generate_library(photos, 8, seed=82, size_range=(200, 400))
    data = tmp_path / os.fsdecode(b"donn\xe9es-\xff")
    indexing = photofind("index", os.fspath(photos), data_dir=data)
    assert indexing.returncode == 0, indexing.stderr
    assert (data / "index-tiny-shapes.hnsw").is_file()
    assert status_of(data)["photos"] == 8
    found = photofind("search", "a red circle", "--json", "--all", data_dir=data)
    assert found.returncode == 0 and json.loads(found.stdout)["results"]


def test_the_command_line_prints_the_hint_after_the_sentence(tmp_path):
    data = tmp_path / "data"
    data.write_text("not a folder")
    line = one_sentence(photofind("status", data_dir=data))
    assert line == (
        f"photofind: The data folder {data} is a file, not a folder. Or choose another data "
        "folder with --data-dir."
    )
