"""The thumbnail cache keeps what the library still asks for: on a real indexed library whose
cache the index runs wrote, an edited, a moved and a removed photo leave stale entries that
tidying removes, while an offline folder's entries and every current photo's grid entry
stay; the other buckets are kept to a budget, oldest first; a crash's old temporary file
goes; nothing that is not the cache's own is touched. Once a day, and a cache that cannot be
written is logged and left alone."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from helpers.disks import fill, read_only, small_tmpfs
from PIL import Image

from photofind.core.catalog_rows import FAILED
from photofind.core.config import app_paths
from photofind.core.library import open_library
from photofind.core.thumbnail_upkeep import STAMP_NAME, TIDY_EVERY_S, tidy_if_due, tidy_thumbnails
from photofind.core.thumbnails import GRID_BUCKET, ThumbnailCache, entry_key

MODEL = "tiny-shapes"
HOUR = 3600


def entry(cache: ThumbnailCache, path: Path, size: int, mtime_ns: int, bucket: int) -> Path:
    digest = entry_key(os.fsencode(os.path.abspath(path)), size, mtime_ns, bucket).hex()
    return cache.root / digest[:2] / f"{digest}.jpg"


def entry_of_file(cache: ThumbnailCache, path: Path, bucket: int = GRID_BUCKET) -> Path:
    st = os.stat(path)
    return entry(cache, path, st.st_size, st.st_mtime_ns, bucket)


def indexed(library) -> None:
    assert list(library.indexer().run())[-1].phase == "done"
    library.after_index_run()


def plant(folder: Path, name: str, age_s: float, data: bytes = b"x" * 100) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_stale_entries_go_and_what_the_library_asks_for_stays(tmp_path, make_library):
    photos = [p.path for p in make_library(10, seed=11, size_range=(300, 600))]
    away = [p.path for p in make_library(3, seed=12, name="drive", size_range=(300, 600))]
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos[0].parent)
    library.catalog.add_folder(away[0].parent)
    indexed(library)
    cache = library.thumbnails
    assert all(entry_of_file(cache, p).is_file() for p in photos + away)  # the run wrote them
    edited, moved, removed = photos[0], photos[1], photos[2]
    stale = [entry_of_file(cache, p) for p in (edited, moved, removed)]
    # Previews (512) of five photos written an hour apart: the budget keeps the newest two.
    previews = []
    for age, photo in enumerate(photos[3:8]):
        cache.load(photo, 500)
        previews.append(entry_of_file(cache, photo, 512))
        then = time.time() - (10 - age) * HOUR
        os.utime(previews[-1], (then, then))
    with Image.open(edited) as image:
        image.convert("RGB").rotate(90).save(edited, "JPEG", quality=60)
    moved_to = moved.parent / "sub" / moved.name
    moved_to.parent.mkdir()
    moved.rename(moved_to)
    removed.unlink()
    away_entries = [entry_of_file(cache, p) for p in away]
    shutil.move(away[0].parent, tmp_path / "drive-unplugged")  # its folder is now offline
    indexed(library)
    kept_rows = [r for r in library.catalog.all_photos().values() if r.status != FAILED]
    assert {r.path for r in kept_rows} >= set(away)  # the scanner keeps the offline rows

    sub = stale[0].parent
    old_temp = plant(sub, ".crashed.tmp", 2 * HOUR)
    new_temp = plant(sub, ".writing.tmp", 60)
    foreign = plant(sub, "notes.txt", 10 * HOUR)
    outside = plant(tmp_path / "elsewhere", "f" * 32 + ".jpg", 10 * HOUR)
    link = sub / ("e" * 32 + ".jpg")
    link.symlink_to(outside)
    budget = sum(p.stat().st_size for p in previews[-2:])
    # A moved photo's embedding is reused without a decode: no grid entry was written for it.
    grid = [entry(cache, r.path, r.size, r.mtime_ns, GRID_BUCKET) for r in kept_rows]
    grid = [p for p in grid if p.is_file()]
    assert len(grid) == len(kept_rows) - 1

    result = tidy_thumbnails(library.catalog, cache, budget_bytes=budget)

    assert not any(p.exists() for p in stale)
    assert all(p.is_file() for p in away_entries)
    assert all(p.is_file() for p in grid)
    assert [p.exists() for p in previews] == [False, False, False, True, True]
    assert not old_temp.exists() and new_temp.exists() and foreign.exists()
    assert outside.exists() and link.is_symlink()  # a link is not followed, nor removed
    assert result.removed == 3 + 3 + 1 and result.problem is None
    assert tidy_thumbnails(library.catalog, cache, budget_bytes=budget).removed == 0
    library.close()


def test_once_a_day(tmp_path, make_library):
    photos = [p.path for p in make_library(3, seed=13, size_range=(300, 400))]
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos[0].parent)
    indexed(library)
    cache = library.thumbnails
    first = tidy_if_due(library.catalog, cache)
    assert first is not None and first.looked_at == 3 and first.removed == 0
    stale = plant(cache.root / "ab", "ab" + "0" * 30 + ".jpg", 0)
    assert library.tidy_thumbnails() is None and stale.exists()  # the same day: not even listed
    stamp = cache.root / STAMP_NAME
    then = time.time() - TIDY_EVERY_S - 60
    os.utime(stamp, (then, then))
    again = library.tidy_thumbnails()
    assert again is not None and again.removed == 1 and not stale.exists()
    assert time.time() - stamp.stat().st_mtime < 60
    library.close()


def test_a_read_only_cache_is_logged_once_and_left_alone(tmp_path, make_library, caplog):
    photos = [p.path for p in make_library(3, seed=14, size_range=(300, 400))]
    paths = app_paths(tmp_path / "data")
    with small_tmpfs(paths.thumbnails_dir):
        library = open_library(paths, MODEL, "cpu")
        library.catalog.add_folder(photos[0].parent)
        indexed(library)
        cache = library.thumbnails
        stale = plant(cache.root / "ab", "ab" + "0" * 30 + ".jpg", 0)
        before = sorted(p.name for p in cache.root.rglob("*"))
        caplog.set_level(logging.WARNING)
        with read_only(paths.thumbnails_dir):
            by_stamp = library.tidy_thumbnails()
            direct = tidy_thumbnails(library.catalog, cache)
        assert by_stamp is not None and by_stamp.problem and by_stamp.removed == 0
        assert direct.problem and direct.removed == 0
        warnings = [r.getMessage() for r in caplog.records if r.name.endswith("thumbnail_upkeep")]
        assert len(warnings) == 2 and all("Read-only file system" in w for w in warnings)
        assert stale.exists() and sorted(p.name for p in cache.root.rglob("*")) == before
        library.close()


def test_a_missing_cache_is_nothing_to_do(tmp_path, make_library):
    photos = [p.path for p in make_library(2, seed=15, size_range=(300, 400))]
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos[0].parent)
    assert list(library.indexer(thumbnails=None).run())[-1].phase == "done"
    assert library.tidy_thumbnails() is None
    assert not library.paths.thumbnails_dir.exists()
    library.close()


def test_a_full_disk_is_tidied_and_a_cancel_stops_it(tmp_path, make_library):
    photos = [p.path for p in make_library(3, seed=16, size_range=(300, 400))]
    paths = app_paths(tmp_path / "data")
    with small_tmpfs(paths.thumbnails_dir, "1m"):
        library = open_library(paths, MODEL, "cpu")
        library.catalog.add_folder(photos[0].parent)
        indexed(library)
        cache = library.thumbnails
        stale = [plant(cache.root / "ab", f"ab{n:030d}.jpg", 0) for n in range(5)]
        fill(cache.root)
        cancel = threading.Event()
        cancel.set()
        stopped = tidy_thumbnails(library.catalog, cache, cancel=cancel)
        assert stopped.cancelled and stopped.removed == 0 and all(p.exists() for p in stale)
        done = library.tidy_thumbnails()  # the stamp is made on the full disk too
        assert done is not None and done.problem is None and done.removed == 5
        assert not any(p.exists() for p in stale)
        assert all(entry_of_file(cache, p).is_file() for p in photos)
        library.close()


def test_a_preview_read_counts_as_used_for_the_budget(tmp_path, make_library):
    photos = [p.path for p in make_library(3, seed=17, size_range=(600, 800))]
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos[0].parent)
    indexed(library)
    cache = library.thumbnails
    previews = []
    for age, photo in zip((3, 2), photos[:2], strict=True):  # days
        cache.load(photo, 500)
        previews.append(entry_of_file(cache, photo, 512))
        then = time.time() - age * TIDY_EVERY_S
        os.utime(previews[-1], (then, then))
    grid = entry_of_file(cache, photos[0])
    os.utime(grid, (time.time() - 5 * TIDY_EVERY_S,) * 2)
    grid_mtime = grid.stat().st_mtime
    cache.load(photos[0], 500)  # the older preview, read today
    cache.load(photos[0], 200)
    assert time.time() - previews[0].stat().st_mtime < 60 and grid.stat().st_mtime == grid_mtime
    mtime = previews[0].stat().st_mtime
    cache.load(photos[0], 500)
    assert previews[0].stat().st_mtime == mtime  # at most once a day
    budget = previews[0].stat().st_size
    assert tidy_thumbnails(library.catalog, cache, budget_bytes=budget).removed == 1
    assert previews[0].is_file() and not previews[1].exists()
    library.close()
