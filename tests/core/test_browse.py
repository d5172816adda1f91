"""Browsing without a query, on real files indexed with the tiny model: newest first by the
EXIF date or else the file time (and which one it is), month sections, scoping to a folder,
the folder tree with counts, an offline library folder and an unreadable subfolder."""

from __future__ import annotations

import os
import random
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from photofind.core.browse import EXIF, FILE_TIME, browse_order, folder_tree, photo_ids_below
from photofind.core.config import app_paths
from photofind.core.library import Library, open_library
from photofind.core.library_folders import OFFLINE, OK, UNREADABLE

MODEL = "tiny-shapes"


def write_photo(path: Path, *, seed: int, exif_date: datetime | None = None,
                file_date: datetime | None = None) -> Path:  # fmt: skip
    """A small JPEG of random blocks (no two alike: identical bytes would be one photo
    copied), with an EXIF capture time and a file modification time when given."""
    rng = random.Random(seed)
    img = Image.new("RGB", (64, 48))
    for x in range(0, 64, 16):
        for y in range(0, 48, 16):
            colour = tuple(rng.randrange(256) for _ in range(3))
            img.paste(colour, (x, y, x + 16, y + 16))
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if exif_date is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = exif_date.strftime(
            "%Y:%m:%d %H:%M:%S"
        )
    img.save(path, "JPEG", exif=exif)
    if file_date is not None:
        stamp = file_date.timestamp()
        os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def lib(tmp_path: Path):
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    yield library
    library.close()


def index(lib: Library, *folders: Path) -> None:
    for folder in folders:
        lib.catalog.add_folder(folder)
    assert list(lib.indexer().run())[-1].phase == "done"


def ids_by_name(lib: Library) -> dict[str, int]:
    return {row.path.name: row.id for row in lib.catalog.all_photos().values()}


@pytest.fixture
def dated_library(tmp_path: Path) -> Path:
    """Photos over three months of 2023 and one of 2021: some with EXIF dates whose file
    times say otherwise (the EXIF date must win), some with only a file time."""
    root = tmp_path / "Pictures"
    write_photo(root / "a_exif_may.jpg", seed=1, exif_date=datetime(2023, 5, 20, 12),
                file_date=datetime(2020, 1, 1))  # fmt: skip
    write_photo(root / "b_file_may.jpg", seed=2, file_date=datetime(2023, 5, 2, 9))
    write_photo(root / "trip" / "c_exif_mar.jpg", seed=3, exif_date=datetime(2023, 3, 31, 23))
    write_photo(root / "trip" / "d_file_mar.jpg", seed=4, file_date=datetime(2023, 3, 1, 0, 0, 1))
    write_photo(root / "trip" / "day2" / "e_exif_apr.jpg", seed=5,
                exif_date=datetime(2023, 4, 1, 0, 0, 0), file_date=datetime(2024, 1, 1))  # fmt: skip
    write_photo(root / "old" / "f_file_2021.jpg", seed=6, file_date=datetime(2021, 7, 4, 8))
    (root / "broken.jpg").write_bytes(b"not an image at all")
    return root


def test_newest_first_by_exif_date_else_file_time(lib: Library, dated_library: Path) -> None:
    index(lib, dated_library)
    order = browse_order(lib.catalog)
    names = {v: k for k, v in ids_by_name(lib).items()}

    assert [names[int(i)] for i in order.ids] == [
        "a_exif_may.jpg", "b_file_may.jpg", "e_exif_apr.jpg", "c_exif_mar.jpg",
        "d_file_mar.jpg", "f_file_2021.jpg",
    ]  # fmt: skip
    sources = {names[int(i)]: order.date_source(row) for row, i in enumerate(order.ids)}
    assert sources == {
        "a_exif_may.jpg": EXIF, "b_file_may.jpg": FILE_TIME, "e_exif_apr.jpg": EXIF,
        "c_exif_mar.jpg": EXIF, "d_file_mar.jpg": FILE_TIME, "f_file_2021.jpg": FILE_TIME,
    }  # fmt: skip
    assert order.taken_at[0] == datetime(2023, 5, 20, 12).timestamp()
    assert "broken.jpg" not in [names[int(i)] for i in order.ids]  # failed: no picture


def test_month_sections_and_jump_list(lib: Library, dated_library: Path) -> None:
    index(lib, dated_library)
    order = browse_order(lib.catalog)

    assert [(s.year, s.month, s.start, s.count) for s in order.sections] == [
        (2023, 5, 0, 2), (2023, 4, 2, 1), (2023, 3, 3, 2), (2021, 7, 5, 1),
    ]  # fmt: skip
    assert order.section_of(4).month == 3
    assert order.section_of(5).year == 2021
    with pytest.raises(IndexError):
        order.section_of(6)
    years = order.years()
    assert [(y.year, y.start, y.count, len(y.months)) for y in years] == [
        (2023, 0, 5, 3), (2021, 5, 1, 1),
    ]  # fmt: skip
    assert order.row_for_month(2023, 4) == 2
    assert order.row_for_month(2022, 12) == 5  # no photos then: the next older month
    assert order.row_for_month(2030, 1) == 0
    assert order.row_for_month(1999, 1) == 5


