"""Search: text, image and combined queries against exact cosines, ties in id order, only
the active model's vectors, and the text-embedding cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from photofind.core import search as search_module
from photofind.core.catalog import IndexedPhoto
from photofind.core.config import app_paths
from photofind.core.errors import ImageError
from photofind.core.library import Library, open_library
from photofind.core.search import SearchService
from photofind.core.shapes import generate_library

MODEL = "tiny-shapes"


def open_lib(data: Path) -> Library:
    return open_library(app_paths(data), MODEL, "cpu")


def index_all(lib: Library) -> None:
    progress = list(lib.indexer().run())
    assert progress[-1].phase == "done" and progress[-1].failed == 0


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory):
    """An indexed library of 24 photos that the read-only tests share."""
    base = tmp_path_factory.mktemp("search")
    generate_library(base / "photos", 24, seed=5, size_range=(300, 700))
    lib = open_lib(base / "data")
    lib.catalog.add_folder(base / "photos")
    index_all(lib)
    yield lib
    lib.close()


def exact(lib: Library, query: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    """Brute force over every stored vector of the active model: the expected answer."""
    ids, vectors = lib.catalog.embeddings(lib.encoder.model_id)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = vectors @ (query / np.linalg.norm(query))
    order = np.lexsort((ids, -scores))[:k]
    return ids[order].tolist(), scores[order]


def test_text_query_returns_the_top_k_by_cosine(shared: Library):
    hits = shared.search.search("a red circle", k=5)
    assert len(hits) == 5
    want_ids, want_scores = exact(shared, shared.search.text_embedding("a red circle"), 5)
    assert [h.photo_id for h in hits] == want_ids
    np.testing.assert_allclose([h.score for h in hits], want_scores, atol=1e-5)
    assert all(-1.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        row = shared.catalog.photos([h.photo_id])[h.photo_id]
        assert (h.path, h.width, h.height, h.taken_at) == (
            row.path,
            row.width,
            row.height,
            row.taken_at,
        )
        assert h.path.is_file()


def test_k_larger_than_the_library_and_empty_queries(shared: Library):
    assert len(shared.search.search("a blue star", k=1000)) == 24
    assert shared.search.search("   ") == []
    assert shared.search.search(None) == []
    assert shared.search.search("a blue star", k=0) == []


def test_image_query_by_path_and_by_bytes_agree(shared: Library):
    photo = sorted(p.path for p in shared.catalog.all_photos().values())[6]
    by_path = shared.search.search(images=[photo], k=8)
    by_bytes = shared.search.search(images=[photo.read_bytes()], k=8)
    assert [(h.photo_id, h.score) for h in by_path] == [(h.photo_id, h.score) for h in by_bytes]
    assert by_path[0].path == photo, "a photo is its own best match"
    assert by_path[0].score == pytest.approx(1.0, abs=1e-4)
    assert all(-1.0 <= h.score <= 1.0 for h in by_path)


def test_unreadable_query_image_raises_image_error(shared: Library):
    with pytest.raises(ImageError):
        shared.search.search(images=[b"this is not an image"])


def test_text_and_image_combined(shared: Library):
    photo = sorted(p.path for p in shared.catalog.all_photos().values())[3]
    text = shared.search.text_embedding("a yellow square")
    image = shared.search.image_embedding(photo)
    query = shared.search.query_vector("a yellow square", [photo])
    expected = (text + image) / np.linalg.norm(text + image)
    np.testing.assert_allclose(query, expected, atol=1e-6)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-6)

    hits = shared.search.search("a yellow square", [photo], k=24)
    want_ids, want_scores = exact(shared, expected, 24)
    assert [h.photo_id for h in hits] == want_ids
    np.testing.assert_allclose([h.score for h in hits], want_scores, atol=1e-5)
    text_only = [h.photo_id for h in shared.search.search("a yellow square", k=24)]
    image_only = [h.photo_id for h in shared.search.search(images=[photo], k=24)]
    assert want_ids != text_only and want_ids != image_only, "both parts count"


def test_equal_scores_come_in_id_order(tmp_path: Path):
    lib = open_lib(tmp_path / "data")
    try:
        photos = generate_library(tmp_path / "photos", 6, seed=8, size_range=(300, 500))
        original = tmp_path / "photos" / "z-original.jpg"  # sorts last, but gets the lowest id
        shutil.copyfile(photos[0].path, original)
        photos[0].path.unlink()
        lib.catalog.add_folder(tmp_path / "photos")
        index_all(lib)
        for i in range(4):  # identical copies: stored vectors copied bit for bit
            shutil.copyfile(original, tmp_path / "photos" / f"a-copy-{i}.jpg")
        index_all(lib)
        group = sorted(
            lib.catalog.photo_by_path(p).id
            for p in [original, *sorted((tmp_path / "photos").glob("a-copy-*"))]
        )
        assert lib.catalog.photo_by_path(original).id == group[0]

        hits = lib.search.search(images=[original], k=5)
        assert [h.photo_id for h in hits] == group
        assert len({h.score for h in hits}) == 1, "identical photos score identically"
        assert hits[0].path == original
        # The tie runs past the cut: the lowest ids are the ones kept.
        assert [h.photo_id for h in lib.search.search(images=[original], k=2)] == group[:2]
    finally:
        lib.close()


def test_only_the_active_model_is_searched(tmp_path: Path):
    generate_library(tmp_path / "photos", 8, seed=9, size_range=(300, 500))
    lib = open_lib(tmp_path / "data")
    lib.catalog.add_folder(tmp_path / "photos")
    index_all(lib)
    query = lib.search.text_embedding("a green triangle")
    before = [(h.photo_id, h.score) for h in lib.search.search("a green triangle", k=100)]
    # Another model's vectors, made to match the query perfectly: a photo known only to
    # that model, and a second vector for a photo the active model knows.
    intruder = tmp_path / "photos" / "other-model-only.jpg"
    intruder_id = lib.catalog.record_indexed(
        IndexedPhoto(intruder, 1, 1, b"\1" * 16, 10, 10, 0.0), "another-model", query
    )
    known = lib.catalog.photos([before[-1][0]])[before[-1][0]]
    same_photo = IndexedPhoto(
        known.path, known.size, known.mtime_ns, known.content_hash, 10, 10, 0.0
    )
    assert lib.catalog.record_indexed(same_photo, "another-model", query) == known.id
    lib.close()

    for damage in (None, "delete index"):
        if damage:
            lib.index.path.unlink()
        again = open_lib(tmp_path / "data")
        try:
            assert again.index_status == ("rebuilt" if damage else "loaded")
            hits = again.search.search("a green triangle", k=100)
            assert intruder_id not in [h.photo_id for h in hits]
            assert [h.photo_id for h in hits] == [i for i, _ in before]
            np.testing.assert_allclose([h.score for h in hits], [s for _, s in before], atol=1e-6)
            assert len(again.index) == 8
        finally:
            again.close()


def test_text_embeddings_are_cached(shared: Library, monkeypatch):
    service = SearchService(shared.encoder, shared.catalog, shared.index)
    calls: list[list[str]] = []
    real = shared.encoder.encode_texts

    def counting(texts, **kw):
        calls.append(list(texts))
        return real(texts, **kw)

    monkeypatch.setattr(shared.encoder, "encode_texts", counting)
    first = service.text_embedding("a red circle")
    again = service.text_embedding("a red circle")
    padded = service.text_embedding("  a red circle\n")
    assert calls == [["a red circle"]]
    assert np.array_equal(first, again) and np.array_equal(first, padded)
    np.testing.assert_array_equal(first, real(["a red circle"])[0])
    service.search("a red circle", k=3)
    service.search("a red circle", k=3)
    assert len(calls) == 1

    monkeypatch.setattr(search_module, "TEXT_CACHE_SIZE", 2)
    for text in ("a blue star", "a green square"):  # "a red circle" is the oldest: evicted
        service.text_embedding(text)
    service.text_embedding("a green square")
    assert len(calls) == 3
    service.text_embedding("a red circle")
    assert calls[-1] == ["a red circle"] and len(calls) == 4
