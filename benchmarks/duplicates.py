"""Duplicate finding at 100k photos: ``find_duplicates`` on a real catalog and HNSW index.

    python benchmarks/duplicates.py [--n 100000] [--runs 3]

The vectors are ``benchmarks/search.py``'s CLIP-like library (1,000 events under 50 themes,
10% bursts at cosine ~0.98), with duplicates planted: 2% exact copies (the same bytes and
vector) and 3% the same picture in other bytes (cosine ~0.97, perceptual hash 0-6 bits
away, same aspect ratio). Every other photo has a random perceptual hash and a camera-like
size. The catalog and the index are built first (timed apart: an index run does that
work, not the duplicate finder), then the three kinds are found ``--runs`` times. Prints
the medians and what was found against what was planted; never asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from photofind.core.catalog import Catalog  # noqa: E402
from photofind.core.duplicates import duplicate_groups  # noqa: E402
from photofind.core.phash import to_signed  # noqa: E402
from photofind.core.vector_index import VectorIndex  # noqa: E402

MODEL_ID = "bench"
EXACT_FRACTION = 0.02
SAME_FRACTION = 0.03
SAME_NOISE = 0.25  # jitter / sqrt(dim): cosine ~0.97 to the original
SEED = 99


def _search_bench():
    spec = importlib.util.spec_from_file_location("bench_search", REPO / "benchmarks" / "search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def planted_library(n: int) -> tuple[np.ndarray, list[tuple], dict[str, set[frozenset[int]]]]:
    """(vectors, photo rows, planted pairs by kind); ids are 1..n."""
    bench = _search_bench()
    vectors = bench.Library().points(n)
    rng = np.random.default_rng(SEED)
    phash = rng.integers(0, 2**64, n, dtype=np.uint64)
    content = [os.urandom(16) for _ in range(n)]
    width = rng.choice([4000, 6000, 4032, 3000], n)
    height = (width * rng.choice([0.75, 2 / 3, 1.0], n)).astype(int)
    planted: dict[str, set[frozenset[int]]] = {"exact": set(), "same": set()}
    targets = rng.permutation(np.arange(1, n))
    n_exact, n_same = int(EXACT_FRACTION * n), int(SAME_FRACTION * n)
    for i in targets[:n_exact]:
        vectors[i], phash[i], content[i] = vectors[i - 1], phash[i - 1], content[i - 1]
        width[i], height[i] = width[i - 1], height[i - 1]
        planted["exact"].add(frozenset((i, i - 1)))
    dim = vectors.shape[1]
    for i in targets[n_exact : n_exact + n_same]:
        jitter = rng.standard_normal(dim).astype(np.float32) * SAME_NOISE / np.sqrt(dim)
        v = vectors[i - 1] + jitter
        vectors[i] = v / np.linalg.norm(v)
        flips = rng.choice(64, rng.integers(0, 7), replace=False)
        phash[i] = phash[i - 1] ^ np.uint64(sum(1 << int(b) for b in flips))
        width[i], height[i] = width[i - 1] // 2, height[i - 1] // 2
        planted["same"].add(frozenset((i, i - 1)))
    rows = [
        (i + 1, f"/photos/{i + 1:06d}.jpg".encode(), 3_000_000, 1_600_000_000 + i, content[i],
         int(width[i]), int(height[i]), 1_600_000_000.0 + i, "indexed", MODEL_ID,
         to_signed(int(phash[i])))
        for i in range(n)
    ]  # fmt: skip
    shifted = {k: {frozenset(j + 1 for j in p) for p in v} for k, v in planted.items()}
    return vectors, rows, shifted


def build(folder: Path, n: int) -> tuple[Catalog, VectorIndex, dict, float, float]:
    vectors, rows, planted = planted_library(n)
    started = time.perf_counter()
    catalog = Catalog(folder / "catalog.sqlite3")
    with catalog.transaction() as db:
        db.executemany(
            "INSERT INTO photos (id, path, size, mtime_ns, content_hash, width, height, taken_at, "
            "status, model_id, phash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany(
            "INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
            ((i + 1, MODEL_ID, vectors[i].tobytes()) for i in range(n)),
        )
    catalog_s = time.perf_counter() - started
    started = time.perf_counter()
    index = VectorIndex(folder / "index.hnsw", vectors.shape[1])
    index.add(np.arange(1, n + 1), vectors)
    return catalog, index, planted, catalog_s, time.perf_counter() - started


def pairs(groups, kinds) -> set[frozenset[int]]:
    out = set()
    for g in groups:
        if g.kind in kinds:
            ids = [p.id for p in g.photos]
            out |= {frozenset((a, b)) for a in ids for b in ids if a < b}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="photofind-bench-dups-"))
    try:
        catalog, index, planted, catalog_s, index_s = build(folder, args.n)
        print(f"{args.n:,} photos, {os.cpu_count()} cores: catalog written in {catalog_s:.1f} s, "
              f"HNSW built in {index_s:.1f} s (index runs do both)")  # fmt: skip
        times, groups = [], []
        for run in range(args.runs):
            started = time.perf_counter()
            groups = duplicate_groups(catalog, index, MODEL_ID)
            times.append(time.perf_counter() - started)
            print(f"run {run + 1}: {times[-1]:.1f} s, {len(groups)} groups", flush=True)
        by_kind = {k: sum(g.kind == k for g in groups) for k in ("exact", "same", "similar")}
        found_exact = pairs(groups, ("exact",))
        found_same = pairs(groups, ("exact", "same"))
        print(f"\nmedian {statistics.median(times):.1f} s (target <= 60 s); groups {by_kind}")
        print(
            f"planted exact pairs found: {len(planted['exact'] & found_exact)}/{len(planted['exact'])}"
        )
        print(f"planted same pairs found (exact or same): "
              f"{len(planted['same'] & found_same)}/{len(planted['same'])}")  # fmt: skip
        catalog.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
