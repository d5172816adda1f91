"""A catalog damaged on disk, met and mended through the ``photofind`` command in a real
process: real index runs make the backups, real pages of the real file are overwritten, and
``photofind repair`` restores the newest good backup or salvages what SQLite can still read.
Then ``index`` finds what is missing and ``search`` answers again."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers.damage import damage_leaves

from photofind.core.shapes import generate_library

pytestmark = pytest.mark.slow

TIMEOUT_S = 120


def photofind(*args: str, data_dir: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    # The demo model named on purpose: without a choice, 'index' would refuse it
    # (test_no_demo_model.py).
    cmd = [sys.executable, "-m", "photofind", "--data-dir", os.fspath(data_dir), "--provider",
           "cpu", "--model", "tiny-shapes", *args]  # fmt: skip
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, capture_output=True, encoding="utf-8", timeout=TIMEOUT_S,
        env=env,
    )  # fmt: skip


def ok(result) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def photos_in_status(data: Path) -> int:
    return json.loads(ok(photofind("status", "--json", data_dir=data)))["photos"]


@pytest.fixture
def library(tmp_path):
    """96 photos indexed in two runs (so two backups), the catalog closed and whole."""
    photos = tmp_path / "photos"
    generate_library(photos, 80, seed=90, size_range=(200, 400))
    data = tmp_path / "data"
    ok(photofind("index", os.fspath(photos), data_dir=data))
    generate_library(photos / "later", 16, seed=91, size_range=(200, 400))
    ok(photofind("index", data_dir=data))
    backups = sorted((data / "backups").iterdir())
    assert [p.name for p in backups] == ["catalog-1.sqlite3", "catalog-2.sqlite3"]
    assert photos_in_status(data) == 96
    wal = data / "catalog.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "closed: everything is in the file"
    return photos, data


def search_works(data: Path, photos: Path) -> None:
    hits = json.loads(ok(photofind("search", "a red circle", "--json", "--all", "-k", "5",
                                   data_dir=data)))["results"]  # fmt: skip
    assert 1 <= len(hits) <= 5 and all(Path(h["path"]).is_file() for h in hits)
    assert all(Path(h["path"]).is_relative_to(photos) for h in hits)


def test_a_damaged_catalog_is_named_and_repair_restores_the_newest_backup(library):
    photos, data = library
    catalog = data / "catalog.sqlite3"
    damage_leaves(catalog, "photos")
    damaged_bytes = catalog.read_bytes()

    for command in (["index"], ["status"]):
        result = photofind(*command, data_dir=data)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        line = result.stderr.strip().splitlines()[-1]
        assert f"The catalog {catalog} is damaged" in line, line
        assert "photofind repair" in line and "unexpected" not in result.stderr
        assert ".bak" not in line

    out = ok(photofind("repair", data_dir=data))
    assert "The catalog was damaged" in out
    assert "Restored the backup of " in out and "catalog-1.sqlite3): 96 photos." in out
    kept = list(data.glob("catalog.sqlite3.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged_bytes, "the damaged file is kept"
    assert f"kept as {kept[0]}" in out

    indexing = ok(photofind("index", data_dir=data))
    assert "Indexed 0 new photos" in indexing and "96 unchanged" in indexing
    assert photos_in_status(data) == 96
    search_works(data, photos)
    assert "healthy" in ok(photofind("repair", data_dir=data))


def test_salvage_recovers_what_can_be_read_and_index_finds_the_rest(library):
    photos, data = library
    catalog = data / "catalog.sqlite3"
    damage_leaves(catalog, "photos")
    damage_leaves(catalog, "embeddings", count=2)

    out = ok(photofind("repair", "--salvage", data_dir=data))
    recovered = int(out.split("Recovered ")[1].split(" photo")[0])
    assert 0 < recovered < 96, out
    assert f"({96 - recovered} could not be read)" in out
    assert len(list(data.glob("catalog.sqlite3.damaged-*"))) == 1
    assert not list(data.glob("index-*")), "index files are rebuilt from the repaired catalog"

    indexing = ok(photofind("index", data_dir=data))
    new, unchanged = (
        int(n) for n in re.findall(r"Indexed (\d+) new.* (\d+) unchanged", indexing)[0]
    )
    # the photos whose rows were lost, and those whose vectors were, are encoded again
    assert new >= 96 - recovered and new + unchanged == 96, indexing
    assert photos_in_status(data) == 96
    search_works(data, photos)
    db = sqlite3.connect(catalog)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        paths = [os.fsdecode(r[0]) for r in db.execute("SELECT path FROM photos")]
    finally:
        db.close()
    assert len(paths) == len(set(paths)) == 96


def test_without_a_backup_repair_salvages(library):
    photos, data = library
    for backup in (data / "backups").iterdir():
        backup.unlink()
    catalog = data / "catalog.sqlite3"
    catalog.write_bytes(b"\0" * 100 + catalog.read_bytes()[100:])  # the header is gone
    out = ok(photofind("repair", data_dir=data))
    assert "Recovered 96 photos from the damaged catalog." in out, out
    indexing = ok(photofind("index", data_dir=data))
    assert "Indexed 0 new photos" in indexing and "96 unchanged" in indexing
    assert photos_in_status(data) == 96
    search_works(data, photos)


HOLD_OPEN = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("SELECT count(*) FROM photos").fetchall()
    print("open", flush=True)
    time.sleep(60)
    """
)


def test_repair_waits_for_the_window_to_close_the_library(library):
    photos, data = library
    catalog = data / "catalog.sqlite3"
    damage_leaves(catalog, "photos")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, os.fspath(catalog)],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        result = photofind("repair", data_dir=data)
        assert result.returncode == 1
        assert "has the library in" in result.stderr and "close it, then repair" in result.stderr
        assert not list(data.glob("catalog.sqlite3.damaged-*"))
    finally:
        holder.kill()
        holder.wait()
    assert "Restored" in ok(photofind("repair", data_dir=data))
