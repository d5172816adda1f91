"""VectorIndex: exact answers on small sets, the cache contract of load_or_rebuild, atomic
saves, and searches running while another thread adds."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from photofind.core import index_file, vector_index
from photofind.core.vector_index import IndexParams, VectorIndex

DIM = 64  # the tiny test model's embedding size
# Generous enough that HNSW is exact on a few thousand points, so results can be compared
# with brute force id for id.
EXACT = IndexParams(M=16, ef_construction=200, ef_search=200)


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    x = rng.normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class Faulty:
    """Stands in for the hnswlib index (whose methods cannot be patched) with one method broken."""

    def __init__(self, real, name: str, replacement) -> None:
        self._real, self._name, self._replacement = real, name, replacement

    def __getattr__(self, name: str):
        return self._replacement if name == self._name else getattr(self._real, name)


def brute_force(ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int):
    scores = vectors @ query
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]


def make(tmp_path: Path, n: int = 500, seed: int = 0, dim: int = DIM):
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64) * 3  # sparse, like rowids after deletions
    vectors = unit(rng, n, dim)
    index = VectorIndex(tmp_path / "index.hnsw", dim, EXACT)
    index.add(ids, vectors)
    return index, ids, vectors, rng


def test_search_matches_brute_force_and_scores_are_cosines(tmp_path):
    index, ids, vectors, rng = make(tmp_path)
    assert len(index) == 500
    for query in unit(rng, 20):
        got_ids, got_scores = index.search(query, 10)
        want_ids, want_scores = brute_force(ids, vectors, query, 10)
        assert got_ids.dtype == np.int64 and got_scores.dtype == np.float32
        np.testing.assert_array_equal(got_ids, want_ids)
        np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)
        assert np.all(np.diff(got_scores) <= 0)


def test_query_shapes_and_unnormalised_input(tmp_path):
    index, ids, vectors, _ = make(tmp_path, n=50)
    a = index.search(vectors[7], 3)
    b = index.search(5.0 * vectors[7][None, :], 3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], atol=1e-6)
    assert a[0][0] == ids[7] and a[1][0] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        index.search(np.zeros(DIM + 1, np.float32), 3)


def test_grows_past_initial_capacity(tmp_path):
    index = VectorIndex(tmp_path / "i.hnsw", 16, EXACT)
    rng = np.random.default_rng(1)
    n = vector_index.MIN_CAPACITY * 2 + 100
    vectors = unit(rng, n, 16)
    for start in range(0, n, 300):  # many small batches, as the indexer sends them
        index.add(np.arange(start, min(n, start + 300)), vectors[start : start + 300])
    assert len(index) == n
    assert index._index.max_elements >= n
    for i in (0, n // 2, n - 1):
        assert index.search(vectors[i], 1)[0][0] == i


def test_remove_hides_ids_and_ignores_unknown(tmp_path):
    index, ids, vectors, _ = make(tmp_path, n=100)
    index.remove(np.array([ids[0], ids[1], 999_999]))
    index.remove([ids[0]])  # twice: still fine
    assert len(index) == 98
    got, _ = index.search(vectors[0], 98)
    assert ids[0] not in got and ids[1] not in got
    assert sorted(got.tolist()) == sorted(ids[2:].tolist())


def test_readd_removed_id_and_replace_live_id(tmp_path):
    index, ids, vectors, rng = make(tmp_path, n=100)
    index.remove([ids[5]])
    index.add(ids[5:6], vectors[5:6])
    assert len(index) == 100
    assert index.search(vectors[5], 1)[0][0] == ids[5]
    # Replacing a live id moves it; it must not stay findable at the old place.
    new = unit(rng, 1)
    index.add(ids[6:7], new)
    assert len(index) == 100
    got, scores = index.search(new[0], 100)
    assert got[0] == ids[6] and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(got).count(ids[6]) == 1
    # A deleted slot reused by a new id, then the old id added again.
    index.remove([ids[7]])
    index.add([10_000], unit(rng, 1))
    index.add(ids[7:8], vectors[7:8])
    assert len(index) == 101
    got, _ = index.search(vectors[7], 101)
    assert got[0] == ids[7] and len(set(got.tolist())) == 101


def test_k_clamped_empty_index_and_fully_removed(tmp_path):
    empty = VectorIndex(tmp_path / "e.hnsw", DIM)
    got_ids, got_scores = empty.search(np.ones(DIM, np.float32), 10)
    assert got_ids.shape == (0,) and got_ids.dtype == np.int64 and got_scores.dtype == np.float32
    assert len(empty) == 0

    index, ids, vectors, _ = make(tmp_path, n=30)
    got, _ = index.search(vectors[0], 100)
    assert sorted(got.tolist()) == sorted(ids.tolist())
    # Most slots deleted: hnswlib cannot find k live items and raises; we must not.
    index.remove(ids[:27])
    got, _ = index.search(vectors[0], 10)
    assert sorted(got.tolist()) == sorted(ids[27:].tolist())
    index.remove(ids[27:])
    assert index.search(vectors[0], 5)[0].shape == (0,)


def test_hnsw_short_of_k_falls_back_to_exact(tmp_path):
    index, ids, vectors, rng = make(tmp_path, n=200)
    index.params = IndexParams(M=16, ef_construction=200, ef_search=10)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Cannot return the results in a contiguous 2D array.")

    index._index = Faulty(index._index, "knn_query", failing)
    query = unit(rng, 1)[0]
    got_ids, got_scores = index.search(query, 10)
    want_ids, want_scores = brute_force(ids, vectors, query, 10)
    assert len(calls) >= 2  # it widened the search before going exact
    np.testing.assert_array_equal(got_ids, want_ids)
    np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)


def test_ties_come_back_in_id_order(tmp_path):
    rng = np.random.default_rng(3)
    index = VectorIndex(tmp_path / "t.hnsw", DIM, EXACT)
    others = unit(rng, 200)
    dup = unit(rng, 1)
    index.add(np.arange(1000, 1200), others)
    # Twenty copies of one photo, added in scrambled id order; more than k + TIE_SLACK.
    dup_ids = rng.permutation(np.arange(10, 30))
    index.add(dup_ids, np.repeat(dup, 20, axis=0))
    got, scores = index.search(dup[0], 5)
    assert got.tolist() == [10, 11, 12, 13, 14]
    assert np.all(scores == scores[0])
    got, _ = index.search(dup[0], 25)
    assert got[:20].tolist() == list(range(10, 30))


def test_save_load_round_trip_and_no_temp_left(tmp_path):
    index, ids, vectors, rng = make(tmp_path, n=300)
    index.remove(ids[:10])
    assert index.dirty
    index.save()
    assert not index.dirty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.hnsw", "index.hnsw.meta.json"]
    mtime = index.path.stat().st_mtime_ns
    index.save()  # unchanged: no rewrite
    assert index.path.stat().st_mtime_ns == mtime

    again = VectorIndex(tmp_path / "index.hnsw", DIM, EXACT)
    calls = []
    status = again.load_or_rebuild(ids[10:], lambda: calls.append(1) or (ids, vectors))
    assert status == "loaded" and calls == [] and not again.dirty
    assert len(again) == 290
    query = unit(rng, 1)[0]
    np.testing.assert_array_equal(
        again.search(query, 10)[0], brute_force(ids[10:], vectors[10:], query, 10)[0]
    )


def test_stale_temp_files_are_removed_on_load(tmp_path):
    ids, vectors = saved(tmp_path, n=20)
    old = tmp_path / ".index.hnsw.abc123.tmp"
    fresh = tmp_path / ".index.hnsw.meta.json.def456.tmp"  # maybe another save in progress
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    os.utime(old, (0, 0))
    assert rebuild_status(tmp_path, ids, vectors)[0] == "loaded"
    assert not old.exists() and fresh.exists()
    assert vector_index.index_files(tmp_path / "index.hnsw") == (
        tmp_path / "index.hnsw",
        tmp_path / "index.hnsw.meta.json",
    )


def test_failed_save_raises_catalog_error_and_cleans_up(tmp_path):
    from photofind.core.errors import CatalogError

    index, *_ = make(tmp_path, n=20)

    def broken(path):
        Path(os.fsdecode(path)).write_bytes(b"partial")
        raise RuntimeError("Disk full")

    index._index = Faulty(index._index, "save_index", broken)
    with pytest.raises(CatalogError):
        index.save()
    assert list(tmp_path.iterdir()) == []
    assert index.dirty


def saved(tmp_path: Path, n: int = 200, dim: int = DIM):
    index, ids, vectors, _ = make(tmp_path, n=n, dim=dim)
    index.save()
    return ids, vectors


def test_load_or_rebuild_patches_a_stale_file(tmp_path):
    ids, vectors = saved(tmp_path)
    rng = np.random.default_rng(9)
    new_ids = np.arange(5000, 5020, dtype=np.int64)
    new_vectors = unit(rng, 20)
    all_ids = np.concatenate([ids[15:], new_ids])  # catalog lost 15 photos and gained 20
    all_vectors = np.concatenate([vectors[15:], new_vectors])
    calls = []

    def vectors_fn():
        calls.append(1)
        return all_ids, all_vectors

    index = VectorIndex(tmp_path / "index.hnsw", DIM, EXACT)
    assert index.load_or_rebuild(all_ids, vectors_fn) == "patched"
    assert calls == [1] and index.dirty
    assert len(index) == len(all_ids)
    got, _ = index.search(new_vectors[3], len(all_ids))
    assert got[0] == new_ids[3]
    assert sorted(got.tolist()) == sorted(all_ids.tolist())

    # Only removals: no need to read any vector.
    index.save()
    index = VectorIndex(tmp_path / "index.hnsw", DIM, EXACT)
    assert index.load_or_rebuild(all_ids[5:], lambda: pytest.fail("not needed")) == "patched"
    assert len(index) == len(all_ids) - 5
    # The deleted ids survive a save and load as deleted.
    index.save()
    index = VectorIndex(tmp_path / "index.hnsw", DIM, EXACT)
    assert index.load_or_rebuild(all_ids[5:], lambda: pytest.fail("not needed")) == "loaded"


def test_load_or_rebuild_compacts_a_mostly_deleted_file(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_index, "MIN_CAPACITY", 10)
    ids, vectors = saved(tmp_path, n=100)
    index = VectorIndex(tmp_path / "index.hnsw", DIM, EXACT)
    assert index.load_or_rebuild(ids[:20], lambda: (ids, vectors)) == "rebuilt"
    assert len(index) == 20 and index._index.element_count == 20


def rebuild_status(tmp_path: Path, ids, vectors, dim: int = DIM) -> tuple[str, VectorIndex]:
    index = VectorIndex(tmp_path / "index.hnsw", dim, EXACT)
    status = index.load_or_rebuild(ids, lambda: (ids, vectors))
    return status, index


def check_rebuilt(tmp_path: Path, ids, vectors, dim: int = DIM) -> None:
    status, index = rebuild_status(tmp_path, ids, vectors, dim)
    assert status == "rebuilt"
    assert len(index) == len(ids) and index.dirty
    assert index.search(vectors[4], 1)[0][0] == ids[4]
    index.save()
    assert rebuild_status(tmp_path, ids, vectors, dim)[0] == "loaded"


def test_rebuilds_when_file_missing(tmp_path):
    rng = np.random.default_rng(4)
    check_rebuilt(tmp_path, np.arange(50), unit(rng, 50))


def test_rebuilds_a_truncated_file(tmp_path):
    ids, vectors = saved(tmp_path)
    path = tmp_path / "index.hnsw"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    check_rebuilt(tmp_path, ids, vectors)


@pytest.mark.parametrize("keep_meta", [True, False])
def test_rebuilds_random_garbage(tmp_path, keep_meta):
    ids, vectors = saved(tmp_path)
    path = tmp_path / "index.hnsw"
    path.write_bytes(np.random.default_rng(5).bytes(path.stat().st_size))
    if not keep_meta:
        path.with_name("index.hnsw.meta.json").unlink()
    check_rebuilt(tmp_path, ids, vectors)


def test_rebuilds_a_garbage_meta_file(tmp_path):
    ids, vectors = saved(tmp_path)
    (tmp_path / "index.hnsw.meta.json").write_text('{"format": 1, "dim": [')
    check_rebuilt(tmp_path, ids, vectors)


def test_rebuilds_a_file_of_another_dim(tmp_path):
    ids, _ = saved(tmp_path, dim=32)
    vectors = unit(np.random.default_rng(6), len(ids), DIM)
    check_rebuilt(tmp_path, ids, vectors, DIM)


def test_header_check_catches_another_dim_without_meta(tmp_path):
    # hnswlib itself loads a file of another dim and then reads past each vector.
    saved(tmp_path, dim=32)
    with pytest.raises(ValueError, match="32-d"):
        index_file.check_header(tmp_path / "index.hnsw", DIM)
    index_file.check_header(tmp_path / "index.hnsw", 32)


def test_search_from_two_threads_while_another_adds(tmp_path):
    rng = np.random.default_rng(7)
    index = VectorIndex(tmp_path / "c.hnsw", DIM, IndexParams(8, 40, 32))
    seed = unit(rng, 100)
    index.add(np.arange(100), seed)
    vectors = unit(rng, 5000)
    errors: list[BaseException] = []
    done = threading.Event()
    searching = [threading.Event(), threading.Event()]
    searches = [0, 0]
    sizes_seen: set[int] = set()

    def adder():
        try:
            for start in range(0, 5000, 250):
                index.add(np.arange(100 + start, 100 + start + 250), vectors[start : start + 250])
                if start == 0:  # make sure the searches overlap the adds, not follow them
                    for event in searching:
                        event.wait(timeout=10)
        except BaseException as err:
            errors.append(err)
        finally:
            done.set()

    def searcher(slot: int):
        local = np.random.default_rng(slot)
        try:
            while not done.is_set():
                size = len(index)
                got, scores = index.search(unit(local, 1)[0], 10)
                assert len(got) == 10 and len(set(got.tolist())) == 10
                assert np.all((got >= 0) & (got < 5100))
                assert np.all(np.diff(scores) <= 0) and np.all(np.abs(scores) <= 1.0001)
                sizes_seen.add(size)
                searches[slot] += 1
                searching[slot].set()
        except BaseException as err:
            errors.append(err)
            searching[slot].set()

    threads = [threading.Thread(target=adder)] + [
        threading.Thread(target=searcher, args=(i,)) for i in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(index) == 5100 and min(searches) > 0
    assert any(100 < size < 5100 for size in sizes_seen)  # searched a half-built index
    assert index.search(vectors[-1], 1)[0][0] == 5099


def test_search_ef_grows_with_the_library():
    from photofind.core.vector_index import EF_MAX, search_ef

    assert search_ef(256, 1_000) == 256
    assert search_ef(256, 100_000) == 256
    assert search_ef(256, 480_000) == 1229
    assert search_ef(256, 10_000_000) == EF_MAX


# -- the user's disk and odd files ------------------------------------------------------


def test_a_data_folder_whose_name_is_not_utf8_saves_and_loads(tmp_path):
    folder = tmp_path / os.fsdecode(b"caf\xe9-\xff")
    folder.mkdir()
    index, ids, vectors, _ = make(folder, n=50)
    index.save()
    assert os.fsencode(index.path).startswith(os.fsencode(folder))
    again = VectorIndex(index.path, DIM, EXACT)
    assert again.load_or_rebuild(ids, lambda: (ids, vectors)) == "loaded"
    assert len(again) == 50


def _label_offset(path: Path, slot: int) -> int:
    fields = index_file.HEADER.unpack(path.read_bytes()[: index_file.HEADER.size])
    offset_level0, per_element, label_offset = fields[0], fields[3], fields[4]
    return index_file.HEADER.size + offset_level0 + slot * per_element + label_offset


def _write_label_and_checksum(path: Path, slot: int, label: int) -> None:
    """Change one stored label and record the new checksum, as a faulty writer would."""
    import json

    raw = bytearray(path.read_bytes())
    at = _label_offset(path, slot)
    raw[at : at + 8] = label.to_bytes(8, "little")
    path.write_bytes(bytes(raw))
    meta_path = path.with_name(path.name + ".meta.json")
    meta = json.loads(meta_path.read_text())
    meta["size"], meta["crc32"] = index_file.crc32(path)
    meta_path.write_text(json.dumps(meta))


@pytest.mark.parametrize("label", [2**64 - 1, 2**63, "duplicate"])
def test_a_checksummed_file_with_an_impossible_label_is_rebuilt(tmp_path, label):
    ids, vectors = saved(tmp_path, n=40)
    path = tmp_path / "index.hnsw"
    # a label above int64 cannot be a row id; two slots with one label cannot be either
    if label == "duplicate":
        # the label slot 6 holds (hnswlib adds on several threads, so slots are not in id order)
        at = _label_offset(path, 6)
        label = int.from_bytes(path.read_bytes()[at : at + 8], "little")
    _write_label_and_checksum(path, 5, label)
    index = VectorIndex(path, DIM, EXACT)
    assert index.load_or_rebuild(ids, lambda: (ids, vectors)) == "rebuilt"
    assert len(index) == len(ids)
    found, _ = index.search(vectors[5], 1)
    assert found.tolist() == [ids[5]]


def test_a_full_disk_while_saving_is_a_full_disk_and_keeps_the_old_file(tmp_path):
    from helpers.disks import fill, free_space, small_tmpfs

    from photofind.core.errors import DiskFullError

    with small_tmpfs(tmp_path / "disk", "4m") as disk:
        small, ids, vectors, rng = make(disk, n=20)
        small.save()
        before = (small.path.read_bytes(), small.meta_path.read_bytes())
        more = np.arange(10_000, 13_000, dtype=np.int64)
        small.add(more, unit(rng, len(more)))  # ~1.2 MB: more than the disk holds
        fill(disk, leave=300_000)
        with pytest.raises(DiskFullError, match=f"disk holding {disk} is full"):
            small.save()
        assert (small.path.read_bytes(), small.meta_path.read_bytes()) == before
        assert sorted(p.name for p in disk.iterdir()) == [
            "filler.bin",
            "index.hnsw",
            "index.hnsw.meta.json",
        ]
        assert small.dirty
        free_space(disk)
        small.save()
        again = VectorIndex(small.path, DIM, EXACT)
        truth = np.concatenate([ids, more])
        assert again.load_or_rebuild(truth, lambda: pytest.fail("rebuilt")) == "loaded"


def test_read_only_index_patches_in_memory_and_never_writes(tmp_path):
    ids, vectors = saved(tmp_path, n=30)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    stale = tmp_path / ".index.hnsw.abc.tmp"
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))
    index = VectorIndex(tmp_path / "index.hnsw", DIM, EXACT, read_only=True)
    assert index.load_or_rebuild(ids[:20], lambda: (ids, vectors)) == "patched"
    assert len(index) == 20 and index.dirty
    index.save()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p != stale} == before
    assert stale.exists()


def test_a_save_that_comes_out_short_without_an_error_is_refused(tmp_path):
    # What hnswlib does on a full disk: its C++ stream stops writing and says nothing.
    from photofind.core.errors import CatalogError

    index, ids, vectors, _ = make(tmp_path, n=200)
    index.save()
    before = index.path.read_bytes()
    index.remove(ids[:5])
    real_save = index._index.save_index

    def short(path):
        real_save(path)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 100)

    index._index = Faulty(index._index, "save_index", short)
    with pytest.raises(CatalogError, match="search index"):
        index.save()
    assert index.path.read_bytes() == before and index.dirty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.hnsw", "index.hnsw.meta.json"]
