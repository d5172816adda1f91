"""The search index is loaded when it is first used, not when the library opens: opening
reads no index file, the first use loads it once even from two threads, a library closed
without using it writes nothing, and a damaged catalog met then raises as it did at open."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers.damage import damage_leaves

from photofind.core.catalog import Catalog
from photofind.core.config import AppPaths, app_paths
from photofind.core.deferred_index import DeferredIndex
from photofind.core.errors import CatalogDamagedError
from photofind.core.library import Library, open_library
from photofind.core.vector_index import VectorIndex, index_file_name

MODEL = "tiny-shapes"
QUERY = "a red circle"
WAIT_S = 30


@pytest.fixture
def paths(tmp_path: Path, make_library) -> AppPaths:
    """24 photos indexed, the library closed: its index file saved and matching."""
    paths = app_paths(tmp_path / "data")
    photos = make_library(24, size_range=(200, 400))
    library = open_library(paths, MODEL, "cpu")
    library.catalog.add_folder(photos[0].path.parent)
    list(library.indexer().run())
    library.after_index_run()
    library.close()
    return paths


def index_path(paths: AppPaths, library: Library) -> Path:
    return paths.data_dir / index_file_name(library.encoder.model_id)


def hits(library: Library) -> list[tuple[int, float]]:
    return [(h.photo_id, round(h.score, 5)) for h in library.search.search(QUERY, k=10)]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        f.name: (f.read_bytes(), f.stat().st_mtime_ns)
        for f in sorted(folder.iterdir())
        if f.name.startswith(("index-", ".index-"))
    }


# -- opening reads no index -------------------------------------------------------------


def test_opening_reads_no_index_file_the_first_search_does(paths: AppPaths):
    library = open_library(paths, MODEL, "cpu")
    try:
        assert library.index_status == "loaded"
        expected = hits(library)
        assert len(expected) == 10
    finally:
        library.close()

    library = open_library(paths, MODEL, "cpu")
    try:
        assert not library.index.loaded
        # Taken away after the open: an index read at open would have loaded it and said so.
        index = index_path(paths, library)
        index.rename(index.with_name("elsewhere"))
        assert hits(library) == expected
        assert library.index.loaded and library.index_status == "rebuilt"
    finally:
        library.close()
    assert index.is_file(), "the rebuilt index was saved at close"


def test_an_index_run_loads_the_index_and_saves_a_rebuilt_one(paths: AppPaths):
    library = open_library(paths, MODEL, "cpu")
    index = index_path(paths, library)
    index.unlink()
    try:
        progress = list(library.indexer().run())
        assert progress[-1].unchanged == 24 and progress[-1].indexed == 0
        assert index.is_file(), "a run that found nothing to do still wrote the rebuilt index"
        assert library.index_status == "rebuilt" and len(library.index) == 24
    finally:
        library.close()


# -- closing without use ----------------------------------------------------------------


@pytest.mark.parametrize("read_only", [False, True])
def test_closing_unused_writes_no_index_file(paths: AppPaths, read_only: bool):
    before = snapshot(paths.data_dir)
    assert len(before) == 2, "the index and its meta file"
    library = open_library(paths, MODEL, "cpu", read_only=read_only)
    assert library.counts().photos == 24
    assert library.catalog.has_photos()
    library.close()
    assert snapshot(paths.data_dir) == before


def test_closing_unused_writes_nothing_even_when_the_index_needs_a_rebuild(paths: AppPaths):
    # The meta file gone: the index would be rebuilt at first use; unused, nothing is
    # written, in particular no empty index over the good file.
    meta = next(paths.data_dir.glob("index-*.meta.json"))
    meta.unlink()
    before = snapshot(paths.data_dir)
    open_library(paths, MODEL, "cpu").close()
    assert snapshot(paths.data_dir) == before


@pytest.fixture
def switching(tmp_path: Path, tiny_bundle, make_library) -> AppPaths:
    """model-a has embedded every photo; model-b, just chosen, none."""
    paths = app_paths(tmp_path / "data")
    for name in ("model-a", "model-b"):
        shutil.copytree(tiny_bundle.root, paths.models_dir / name)
    photos = make_library(12, size_range=(200, 300))
    library = open_library(paths, "model-a", "cpu")
    library.catalog.add_folder(photos[0].path.parent)
    list(library.indexer().run())
    library.after_index_run()
    library.close()
    return paths


def test_the_previous_models_index_loads_on_first_use_too(switching: AppPaths):
    before = snapshot(switching.data_dir)
    library = open_library(switching, "model-b", "cpu")
    try:
        assert library.switching and library.search_model_name == "model-a"
        assert not library.search.index.loaded and not library.index.loaded
    finally:
        library.close()
    assert snapshot(switching.data_dir) == before

    library = open_library(switching, "model-b", "cpu")
    try:
        library.load_index()
        assert library.search.index.loaded and library.index.loaded
        assert library.index_status == "rebuilt"  # model-b had no index file yet
        library.load_index()  # idempotent
        assert len(library.search.search(QUERY, k=5)) == 5, "model-a answers"
    finally:
        library.close()


# -- a damaged catalog ------------------------------------------------------------------


def test_a_damaged_catalog_met_at_first_use_raises_each_time(paths: AppPaths):
    library = open_library(paths, MODEL, "cpu")
    index = index_path(paths, library)
    library.close()
    for f in (index, index.with_name(index.name + ".meta.json")):
        f.unlink()  # so the first use must read every vector from the catalog
    damage_leaves(paths.catalog_path, "embeddings")

    library = open_library(paths, MODEL, "cpu")  # opening needs no vector
    try:
        with pytest.raises(CatalogDamagedError):
            library.search.search(QUERY, k=5)
        with pytest.raises(CatalogDamagedError):  # not half-loaded: tried again, met again
            library.search.search(QUERY, k=5)
        with pytest.raises(CatalogDamagedError):
            library.index_status  # noqa: B018
        with pytest.raises(CatalogDamagedError):
            library.indexer()
        assert not library.index.loaded
    finally:
        library.close()
    assert not index.exists(), "nothing was written from the damaged catalog"


# -- threads ----------------------------------------------------------------------------


class CountingIds:
    """The catalog's embedding ids, counting the loads that ask for them; ``hold`` keeps
    the first load waiting inside until released."""

    def __init__(self, catalog: Catalog, model_id: str, hold: bool = False) -> None:
        self.catalog, self.model_id = catalog, model_id
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __call__(self) -> np.ndarray:
        self.calls += 1
        self.entered.set()
        assert self.release.wait(WAIT_S)
        return self.catalog.embedding_ids(self.model_id)


@pytest.fixture
def stored(paths: AppPaths):
    """The library's catalog (read-only), its model id and vector width, and the hits of
    its saved index for QUERY."""
    library = open_library(paths, MODEL, "cpu", read_only=True)
    query = library.search.text_embedding(QUERY)
    model_id, dim = library.encoder.model_id, library.index.dim
    expected = library.index.search(query, 10)
    library.close()
    catalog = Catalog(paths.catalog_path, read_only=True)
    yield catalog, model_id, dim, query, expected
    catalog.close()


def deferred(paths: AppPaths, stored, ids: CountingIds, vectors=None) -> DeferredIndex:
    catalog, model_id, dim, *_ = stored
    return DeferredIndex(
        paths.data_dir / index_file_name(model_id),
        dim,
        ids,
        vectors or (lambda: catalog.embeddings(model_id)),
        read_only=True,
    )


def in_thread(work) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    return thread, out


def test_a_second_thread_waits_for_the_first_ones_load(paths: AppPaths, stored):
    catalog, model_id, _, query, expected = stored
    ids = CountingIds(catalog, model_id, hold=True)
    index = deferred(paths, stored, ids)
    first, first_out = in_thread(lambda: index.search(query, 10))
    assert ids.entered.wait(WAIT_S), "the first search loads"
    second, second_out = in_thread(lambda: index.search(query, 10))
    second.join(0.3)
    assert second.is_alive(), "the second search waits for the load"
    ids.release.set()
    for thread in (first, second):
        thread.join(WAIT_S)
    assert ids.calls == 1
    for out in (first_out, second_out):
        np.testing.assert_array_equal(out[0][0], expected[0])
    assert index.load() == "loaded"


def test_many_threads_at_once_load_once(paths: AppPaths, stored):
    catalog, model_id, _, query, expected = stored
    ids = CountingIds(catalog, model_id)
    index = deferred(paths, stored, ids)
    start = threading.Barrier(6)

    def search():
        start.wait(WAIT_S)
        return index.search(query, 10)

    threads = [in_thread(search) for _ in range(6)]
    for thread, _ in threads:
        thread.join(WAIT_S)
    assert ids.calls == 1
    for _, out in threads:
        np.testing.assert_array_equal(out[0][0], expected[0])


def test_during_a_rebuild_searches_go_on_and_changes_wait(paths: AppPaths, stored):
    catalog, model_id, dim, query, _ = stored
    next(paths.data_dir.glob("index-*.meta.json")).unlink()  # the file cannot be trusted
    reading, release = threading.Event(), threading.Event()

    def slow_vectors():
        reading.set()
        assert release.wait(WAIT_S)
        return catalog.embeddings(model_id)

    index = deferred(paths, stored, CountingIds(catalog, model_id), slow_vectors)
    loader, status = in_thread(index.load)
    assert reading.wait(WAIT_S)
    found, _ = index.search(query, 10)  # answered now, from what was added so far: nothing
    assert len(found) == 0 and len(index) == 0
    all_ids = catalog.embedding_ids(model_id)
    gone, new = int(all_ids[0]), int(all_ids.max()) + 1
    remover, _ = in_thread(lambda: index.remove([gone]))
    adder, _ = in_thread(lambda: index.add(np.array([new]), query.reshape(1, dim)))
    remover.join(0.3)
    assert remover.is_alive() and adder.is_alive(), "changes wait for the rebuild"
    release.set()
    for thread in (loader, remover, adder):
        thread.join(WAIT_S)
    assert status == ["rebuilt"]
    assert len(index) == len(all_ids) - 1 + 1
    found, _ = index.search(query, len(index))
    assert gone not in found.tolist(), "the rebuild did not undo the removal"
    assert found[0] == new, "nor lose the addition"


def test_every_public_use_of_an_index_waits_for_its_load():
    """A method added to VectorIndex later must be added to DeferredIndex too."""
    waits_not = {"changes", "dirty", "meta_path"}  # counters and a name: no index data

    def public(cls: type) -> set[str]:
        return {n for n in vars(cls) if not n.startswith("_") or n == "__len__"}

    assert public(VectorIndex) - waits_not <= public(DeferredIndex)
