"""The adaptive cutoff on labelled generated libraries with the tiny model: a class's photos
are its matches, a class the library lacks has none, and degenerate libraries (one class,
one photo, none) have nothing that stands out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photofind.core.clip import ClipEncoder
from photofind.core.cutoff import OUTLIER_Z, LibraryStats, count_matches, needs_more
from photofind.core.shapes import all_classes, generate_library, query_for

CLASSES = all_classes()


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory, tiny_encoder: ClipEncoder):
    """240 photos, ten of each of the 24 classes (a seed the constants were not chosen on),
    their vectors and labels, and the 24 class queries."""
    folder = tmp_path_factory.mktemp("cutoff")
    photos = generate_library(folder, 240, seed=101, size_range=(200, 320))
    vectors = tiny_encoder.encode_images([p.path for p in photos])
    labels = np.array([CLASSES.index((p.colour, p.shape)) for p in photos])
    queries = np.stack([tiny_encoder.encode_text(query_for(c, s)) for c, s in CLASSES])
    return vectors, labels, queries


def matched(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Indices of the photos the rule calls matches, best first."""
    stats = LibraryStats.from_vectors(vectors)
    scores = vectors @ query
    order = np.argsort(-scores, kind="stable")
    mean, sd = stats.spread(query)
    return order[: count_matches(scores[order], mean, sd)]


def test_each_class_query_matches_its_class(labelled):
    vectors, labels, queries = labelled
    tp = fp = fn = 0
    for cls, query in enumerate(queries):
        got = set(matched(vectors, query).tolist())
        truth = set(np.flatnonzero(labels == cls).tolist())
        tp, fp, fn = tp + len(got & truth), fp + len(got - truth), fn + len(truth - got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_a_class_the_library_lacks_has_no_matches(labelled):
    vectors, labels, queries = labelled
    with_hits = []
    for cls, query in enumerate(queries):
        keep = labels != cls
        if len(matched(vectors[keep], query)):
            with_hits.append(CLASSES[cls])
    # tiny-shapes confuses a few classes with their neighbours; most must come back empty
    assert len(with_hits) <= 3, with_hits


def test_a_class_with_a_single_photo_is_found(labelled):
    vectors, labels, queries = labelled
    found = 0
    for cls, query in enumerate(queries):
        keep = (labels != cls) | (np.cumsum(labels == cls) == 1)
        got = matched(vectors[keep], query)
        found += int(len(got) == 1 and labels[keep][got[0]] == cls)
    assert found >= 20, found


def test_directions_that_ask_for_nothing_rarely_match(labelled):
    """A random direction asks for nothing; in a library of tight clusters it can still
    line up with one, so only the rate is bounded."""
    vectors, _, _ = labelled
    rng = np.random.default_rng(3)
    hit = 0
    for _ in range(50):
        query = rng.normal(size=vectors.shape[1]).astype(np.float32)
        hit += len(matched(vectors, query / np.linalg.norm(query))) > 0
    assert hit <= 10, hit


def test_a_single_class_library_has_nothing_that_stands_out(labelled):
    vectors, labels, queries = labelled
    for cls in range(0, 24, 5):
        one_class = vectors[labels == cls]
        for query in (queries[cls], queries[(cls + 7) % 24]):
            assert len(matched(one_class, query)) == 0
    assert LibraryStats.from_vectors(vectors[labels == 0]).diversity < 0.1


def test_an_empty_library_and_a_single_photo(labelled):
    vectors, _, queries = labelled
    empty = LibraryStats.from_vectors(np.zeros((0, vectors.shape[1]), np.float32))
    assert empty.spread(queries[0]) == (0.0, 0.0)
    assert count_matches(np.empty(0), 0.0, 0.0) == 0
    one = LibraryStats.from_vectors(vectors[:1])
    mean, sd = one.spread(queries[0])
    assert count_matches(vectors[:1] @ queries[0], mean, sd) == 0


def test_smooth_scores_keep_only_outliers():
    """No gap (the large real-CLIP case): what lies beyond OUTLIER_Z sd is a match."""
    z = np.linspace(OUTLIER_Z + 1, -2, 2000)
    scores = 0.2 + 0.02 * z
    assert count_matches(scores, 0.2, 0.02) == np.count_nonzero(z >= OUTLIER_Z)
    assert count_matches(scores[z < OUTLIER_Z], 0.2, 0.02) == 0


def test_more_results_are_asked_for_while_the_last_may_still_match():
    scores = np.full(10, 0.9)
    assert needs_more(scores, 0.0, 0.3, available=100)
    assert not needs_more(scores, 0.0, 0.3, available=10)
    assert not needs_more(np.full(10, 0.1), 0.0, 0.3, available=100)
    smooth = 0.3 * np.linspace(2.9, 1.6, 10)  # candidates, but falling off: no group to end
    assert not needs_more(smooth, 0.0, 0.3, available=100)
    assert needs_more(0.3 * np.linspace(3.5, 3.1, 10), 0.0, 0.3, available=100)


def test_library_stats_from_a_sample_are_close_to_the_full_ones(labelled):
    vectors, _, queries = labelled
    full = LibraryStats.from_vectors(vectors)
    half = np.random.default_rng(0).choice(len(vectors), len(vectors) // 2, replace=False)
    sample = LibraryStats.from_vectors(vectors[half], count=len(vectors))
    assert sample.count == len(vectors)
    for query in queries[:5]:
        (m1, s1), (m2, s2) = full.spread(query), sample.spread(query)
        # sampling error of a mean: sd / sqrt(n)
        assert abs(m1 - m2) < 3 * s1 / np.sqrt(len(half)) and abs(s1 - s2) < 0.15 * s1


def test_generated_library_fixture_is_labelled(tmp_path: Path):
    photos = generate_library(tmp_path, 24, seed=1, size_range=(200, 220))
    assert {(p.colour, p.shape) for p in photos} == set(CLASSES)
