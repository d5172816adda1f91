"""Filters inside the search: they keep recall at 100k vectors, each operator keeps the
photos it says on a real indexed library, filters alone list newest first, and catalogs
from before version 3 gain camera and date source from the headers without re-encoding."""

from __future__ import annotations

import datetime
import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.core.catalog import EXIF, FILE
from photofind.core.config import app_paths
from photofind.core.filters import QueryError
from photofind.core.library import Library, open_library
from photofind.core.query import parse_query
from photofind.core.search import EXACT_FILTER_MAX, KeptPhotos, SearchService
from photofind.core.shapes import generate_library, render
from photofind.core.vector_index import VectorIndex

DIM = 32


def clustered(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.normal(size=(200, DIM))
    vectors = centres[rng.integers(0, len(centres), n)] + 0.4 * rng.normal(size=(n, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[VectorIndex, np.ndarray]:
    """100k clustered vectors in an index built with photofind's own parameters (a minute
    on two cores: weaker parameters would measure the graph, not the filter)."""
    vectors = clustered(100_000, np.random.default_rng(11))
    index = VectorIndex(tmp_path_factory.mktemp("big") / "i.hnsw", DIM)
    index.add(np.arange(len(vectors)), vectors)
    return index, vectors


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.5])
def test_a_filter_keeps_its_true_best_matches_at_100k(big_index, fraction: float):
    index, vectors = big_index
    rng = np.random.default_rng(int(fraction * 100))
    service = SearchService(None, None, index)  # type: ignore[arg-type]  # only the index is used
    allowed = np.sort(rng.choice(len(vectors), int(fraction * len(vectors)), replace=False))
    recalls = []
    for query in clustered(30, rng):
        ids, _ = service._search(query, 10, KeptPhotos(allowed))
        truth = allowed[np.argsort(-(vectors[allowed] @ query), kind="stable")[:10]]
        assert set(ids.tolist()) <= set(allowed.tolist())
        recalls.append(len(set(ids.tolist()) & set(truth.tolist())) / 10)
    assert np.mean(recalls) >= 0.97, (fraction, np.mean(recalls))
    assert (len(allowed) <= EXACT_FILTER_MAX) == (fraction <= 0.1)  # both paths are tested


def exif_jpeg(path: Path, colour: str, shape: str, taken: str | None, make: str, model: str,
              size: tuple[int, int]) -> None:  # fmt: skip
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = make, model
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    path.parent.mkdir(parents=True, exist_ok=True)
    render(colour, shape, size, random.Random(1)).save(path, "JPEG", exif=exif)


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("filters")
    photos = base / "Pictures"
    generate_library(photos / "misc", 48, seed=3, size_range=(200, 320))
    exif_jpeg(photos / "2019" / "summer" / "a.jpg", "red", "circle", "2019:07:04 10:00:00",
              "Canon", "Canon EOS 5D", (300, 200))  # fmt: skip
    exif_jpeg(photos / "2019" / "summer" / "b.JPG", "red", "circle", "2019:08:01 09:00:00",
              "NIKON CORPORATION", "NIKON D750", (200, 300))  # fmt: skip
    exif_jpeg(photos / "2020" / "c.jpeg", "blue", "square", "2020:01:01 00:00:00",
              "Canon", "Canon EOS R", (250, 250))  # fmt: skip
    library = open_library(app_paths(base / "data"), "tiny-shapes", "cpu")
    library.catalog.add_folder(photos)
    assert list(library.indexer().run())[-1].failed == 0
    yield library, photos
    library.close()


def names(library: Library, text: str, k: int = 100, rest: bool = True) -> list[str]:
    return [h.path.name for h in library.search.find(parse_query(text), k, rest=rest).hits]


def test_each_filter_keeps_what_it_says(lib):
    library, photos = lib
    assert sorted(names(library, "type:jpg camera:canon")) == ["a.jpg", "c.jpeg"]
    assert sorted(names(library, "camera:nikon")) == ["b.JPG"]
    assert sorted(names(library, "in:2019/summer")) == ["a.jpg", "b.JPG"]
    assert sorted(names(library, "in:summer")) == ["a.jpg", "b.JPG"]
    assert sorted(names(library, "in:2020 in:summer")) == ["a.jpg", "b.JPG", "c.jpeg"]
    assert len(names(library, "in:Pictures")) == 51  # the library folder's own name
    assert sorted(names(library, f"in:{photos / '2020'}")) == ["c.jpeg"]
    assert sorted(names(library, "after:2019-08 before:2020")) == ["b.JPG"]
    assert sorted(names(library, "after:2019-07-04 before:2019-07-05")) == ["a.jpg"]
    assert sorted(names(library, "orientation:square camera:canon")) == ["c.jpeg"]
    assert sorted(names(library, "orientation:portrait camera:canon")) == []
    assert all(n.endswith(".gif") for n in names(library, "type:gif"))
    assert names(library, "type:gif") and names(library, "type:heic") == []


def test_filters_alone_list_newest_first_and_all_match(lib):
    library, _ = lib
    result = library.search.find(parse_query("camera:canon"), 10)
    assert [h.path.name for h in result.hits] == ["c.jpeg", "a.jpg"]
    assert result.matches == 2 and all(h.match for h in result.hits) and not result.scored


def test_a_filtered_text_search_ranks_inside_the_filter(lib):
    library, _ = lib
    result = library.search.find(parse_query("a red circle in:misc"), 20)
    assert result.matches == 2  # two red circles among the 48 generated ones
    assert all("red-circle" in h.path.name and h.match for h in result.hits)
    anyway = library.search.find(parse_query("a red circle in:misc"), 5, rest=True)
    assert [h.match for h in anyway.hits] == [True, True, False, False, False]


def test_a_folder_that_holds_no_photo_is_a_plain_error(lib):
    library, _ = lib
    with pytest.raises(QueryError, match="in:nowhere"):
        library.search.find(parse_query("a red circle in:nowhere"), 5)
    with pytest.raises(QueryError, match="in:Pic"):  # a part of a name is no name
        library.search.find(parse_query("in:Pic"), 5)


def test_camera_and_date_source_are_recorded(lib):
    library, photos = lib
    row = library.catalog.photo_by_path(photos / "2019" / "summer" / "a.jpg")
    assert (row.camera, row.date_source) == ("Canon EOS 5D", EXIF)
    assert row.taken_at == datetime.datetime(2019, 7, 4, 10).timestamp()
    generated = library.catalog.photo_by_path(next((photos / "misc").glob("*.png")))
    assert (generated.camera, generated.date_source) == (None, FILE)


def test_a_version_2_catalog_gains_the_details_on_the_next_run_without_re_encoding(tmp_path: Path):
    photos = tmp_path / "photos"
    exif_jpeg(photos / "a.jpg", "red", "circle", "2018:05:06 07:08:09", "Canon", "EOS 7D",
              (300, 200))  # fmt: skip
    generate_library(photos, 4, seed=9, size_range=(200, 240))
    data = tmp_path / "data"
    library = open_library(app_paths(data), "tiny-shapes", "cpu")
    library.catalog.add_folder(photos)
    list(library.indexer().run())
    library.close()
    db = sqlite3.connect(data / "catalog.sqlite3")
    db.execute("UPDATE photos SET camera = NULL, date_source = NULL")  # as v2 left them
    db.commit()
    db.close()
    library = open_library(app_paths(data), "tiny-shapes", "cpu")
    assert library.catalog.photo_by_path(photos / "a.jpg").date_source is None
    last = list(library.indexer().run())[-1]
    assert (last.indexed, last.unchanged) == (0, 5)  # nothing re-encoded
    row = library.catalog.photo_by_path(photos / "a.jpg")
    assert (row.camera, row.date_source) == ("Canon EOS 7D", EXIF)
    assert all(r.date_source for r in library.catalog.all_photos().values())
    assert [h.path.name for h in library.search.find(parse_query("camera:7d"), 5).hits] == ["a.jpg"]
    library.close()
