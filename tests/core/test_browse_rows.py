"""The browse rows and the folder tree read in one statement agree with the catalog read a
row at a time and sorted by SQLite: the order (EXIF dates, file times to the nanosecond,
equal dates, undated photos), each row's path and size, the month sections, scoping to a
folder, a folder whose name is not UTF-8, and the tree made from the rows' paths."""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from photofind.core.browse import EXIF, FILE_TIME, UNKNOWN, browse_order, folder_tree
from photofind.core.browse_rows import browse_rows
from photofind.core.config import app_paths
from photofind.core.library import Library, open_library

MODEL = "tiny-shapes"


def write_photo(path: Path, *, seed: int, size: tuple[int, int],
                exif_date: datetime | None = None, mtime_ns: int | None = None) -> None:  # fmt: skip
    rng = random.Random(seed)
    img = Image.new("RGB", size)
    for x in range(0, size[0], 16):
        for y in range(0, size[1], 16):
            img.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + 16, y + 16))
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if exif_date is not None:
        when = exif_date.strftime("%Y:%m:%d %H:%M:%S")
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = when
    img.save(path, "JPEG", exif=exif)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.fixture
def lib(tmp_path: Path):
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    yield library
    library.close()


@pytest.fixture
def library(tmp_path: Path, lib: Library) -> Path:
    """Three levels of folders, one named in Latin-1 bytes; EXIF dates (two equal), file
    times with nanoseconds that a 15-digit date would lose, a broken file; then two photos
    made undated and two made to look like an older catalog's rows (no date source)."""
    root = tmp_path / "Pictures"
    latin = Path(os.fsdecode(os.path.join(os.fsencode(root), b"caf\xe9", b"2019")))
    folders = [root, root / "trip", root / "trip" / "day2", latin, root / "trip2"]
    base_ns = int(datetime(2021, 3, 5, 10).timestamp()) * 10**9
    for i in range(30):
        folder = folders[i % len(folders)]
        size = (32 + 16 * (i % 5), 32 + 16 * (i % 3))
        if i % 3 == 0:
            day = datetime(2020 + i % 4, 1 + i % 12, 1 + i % 27, 12)
            write_photo(folder / f"exif_{i:02d}.jpg", seed=i, size=size, exif_date=day)
        else:
            mtime = base_ns + i * 86_400 * 10**9 * 17 + 123_456_789 + i
            write_photo(folder / f"file_{i:02d}.jpg", seed=i, size=size, mtime_ns=mtime)
    same = datetime(2022, 8, 8, 8, 8, 8)
    write_photo(root / "same_a.jpg", seed=100, size=(48, 48), exif_date=same)
    write_photo(root / "trip" / "same_b.jpg", seed=101, size=(64, 48), exif_date=same)
    (root / "trip" / "broken.jpg").write_bytes(b"not an image")
    lib.catalog.add_folder(root)
    assert list(lib.indexer().run())[-1].phase == "done"
    ids = {os.path.basename(p): i for i, p in lib.catalog.select("SELECT id, path FROM photos")}
    with lib.catalog.transaction() as db:
        for name in (b"exif_03.jpg", b"file_07.jpg"):
            db.execute("UPDATE photos SET taken_at = NULL WHERE id = ?", (ids[name],))
        for name in (b"exif_06.jpg", b"file_08.jpg"):
            db.execute("UPDATE photos SET date_source = NULL WHERE id = ?", (ids[name],))
    return root


def expected(lib: Library, folder: Path | None = None) -> list[tuple]:
    """(id, date, source, raw path, width, height) a row at a time, sorted by SQLite."""
    rows = lib.catalog.select(
        "SELECT id, taken_at, path, IFNULL(width, 0), IFNULL(height, 0) FROM photos "
        "WHERE status = 'indexed' ORDER BY taken_at IS NULL, taken_at DESC, id DESC"
    )
    if folder is not None:
        below = os.path.join(os.fsencode(folder), b"")
        rows = [r for r in rows if r[2].startswith(below)]

    def source(name: bytes, taken_at: float | None) -> str | None:
        if taken_at is None:
            return UNKNOWN
        return EXIF if name.startswith(b"exif_") or name.startswith(b"same_") else FILE_TIME

    return [(i, t or 0.0, source(os.path.basename(p), t), p, w, h) for i, t, p, w, h in rows]


