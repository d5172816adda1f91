"""Catalog backups: made with SQLite's backup API after a run that changed the catalog,
checked before they replace an older one, two kept; a damaged catalog never replaces a good
backup, and a disk too full for a backup costs the backup, not the run."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from helpers.damage import damage_leaves

from photofind.core import backup
from photofind.core.backup import back_up, back_up_if_changed, backup_paths, check_file
from photofind.core.catalog import Catalog, IndexedPhoto
from photofind.core.errors import CatalogDamagedError, DiskFullError

MODEL = "model-a"


def add_photo(cat: Catalog, folder: Path, n: int) -> int:
    photo = IndexedPhoto(folder / f"{n}.jpg", 100 + n, n, bytes([n % 256]) * 16, 64, 48, 0.0)
    return cat.record_indexed(photo, MODEL, np.full(8, n, dtype=np.float32))


def photo_count(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT count(*) FROM photos").fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def cat(tmp_path: Path):
    catalog = Catalog(tmp_path / "data" / "catalog.sqlite3")
    yield catalog
    catalog.close()


def test_backups_rotate_two_are_kept_each_whole_and_self_contained(cat, tmp_path):
    newest, older = backup_paths(cat.path)
    for n in range(3):
        add_photo(cat, tmp_path, n)
        assert back_up(cat) == newest
    for n in range(3, 30):
        add_photo(cat, tmp_path, n)
    back_up(cat)
    assert photo_count(newest) == 30 and photo_count(older) == 3
    assert check_file(newest) is None and check_file(older) is None
    assert sorted(p.name for p in newest.parent.iterdir()) == [newest.name, older.name]
    assert backup.made_at(newest) >= backup.made_at(older)


def test_only_a_run_that_changed_the_catalog_is_backed_up(cat, tmp_path):
    newest = backup_paths(cat.path)[0]
    assert back_up_if_changed(cat, cat.changes) == cat.changes
    assert not newest.exists(), "an empty catalog has nothing to keep"
    add_photo(cat, tmp_path, 1)
    seen = back_up_if_changed(cat, 0)
    assert newest.exists() and seen == cat.changes
    stamp = newest.stat().st_mtime_ns
    assert back_up_if_changed(cat, seen) == seen
    assert newest.stat().st_mtime_ns == stamp, "no change, no new backup"


def test_a_damaged_catalog_is_reported_and_never_replaces_a_good_backup(cat, tmp_path):
    for n in range(200):
        add_photo(cat, tmp_path, n)
    back_up(cat)
    add_photo(cat, tmp_path, 500)
    back_up(cat)
    good = [p.read_bytes() for p in backup_paths(cat.path)]
    cat.close()
    damage_leaves(cat.path, "embeddings")
    damaged = Catalog(cat.path)  # opening reads no embedding page: the damage is unseen yet
    try:
        add_photo(damaged, tmp_path, 501)
        with pytest.raises(CatalogDamagedError, match="is damaged") as err:
            back_up_if_changed(damaged, 0)
        assert "photofind repair" in err.value.hint
    finally:
        damaged.close()
    assert [p.read_bytes() for p in backup_paths(cat.path)] == good
    assert not list(backup_paths(cat.path)[0].parent.glob("*.tmp"))


def test_no_room_for_a_backup_costs_the_backup_not_the_run(cat, tmp_path, monkeypatch, caplog):
    from helpers.disks import fill, small_tmpfs

    with small_tmpfs(tmp_path / "disk", "2m") as disk:
        on_disk = Catalog(disk / "catalog.sqlite3")
        try:
            for n in range(50):
                add_photo(on_disk, tmp_path, n)
            back_up(on_disk)
            first = backup_paths(on_disk.path)[0].read_bytes()
            add_photo(on_disk, tmp_path, 99)
            fill(disk, leave=60_000)  # room for the run's commits, not for a whole copy
            with pytest.raises(
                DiskFullError, match=f"not enough free space on the disk holding {disk} "
            ):
                back_up(on_disk)
            with caplog.at_level(logging.WARNING, logger="photofind.core.backup"):
                assert back_up_if_changed(on_disk, 0) == 0
            assert "the earlier backups are kept" in caplog.text
            assert backup_paths(on_disk.path)[0].read_bytes() == first
            assert on_disk.has_photos()
        finally:
            on_disk.close()
