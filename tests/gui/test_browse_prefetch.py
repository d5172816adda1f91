"""The first browse read, started when the library opens, is used only while it is still
the truth: the same catalog with nothing changed since it began; otherwise the loader reads
again. And the window that opens over a library shows what a read of its own would show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.damage import damage_leaves
from helpers.gui import wait_indexed

from photofind.core.browse_rows import browse_rows
from photofind.core.catalog import Catalog
from photofind.core.config import app_paths
from photofind.core.errors import CatalogDamagedError
from photofind.core.library import open_library
from photofind.gui.browse import prefetch as prefetching
from photofind.gui.browse.prefetch import BrowsePrefetch, prefetch_browse, take_prefetched

MODEL = "tiny-shapes"


@pytest.fixture
def indexed(tmp_path: Path, library_photos: Path):
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(library_photos)
    for _ in library.indexer().run():
        pass
    yield library
    library.close()


def same_rows(a, b) -> bool:
    return (
        np.array_equal(a.order.ids, b.order.ids)
        and a.raw_paths == b.raw_paths
        and np.array_equal(a.widths, b.widths)
        and a.order.sections == b.order.sections
    )


def test_the_read_is_taken_when_nothing_changed(indexed):
    prefetch = BrowsePrefetch(indexed.catalog)
    read = prefetch.take(indexed.catalog)
    assert read is not None
    rows, source = read
    assert len(rows) == 48 and same_rows(rows, browse_rows(indexed.catalog))
    assert source.folders == indexed.catalog.folders()


def test_a_change_after_the_read_began_means_reading_again(indexed):
    prefetch = BrowsePrefetch(indexed.catalog)
    prefetch.wait()
    indexed.catalog.delete([1, 2])  # two photos trashed meanwhile
    assert prefetch.take(indexed.catalog) is None
    assert len(browse_rows(indexed.catalog)) == 46


def test_another_catalog_or_a_failed_read_is_not_taken(indexed, tmp_path: Path):
    other = open_library(app_paths(tmp_path / "other"), MODEL, "cpu")
    try:
        assert BrowsePrefetch(indexed.catalog).take(other.catalog) is None
    finally:
        other.close()
    paths = indexed.paths
    indexed.close()
    damage_leaves(paths.catalog_path, "photos")
    damaged = Catalog(paths.catalog_path, read_only=True)  # a library would not open
    try:
        with pytest.raises(CatalogDamagedError):
            browse_rows(damaged)
        # The prefetch's read fails the same way: the loader reads again and says so.
        assert BrowsePrefetch(damaged).take(damaged) is None
    finally:
        damaged.close()


def test_a_read_is_taken_once(indexed):
    prefetch_browse(indexed.catalog)
    assert take_prefetched(indexed.catalog) is not None
    assert take_prefetched(indexed.catalog) is None  # a second read is read anew
    assert id(indexed.catalog) not in prefetching._started


def test_the_window_opens_on_the_prefetched_rows(qtbot, make_window, library_photos: Path):
    first = make_window([library_photos])
    wait_indexed(qtbot, first)
    first.shutdown()
    taken = []
    plain = prefetching.BrowsePrefetch.take

    def counted(self, catalog):
        read = plain(self, catalog)
        taken.append(read is not None)
        return read

    prefetching.BrowsePrefetch.take = counted
    try:
        window = make_window(start=False)
        qtbot.waitUntil(lambda: window.browse.loaded_once, timeout=10_000)
    finally:
        prefetching.BrowsePrefetch.take = plain
    assert taken == [True]
    assert same_rows(window.browse.model.rows, browse_rows(window.session.library.catalog))