def shown(rows) -> list[tuple]:
    order = rows.order
    return [
        (int(order.ids[r]), float(order.taken_at[r]), order.date_source(r), rows.raw_paths[r],
         int(rows.widths[r]), int(rows.heights[r]))
        for r in range(len(rows))
    ]  # fmt: skip


def test_rows_agree_with_the_catalog_read_row_by_row(lib: Library, library: Path) -> None:
    rows = browse_rows(lib.catalog)

    assert shown(rows) == expected(lib)
    assert len(rows) == 32  # the broken file has no row
    assert rows.order.date_source(len(rows) - 1) is UNKNOWN
    names = [os.path.basename(p) for p in rows.raw_paths]
    assert names.index(b"same_b.jpg") == names.index(b"same_a.jpg") + 1  # added later: first
    nanos = [float(t) for t in rows.order.taken_at if float(t) % 1]
    assert nanos and all(t != float(f"{t:.15g}") for t in nanos)  # exact, not 15 digits
    assert rows.widths.dtype == np.int32 and rows.order.ids.dtype == np.int64
    assert np.array_equal(browse_order(lib.catalog).ids, rows.order.ids)


def test_month_sections_follow_the_dates(lib: Library, library: Path) -> None:
    order = browse_rows(lib.catalog).order
    months = [
        (datetime.fromtimestamp(t).year, datetime.fromtimestamp(t).month)
        if order.date_source(r) is not UNKNOWN else (None, None)
        for r, t in enumerate(order.taken_at.tolist())
    ]  # fmt: skip
    sections = []
    for row, month in enumerate(months):
        if sections and sections[-1][0] == month:
            sections[-1][2] += 1
        else:
            sections.append([month, row, 1])

    assert [((s.year, s.month), s.start, s.count) for s in order.sections] == [
        tuple(s) for s in sections
    ]
    assert order.sections[-1].year is None and order.sections[-1].count == 2


def test_scoped_rows_agree_too(lib: Library, library: Path) -> None:
    latin = Path(os.fsdecode(os.path.join(os.fsencode(library), b"caf\xe9")))
    for folder in (library / "trip", latin, library / "trip" / "day2"):
        rows = browse_rows(lib.catalog, folder)
        assert rows.folder == folder
        assert shown(rows) == expected(lib, folder) and len(rows) > 0
    assert len(expected(lib, library / "trip")) == 13  # not trip2's: the prefix is a folder


def test_the_tree_from_the_rows_paths_is_the_tree_the_catalog_gives(
    lib: Library, library: Path
) -> None:
    rows = browse_rows(lib.catalog)

    tree = folder_tree(lib.catalog, rows.raw_paths)

    assert tree == folder_tree(lib.catalog)
    counts = Counter(os.path.dirname(p) for p in rows.raw_paths)
    (root,) = tree.roots
    assert (tree.photos, root.photos) == (32, 32)
    by_name = {os.fsencode(c.name): c for c in root.children}
    assert sorted(by_name) == [b"caf\xe9", b"trip", b"trip2"]
    latin = by_name[b"caf\xe9"]
    assert os.fsencode(latin.path) == os.path.join(os.fsencode(library), b"caf\xe9")
    (year,) = latin.children
    assert latin.photos == year.photos == counts[os.fsencode(year.path)] == 6
    trip = by_name[b"trip"]
    assert trip.photos == 13 and [c.name for c in trip.children] == ["day2"]


def test_an_empty_library_and_an_empty_folder(lib: Library, tmp_path: Path) -> None:
    rows = browse_rows(lib.catalog)
    assert len(rows) == 0 and rows.raw_paths == [] and rows.order.sections == ()
    assert rows.widths.dtype == np.int32
    scoped = browse_rows(lib.catalog, tmp_path / "nowhere")
    assert len(scoped) == 0 and scoped.folder == tmp_path / "nowhere"
    assert folder_tree(lib.catalog, rows.raw_paths) == folder_tree(lib.catalog)