def test_forgetting_photos_drops_them_from_the_order(lib: Library, dated_library: Path) -> None:
    index(lib, dated_library)
    order = browse_order(lib.catalog)
    by_name = ids_by_name(lib)

    smaller = order.without([by_name["e_exif_apr.jpg"], by_name["f_file_2021.jpg"]])

    assert len(smaller) == 4
    assert [(s.year, s.month, s.count) for s in smaller.sections] == [(2023, 5, 2), (2023, 3, 2)]
    assert smaller.row_of(by_name["c_exif_mar.jpg"]) == 2
    assert smaller.row_of(by_name["e_exif_apr.jpg"]) is None
    assert smaller.date_source(3) == FILE_TIME


def test_scoped_to_a_folder(lib: Library, dated_library: Path, tmp_path: Path) -> None:
    # "trip2" shares the prefix "trip": a plain LIKE 'trip%' would take its photo too.
    write_photo(dated_library / "trip2" / "g.jpg", seed=7, file_date=datetime(2023, 3, 10))
    index(lib, dated_library)
    names = {v: k for k, v in ids_by_name(lib).items()}

    trip = browse_order(lib.catalog, dated_library / "trip")

    assert [names[int(i)] for i in trip.ids] == [
        "e_exif_apr.jpg",
        "c_exif_mar.jpg",
        "d_file_mar.jpg",
    ]
    assert trip.folder == dated_library / "trip"
    assert [(s.month, s.count) for s in trip.sections] == [(4, 1), (3, 2)]
    assert sorted(names[int(i)] for i in photo_ids_below(lib.catalog, dated_library / "trip")) == [
        "c_exif_mar.jpg", "d_file_mar.jpg", "e_exif_apr.jpg",
    ]  # fmt: skip
    assert len(browse_order(lib.catalog, tmp_path / "elsewhere")) == 0


def test_an_empty_library(lib: Library) -> None:
    order = browse_order(lib.catalog)
    assert len(order) == 0 and order.sections == () and order.years() == []
    assert order.row_for_month(2020, 1) == 0
    assert folder_tree(lib.catalog).photos == 0


def test_folder_tree_counts_every_level(lib: Library, dated_library: Path) -> None:
    index(lib, dated_library)

    tree = folder_tree(lib.catalog)

    assert tree.photos == 6
    (root,) = tree.roots
    assert (root.path, root.photos, root.state, root.reason) == (dated_library, 6, OK, None)
    assert [(c.name, c.photos) for c in root.children] == [("old", 1), ("trip", 3)]
    trip = root.children[1]
    assert [(c.name, c.photos, c.children) for c in trip.children] == [("day2", 1, ())]


def test_folder_tree_marks_an_offline_folder_and_an_unreadable_subfolder(
    lib: Library, dated_library: Path, tmp_path: Path
) -> None:
    second = tmp_path / "usb-drive"
    write_photo(second / "h.jpg", seed=8)
    write_photo(second / "sub" / "i.jpg", seed=9)
    (dated_library / "locked").mkdir()
    index(lib, dated_library, second)
    # The scanner records a folder it could not list; as root nothing is unreadable, so the
    # record is written as an index run would write it.
    lib.catalog.set_folder_problems({dated_library / "locked": "Permission denied: fix it."})
    shutil.rmtree(second)  # the drive is unplugged: its photos stay in the catalog

    first, usb = folder_tree(lib.catalog).roots

    assert (usb.path, usb.photos, usb.state) == (second, 2, OFFLINE)
    assert "not reachable" in usb.reason
    assert [(c.name, c.photos) for c in usb.children] == [("sub", 1)]
    locked = next(c for c in first.children if c.name == "locked")
    assert (locked.photos, locked.state, locked.reason) == (
        0,
        UNREADABLE,
        "Permission denied: fix it.",
    )
    assert first.state == OK


def test_a_library_folder_that_cannot_be_listed_is_unreadable(
    lib: Library, dated_library: Path
) -> None:
    index(lib, dated_library)
    lib.catalog.set_folder_problems(
        {dated_library: "It cannot be read (I/O error); check the drive."}
    )

    (root,) = folder_tree(lib.catalog).roots

    assert (root.state, root.photos) == (UNREADABLE, 6)
    assert root.reason.startswith("It cannot be read")


def test_a_name_that_is_not_utf8(lib: Library, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    raw_folder = os.path.join(os.fsencode(root), b"caf\xe9")
    os.makedirs(raw_folder)
    write_photo(Path(os.fsdecode(raw_folder)) / "x.jpg", seed=10)
    index(lib, root)

    (node,) = folder_tree(lib.catalog).roots[0].children
    assert os.fsencode(node.path) == raw_folder and node.photos == 1
    assert len(browse_order(lib.catalog, node.path)) == 1


def test_ids_are_int64_arrays(lib: Library, dated_library: Path) -> None:
    index(lib, dated_library)
    order = browse_order(lib.catalog)
    assert order.ids.dtype == np.int64 and order.taken_at.dtype == np.float64
