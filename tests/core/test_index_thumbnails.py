"""Index runs write the window's grid thumbnails from the decode they do for the model: after
a run every photo's thumbnail is in the cache at the grid's size, and no photo was decoded
twice (decodes counted where every caller of the decoder looks it up)."""

from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

import photofind.core.clip.preprocess as preprocess_module
import photofind.core.indexer as indexer_module
import photofind.core.phash_fill as phash_fill_module
import photofind.core.thumbnails as thumbnails_module
from photofind.core.config import app_paths
from photofind.core.images import open_image
from photofind.core.library import open_library
from photofind.core.thumbnails import GRID_BUCKET, ThumbnailCache

MODEL = "tiny-shapes"
GRID_CELL = 160  # the window's default thumbnail size (settings.py)


@pytest.fixture
def decodes(monkeypatch) -> Counter:
    """The photo's file identity (device, inode) -> how many times it was decoded."""
    counted: Counter = Counter()

    def counting(source, **options):
        st = os.stat(source) if isinstance(source, str | Path) else os.fstat(source.fileno())
        counted[st.st_dev, st.st_ino] += 1
        return open_image(source, **options)

    for module in (indexer_module, preprocess_module, thumbnails_module, phash_fill_module):
        monkeypatch.setattr(module, "open_image", counting)
    return counted


def test_a_fresh_index_leaves_every_grid_thumbnail_in_the_cache_from_one_decode(
    tmp_path, make_library, decodes
):
    photos = make_library(12, seed=5, size_range=(300, 900))
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos[0].path.parent)
    assert list(library.indexer().run())[-1].indexed == len(photos)
    assert sum(decodes.values()) == len(photos) == len(decodes)  # one decode each, for all

    cache = ThumbnailCache(library.paths.thumbnails_dir)
    for photo in photos:
        data = cache.load(photo.path, GRID_CELL)
        with Image.open(io.BytesIO(data)) as thumb, Image.open(photo.path) as full:
            assert max(thumb.size) == min(GRID_BUCKET, max(full.size))
    assert (cache.stats.hits, cache.stats.made) == (len(photos), 0)
    assert sum(decodes.values()) == len(photos)  # the window decodes nothing more
    library.close()


def test_thumbnails_can_be_left_out_of_an_index_run(tmp_path, make_library):
    photos = make_library(4, seed=6, size_range=(300, 500))
    library = open_library(app_paths(tmp_path / "data"), MODEL, "cpu")
    library.catalog.add_folder(photos[0].path.parent)
    assert list(library.indexer(thumbnails=None).run())[-1].indexed == len(photos)
    assert ThumbnailCache(library.paths.thumbnails_dir).files() == []
    library.close()
