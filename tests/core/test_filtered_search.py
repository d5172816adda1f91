"""What makes a filtered search fast must not make it wrong: vectors read from the saved
index file are the ones the index holds now, and the photos a filter keeps are read again
after the catalog changes, by this process or by another one."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

from photofind.core.catalog import Catalog
from photofind.core.config import app_paths
from photofind.core.library import open_library
from photofind.core.query import parse_query
from photofind.core.shapes import generate_library, render
from photofind.core.vector_index import VectorIndex, exact_search

DIM = 16


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_vectors_follow_changes_made_after_the_file_was_saved(tmp_path: Path):
    rng = np.random.default_rng(3)
    path = tmp_path / "i.hnsw"
    truth = dict(enumerate(unit(rng, 300)))
    first = VectorIndex(path, DIM)
    first.add(np.arange(300), np.stack(list(truth.values())))
    first.save()

    index = VectorIndex(path, DIM)
    assert index.load_or_rebuild(np.arange(300), lambda: (np.empty(0), np.empty(0))) == "loaded"
    replaced, added = unit(rng, 2), unit(rng, 5)
    index.add(np.array([7, 8]), replaced)  # re-encoded photos: the file holds their old vectors
    index.add(np.arange(300, 305), added)
    index.remove([9])
    truth.update({7: replaced[0], 8: replaced[1]})
    truth.update(dict(zip(range(300, 305), added, strict=True)))
    del truth[9]

    def check(index: VectorIndex) -> None:
        asked = np.array([0, 7, 8, 9, 150, 299, 300, 304, 999])
        ids, vectors = index.vectors(asked)
        assert ids.tolist() == [0, 7, 8, 150, 299, 300, 304]  # deleted and unknown left out
        np.testing.assert_allclose(vectors, np.stack([truth[i] for i in ids.tolist()]), atol=1e-6)

    check(index)
    index.save()
    index.add(np.array([0]), replaced[:1])  # changed after the second save
    truth[0] = replaced[0]
    check(index)
    best, scores = exact_search(replaced[0], 3, *index.vectors(np.arange(305)))
    assert set(best[:2].tolist()) == {0, 7} and scores[0] == pytest.approx(1.0, abs=1e-5)


def red_circle(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    render("red", "circle", (240, 240), random.Random(len(str(path)))).save(path)


def test_a_filtered_search_sees_photos_indexed_after_it(tmp_path: Path):
    photos = tmp_path / "photos"
    generate_library(photos / "misc", 24, seed=5, size_range=(200, 260))
    library = open_library(app_paths(tmp_path / "data"), "tiny-shapes", "cpu")
    try:
        library.catalog.add_folder(photos)
        list(library.indexer().run())
        query = parse_query("a red circle in:misc")
        before = {h.path.name for h in library.search.find(query, 50).hits}
        assert before and all("red-circle" in n for n in before)
        red_circle(photos / "misc" / "late-red-circle.png")
        list(library.indexer().run())
        after = {h.path.name for h in library.search.find(query, 50).hits}
        assert after == before | {"late-red-circle.png"}
    finally:
        library.close()


def test_a_filtered_search_sees_changes_another_process_made(tmp_path: Path):
    photos = tmp_path / "photos"
    generate_library(photos, 24, seed=6, size_range=(200, 260))
    paths = app_paths(tmp_path / "data")
    library = open_library(paths, "tiny-shapes", "cpu")
    try:
        library.catalog.add_folder(photos)
        list(library.indexer().run())
        query = parse_query("a red circle camera:leica")
        assert library.search.find(query, 50, rest=True).hits == ()
        one = next(p for p in photos.iterdir() if "red-circle" in p.name)
        other = Catalog(paths.catalog_path)  # another photofind's connection
        with other.transaction() as db:
            db.execute("UPDATE photos SET camera = 'Leica M10' WHERE path = ?", (os.fsencode(one),))
        other.close()
        hits = library.search.find(query, 50, rest=True).hits
        assert [h.path for h in hits] == [one]
    finally:
        library.close()
