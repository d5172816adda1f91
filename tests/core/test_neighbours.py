"""VectorIndex.neighbours, the candidate pairs of duplicate finding: every live photo's
nearest others, itself and deleted photos never among them, from the HNSW graph and from
the exact fallback that a small index needs."""

from __future__ import annotations

import numpy as np

from photofind.core.vector_index import VectorIndex


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def all_neighbours(index: VectorIndex, k: int, **options) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    width = min(k, len(index) - 1)  # never more than the others there are
    for ids, found, scores in index.neighbours(k, ef=32, **options):
        assert found.shape == scores.shape == (len(ids), width)
        assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first
        for i, row in zip(ids.tolist(), found.tolist(), strict=True):
            out[i] = row
    return out


def test_each_photo_gets_its_exact_nearest_others(tmp_path):
    rng = np.random.default_rng(1)
    vectors = unit(rng.standard_normal((600, 32)))
    ids = np.arange(600) * 3 + 5
    index = VectorIndex(tmp_path / "i.hnsw", 32)
    index.add(ids, vectors)
    index.remove(ids[:50])
    live, live_vectors = ids[50:], vectors[50:]
    found = all_neighbours(index, 4, chunk=128)
    assert sorted(found) == live.tolist()
    cosine = live_vectors @ live_vectors.T
    np.fill_diagonal(cosine, -2)
    exact = live[np.argsort(-cosine, axis=1)[:, :4]].tolist()
    agree = np.mean([set(found[i]) == set(e) for i, e in zip(live.tolist(), exact, strict=True)])
    assert agree >= 0.95
    assert not {n for row in found.values() for n in row} & set(ids[:50].tolist())


def test_copies_find_each_other_and_a_tiny_index_answers_exactly(tmp_path):
    base = unit(np.eye(4, dtype=np.float32) + 0.1)
    vectors = np.vstack([base[0], base[0], base[1]])  # two copies of one picture and another
    index = VectorIndex(tmp_path / "i.hnsw", 4)
    index.add(np.array([10, 11, 12]), vectors)
    found = all_neighbours(index, 5)  # more than there are: two others each
    assert (found[10], found[11], sorted(found[12])) == ([11, 12], [10, 12], [10, 11])
    single = VectorIndex(tmp_path / "j.hnsw", 4)
    single.add(np.array([1]), base[:1])
    assert list(single.neighbours(3, ef=16)) == []
