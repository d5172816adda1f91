"""Choosing another model: the previous, complete one answers searches until the new one
has embedded every photo; then searches switch; old vectors stay until the model is removed."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from photofind.core.config import app_paths
from photofind.core.library import open_library


@pytest.fixture
def paths(tmp_path: Path, tiny_bundle, make_library):
    paths = app_paths(tmp_path / "data")
    for name in ("model-a", "model-b"):  # two installed copies: two separate embedding spaces
        shutil.copytree(tiny_bundle.root, paths.models_dir / name)
    photos = make_library(24, size_range=(300, 500))
    library = open_library(paths, "model-a", "cpu")
    library.catalog.add_folder(photos[0].path.parent)
    list(library.indexer().run())
    assert library.after_index_run() is False, "nothing to switch from"
    library.close()
    return paths


def run_partly(library, batches: int) -> None:
    cancel = threading.Event()
    for progress in library.indexer(batch_size=4).run(cancel):
        if progress.done >= 4 * batches:
            cancel.set()


def test_previous_model_answers_until_the_new_one_is_complete(paths):
    library = open_library(paths, "model-b", "cpu")
    assert library.switching and library.search_model_name == "model-a"
    assert library.counts().photos == 0
    assert len(library.search.search("a red circle", k=5)) == 5, "model-a still answers"

    run_partly(library, 2)
    assert library.after_index_run() is False
    assert 0 < library.counts().photos < 24 and library.search_model_name == "model-a"
    library.close()

    library = open_library(paths, "model-b", "cpu")  # the switch survives a restart
    assert library.switching and library.search_model_name == "model-a"
    list(library.indexer().run())
    assert library.after_index_run() is True
    assert not library.switching and library.search_model_name == "model-b"
    best = library.search.search("a red circle", k=1)[0]  # the library has one of each
    assert "red-circle" in best.path.name
    assert set(library.catalog.models()) == {"model-a", "model-b"}, "old vectors are kept"
    library.close()

    library = open_library(paths, "model-b", "cpu")
    assert not library.switching
    library.close()


def test_no_fallback_when_the_previous_model_was_removed(paths):
    shutil.rmtree(paths.models_dir / "model-a")
    library = open_library(paths, "model-b", "cpu")
    assert not library.switching and library.search_model_name == "model-b"
    assert library.search.search("a red circle", k=5) == [], "nothing embedded yet"
    library.close()
