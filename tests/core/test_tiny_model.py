"""The tiny model is good enough to stand in for a real one in tests and the demo."""

from __future__ import annotations

import numpy as np
import pytest

from photofind.core.shapes import all_classes, generate_library, query_for

pytestmark = pytest.mark.slow

UNSEEN_SEED = 2026  # training renders with seeds derived from 0; this library is new to it


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_encoder):
    photos = generate_library(tmp_path_factory.mktemp("fresh240"), 240, seed=UNSEEN_SEED)
    vectors = np.concatenate(
        [
            tiny_encoder.encode_images([p.path for p in photos[i : i + 32]])
            for i in range(0, 240, 32)
        ]
    )
    return photos, vectors


def test_text_queries_find_their_colour_and_shape(library, tiny_encoder):
    photos, vectors = library
    precisions = {}
    for colour, shape in all_classes():
        scores = vectors @ tiny_encoder.encode_text(query_for(colour, shape))
        top5 = np.argsort(-scores, kind="stable")[:5]
        precisions[(colour, shape)] = np.mean(
            [(photos[i].colour, photos[i].shape) == (colour, shape) for i in top5]
        )
    mean_p5 = float(np.mean(list(precisions.values())))
    assert mean_p5 >= 0.8, precisions


def test_image_queries_find_the_same_colour_and_shape_first(library, tiny_encoder, tmp_path):
    photos, vectors = library
    queries = generate_library(tmp_path / "queries", 24, seed=UNSEEN_SEED + 1)
    query_vectors = tiny_encoder.encode_images([q.path for q in queries])
    hits = 0
    for query, qv in zip(queries, query_vectors, strict=True):
        best = photos[int(np.argmax(vectors @ qv))]
        hits += (best.colour, best.shape) == (query.colour, query.shape)
    assert hits >= 22, f"{hits}/24 image queries found their class first"
