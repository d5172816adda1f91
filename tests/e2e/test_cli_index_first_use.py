"""The search index loads at its first use, not when a command opens the library: a catalog
whose vectors are damaged, met only then, is still one plain sentence and exit code 1 from
every command that needs the index, before it has changed anything; ``status`` needs none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.damage import damage_leaves

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

TIMEOUT_S = 120


def photofind(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", os.fspath(data_dir), "--provider",
           "cpu", "--model", "tiny-shapes", *args]  # fmt: skip
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8", timeout=TIMEOUT_S,
        env=env,
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[Path, Path]:
    """A library whose index files are gone and whose stored vectors are damaged: the first
    use of the index must read them all, and cannot."""
    photos = tmp_path / "photos"
    generate_library(photos, 80, seed=92, size_range=(200, 400))
    data = tmp_path / "data"
    ok(photofind("index", os.fspath(photos), data_dir=data))
    for f in data.glob("index-*"):
        f.unlink()
    damage_leaves(data / "catalog.sqlite3", "embeddings", count=2)
    return photos, data


def test_commands_that_need_the_index_say_the_catalog_is_damaged(damaged, tmp_path):
    photos, data = damaged
    catalog = data / "catalog.sqlite3"
    status = json.loads(ok(photofind("status", "--json", data_dir=data)))
    assert status["folders"] == [os.fspath(photos)], "status reads no vector"
    elsewhere = tmp_path / "elsewhere"
    generate_library(elsewhere, 2, seed=93, size_range=(200, 300))
    commands = [
        ["search", "a red circle"],
        ["similar", os.fspath(next(p for p in photos.iterdir() if p.suffix == ".jpg"))],
        ["duplicates"],
        ["index", os.fspath(elsewhere)],
        ["folder", "remove", os.fspath(photos)],
    ]
    for command in commands:
        result = photofind(*command, data_dir=data)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"The catalog {catalog} is damaged" in lines[0], command
    after = json.loads(ok(photofind("status", "--json", data_dir=data)))
    assert after["folders"] == [os.fspath(photos)], "no folder was added or removed"
    assert after["photos"] == status["photos"]
    assert not list(data.glob("index-*")), "no index was written from the damaged catalog"
