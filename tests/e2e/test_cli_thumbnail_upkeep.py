"""``photofind index`` tidies the thumbnail cache when the run changed the library and a day
has passed since the last tidy: a removed photo's entry and a stray stale entry go, the
current photos' entries stay, and the command says nothing more than before."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofind.core.shapes import generate_library
from photofind.core.thumbnail_upkeep import STAMP_NAME, TIDY_EVERY_S
from photofind.core.thumbnails import GRID_BUCKET, ThumbnailCache

pytestmark = pytest.mark.slow


def photofind(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    cmd = [sys.executable, "-m", "photofind", "--data-dir", str(data_dir)]
    cmd += ["--model", "tiny-shapes", "--provider", "cpu", *args]
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8",
        timeout=120, env=env, cwd=data_dir.parent,
    )  # fmt: skip


def test_index_removes_stale_thumbnails_when_due(tmp_path: Path):
    photos = [p.path for p in generate_library(tmp_path / "photos", 6, seed=21)]
    data = tmp_path / "data"
    first = photofind("index", str(tmp_path / "photos"), data_dir=data)
    assert first.returncode == 0, first.stderr
    cache = ThumbnailCache(data / "cache" / "thumbnails")
    entries = {p: cache.entry_path(p, GRID_BUCKET) for p in photos}
    assert all(e.is_file() for e in entries.values())
    stamp = cache.root / STAMP_NAME
    assert stamp.is_file()  # the first run changed the library: tidied, and remembered

    gone, stray = photos[0], cache.root / "ab" / ("ab" + "0" * 30 + ".jpg")
    gone.unlink()
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"\xff\xd8 no photo has this key")
    same_day = photofind("index", data_dir=data)
    assert same_day.returncode == 0, same_day.stderr
    assert entries[gone].is_file() and stray.is_file()  # tidied today already

    then = time.time() - TIDY_EVERY_S - 60
    os.utime(stamp, (then, then))
    photos[1].unlink()
    next_day = photofind("index", data_dir=data)
    assert next_day.returncode == 0 and next_day.stderr == same_day.stderr  # no more said
    assert next_day.stdout.splitlines()[-1].startswith("Indexed 0 new photos")
    assert "removed" in next_day.stdout and len(next_day.stdout.splitlines()) == 1
    assert not entries[gone].exists() and not entries[photos[1]].exists()
    assert not stray.exists()
    assert all(entries[p].is_file() for p in photos[2:])
