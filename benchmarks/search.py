"""Recall and latency of photofind's HNSW index against exact search, to choose DEFAULT_PARAMS.

Why synthetic data: real CLIP embeddings of a 100k-photo library are not something a
benchmark can ship. Isotropic random vectors would mislead (kNN among them is nearly
meaningless), so the data imitates the structure of CLIP image embeddings of a library:

* 1,000 "events" (cluster centres) under 50 "themes" (pets, food, beaches...), all sharing a
  common direction: unrelated photos score ~0.2, events of one theme ~0.5, as in CLIP;
* event sizes drawn log-normally (a few big trips, many small days);
* within an event, photos vary along a few directions of its own (pose, light, framing):
  noise in a 64-d subspace per event with a power-law spectrum, plus 20% isotropic noise.
  CLIP embeddings are strongly anisotropic; purely isotropic 512-d noise is a worst case,
  measured at the end of a full run for comparison;
* per-event spread chosen so a photo's nearest neighbour scores 0.4-0.9;
* 10% bursts: near-duplicates (cosine ~0.98) of the photo before, like a camera's burst mode.

Two kinds of query: image-like (new photos drawn like the data; "find similar") and text-like
(an event centre plus more noise plus a common offset, the "modality gap", so the best
matches score 0.25-0.4 like CLIP text-to-image). Text-like queries sit far from every
point, where HNSW's greedy search has the least to go on.

HNSW's known weak spot is data in separated clusters: a search can stay in the wrong cluster
and return none of the true top 10. The output counts such queries, since for a user they are
worse than a slightly lower average recall.

Prints, never asserts. Built indexes are cached in benchmarks/.cache/ (delete it to rebuild);
a cached build prints the build and save figures recorded when it was built.

    .venv/bin/python benchmarks/search.py            # full run, about 15 minutes on 2 cores
    .venv/bin/python benchmarks/search.py --quick    # 20k points, one build, no 1M part
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import zlib
from pathlib import Path

import hnswlib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photofind.core.vector_index import (  # noqa: E402
    DEFAULT_PARAMS,
    IndexParams,
    VectorIndex,
)

CACHE = Path(__file__).resolve().parent / ".cache"
DIM = 512  # CLIP ViT-B image and text embeddings
CLUSTERS = 1000
THEMES = 50
COMMON = 0.3  # share of variance along the common direction: unrelated photos score ~0.2
THEME = 0.3  # share along the theme's direction: events of one theme score ~0.5 apart
SPREAD = (0.35, 1.6)  # per-event noise: nearest-neighbour cosine from ~0.9 down to ~0.4
SUBSPACE = 64  # directions along which one event's photos vary
SPECTRUM = 0.5  # variance of the i-th of them ~ 1/i**0.5: ~45 effective dimensions
ISOTROPIC = 0.2  # share of the noise spread over all 512 dimensions
BURST_FRACTION = 0.10
BURST_NOISE = 0.15  # cosine ~0.98 to the photo before
TEXT_NOISE = 2.0  # with TEXT_GAP: best text-to-image matches score 0.25-0.4
TEXT_GAP = 2.0
CHUNK = 50_000  # points generated per seeded chunk, so a smaller set is a prefix of a larger one
SEED = 20240611
K = 10
TARGET_RECALL = 0.98


# -- data ------------------------------------------------------------------------------------


class Library:
    """Deterministic CLIP-like embeddings; point i is the same whatever n is asked for."""

    def __init__(self, seed: int = SEED, isotropic: float = ISOTROPIC) -> None:
        rng = np.random.default_rng(seed)
        common = _unit(rng.standard_normal(DIM))
        themes = _unit(rng.standard_normal((THEMES, DIM)))
        own = _unit(rng.standard_normal((CLUSTERS, DIM)))
        theme_of = rng.integers(0, THEMES, CLUSTERS)
        self.centres = _unit(
            np.sqrt(COMMON) * common
            + np.sqrt(THEME) * themes[theme_of]
            + np.sqrt(1 - COMMON - THEME) * own
        )
        weights = rng.lognormal(0.0, 1.0, CLUSTERS)
        self.weights = weights / weights.sum()
        self.spread = rng.uniform(*SPREAD, CLUSTERS).astype(np.float32)
        # Rows of a Gaussian matrix in 512-d are orthonormal enough; no QR needed.
        self.axes = rng.standard_normal((CLUSTERS, SUBSPACE, DIM)) / np.sqrt(DIM)
        variance = (np.arange(SUBSPACE) + 1.0) ** -SPECTRUM
        self.axis_std = np.sqrt(variance / variance.sum() * (1 - isotropic)).astype(np.float32)
        self.isotropic = isotropic
        self.text_offset = _unit(rng.standard_normal(DIM))
        self.seed = seed

    def points(self, n: int) -> np.ndarray:
        out = np.empty((n, DIM), np.float32)
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            out[start:stop] = self._chunk(start // CHUNK)[: stop - start]
        return out

    def _noise(self, rng: np.random.Generator, cluster: np.ndarray) -> np.ndarray:
        """Unit-variance noise for photos of the given events (before the event's spread)."""
        n = len(cluster)
        noise = rng.standard_normal((n, DIM), dtype=np.float32) * np.sqrt(self.isotropic / DIM)
        along = rng.standard_normal((n, SUBSPACE)) * self.axis_std
        # Events' photos made one block at a time (sorted by event), then put back in place.
        order = np.argsort(cluster, kind="stable")
        along = along[order]
        bounds = np.flatnonzero(np.diff(cluster[order])) + 1
        blocks = [
            # einsum, not @: a thousand small products are several times faster without BLAS.
            np.einsum("nk,kd->nd", along[a:b], self.axes[cluster[order[a]]])
            for a, b in zip(np.r_[0, bounds], np.r_[bounds, n], strict=True)
        ]
        noise[order] += np.concatenate(blocks)
        return noise * self.spread[cluster, None]

    def _chunk(self, number: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, number))
        cluster = rng.choice(CLUSTERS, size=CHUNK, p=self.weights)
        x = self.centres[cluster] + self._noise(rng, cluster)
        burst = np.flatnonzero(rng.random(CHUNK) < BURST_FRACTION)
        burst = burst[burst > 0]
        jitter = rng.standard_normal((len(burst), DIM), dtype=np.float32) / np.sqrt(DIM)
        x[burst] = x[burst - 1] + BURST_NOISE * jitter
        return _unit(x)

    def image_queries(self, n: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, 1_000_001))
        cluster = rng.choice(CLUSTERS, size=n, p=self.weights)
        return _unit(self.centres[cluster] + self._noise(rng, cluster))

    def text_queries(self, n: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, 1_000_002))
        cluster = rng.choice(CLUSTERS, size=n, p=self.weights)
        noise = rng.standard_normal((n, DIM), dtype=np.float32) / np.sqrt(DIM)
        return _unit(self.centres[cluster] + TEXT_NOISE * noise + TEXT_GAP * self.text_offset)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def exact_top_k(data: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores) of the exact top k, by blocks so 1M points need no 4 GB score matrix."""
    best_ids = np.empty((len(queries), 0), np.int64)
    best_scores = np.empty((len(queries), 0), np.float32)
    for start in range(0, len(data), 100_000):
        scores = queries @ data[start : start + 100_000].T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_ids = np.hstack([best_ids, top + start])
        best_scores = np.hstack([best_scores, np.take_along_axis(scores, top, 1)])
        keep = np.argsort(-best_scores, axis=1)[:, :k]
        best_ids = np.take_along_axis(best_ids, keep, 1)
        best_scores = np.take_along_axis(best_scores, keep, 1)
    return best_ids, best_scores


def exact_latency_ms(data: np.ndarray, queries: np.ndarray) -> float:
    """Median time of one exact query as the app would run it: scores, then top k."""
    times = []
    for q in queries:
        t = time.perf_counter()
        scores = data @ q
        top = np.argpartition(-scores, K)[:K]
        top[np.argsort(-scores[top])]
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


# -- HNSW ------------------------------------------------------------------------------------


def build_or_load(
    data: np.ndarray, params: IndexParams, name: str, budget_s: float | None = None
) -> tuple[VectorIndex, dict]:
    """An index over `data` (ids = row numbers) from the cache, or built and cached now.

    With `budget_s`, stops adding once the build has taken that long; `info["n"]` then says
    how many points made it in.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    # The data's fingerprint in the name: changing the generator must not reuse old builds.
    name = f"{name}_{zlib.crc32(data[:1000].tobytes()):08x}"
    path = CACHE / f"{name}.hnsw"
    info_path = CACHE / f"{name}.info.json"
    if path.exists() and info_path.exists():
        info = json.loads(info_path.read_text())
        index = VectorIndex(path, DIM, params)
        t = time.perf_counter()
        status = index.load_or_rebuild(np.arange(info["n"]), _must_not_rebuild)
        info["load_s"] = time.perf_counter() - t
        if status == "loaded":
            info["cached"] = True
            return index, info
    for stale in (path, info_path):
        stale.unlink(missing_ok=True)
    index = VectorIndex(path, DIM, params)
    step = 20_000
    t = time.perf_counter()
    marks = [(0, t)]  # (points, time) after each step, for the rate at the end of the build
    for start in range(0, len(data), step):
        index.add(np.arange(start, min(len(data), start + step)), data[start : start + step])
        marks.append((len(index), time.perf_counter()))
        if budget_s is not None and marks[-1][1] - t > budget_s:
            break
    build_s = marks[-1][1] - t
    (n0, t0), (n1, t1) = marks[max(0, len(marks) - 6)], marks[-1]
    t = time.perf_counter()
    index.save()
    save_s = time.perf_counter() - t
    info = {
        "n": len(index),
        "build_s": build_s,
        "save_s": save_s,
        "end_rate": (n1 - n0) / (t1 - t0),
    }
    info["size_mb"] = path.stat().st_size / 1e6
    info_path.write_text(json.dumps(info))
    again = VectorIndex(path, DIM, params)
    t = time.perf_counter()
    again.load_or_rebuild(np.arange(info["n"]), _must_not_rebuild)
    info["load_s"] = time.perf_counter() - t
    info["cached"] = False
    return again, info


def _must_not_rebuild():
    raise RuntimeError("cached index unusable")


def sweep(index: VectorIndex, queries: dict, efs: list[int]) -> list[dict]:
    """Recall@K and single-query latency of `index` at each ef_search, per kind of query;
    "lost" counts queries that found none of their true top K."""
    built = index.params
    rows = []
    for ef in efs:
        index.params = IndexParams(built.M, built.ef_construction, ef)
        row = {"ef": ef}
        all_times = []
        for kind, (qs, truth) in queries.items():
            for q in qs[:20]:  # warm caches and branch predictors at this ef
                index.search(q, K)
            hits = lost = 0
            for q, want in zip(qs, truth, strict=True):
                t = time.perf_counter()
                got, _ = index.search(q, K)
                all_times.append(time.perf_counter() - t)
                found = len(np.intersect1d(got, want))
                hits += found
                lost += found == 0
            row[kind] = hits / (K * len(qs))
            row["lost"] = row.get("lost", 0) + lost
        row["median_ms"] = 1000 * float(np.median(all_times))
        row["p95_ms"] = 1000 * float(np.percentile(all_times, 95))
        rows.append(row)
    index.params = built
    return rows


# -- report ----------------------------------------------------------------------------------


def pct(x: np.ndarray, ps=(5, 50, 95)) -> str:
    return " / ".join(f"{v:.2f}" for v in np.percentile(x, ps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="library size for recall")
    parser.add_argument("--big", type=int, default=1_000_000, help="size for the 1M part; 0 skips")
    parser.add_argument("--queries", type=int, default=300, help="queries of each kind")
    parser.add_argument(
        "--big-budget-s", type=float, default=300, help="stop the big build after this long"
    )
    parser.add_argument(
        "--builds",
        default="8:100,16:100,16:200,32:200,16:400",
        help="HNSW builds to compare, as M:ef_construction,...",
    )
    parser.add_argument("--quick", action="store_true", help="20k points, one build, no big part")
    args = parser.parse_args()
    if args.quick:
        args.n, args.big, args.queries = min(args.n, 20_000), 0, 200
    builds = [tuple(int(v) for v in b.split(":")) for b in args.builds.split(",")]
    if args.quick:
        builds = [(DEFAULT_PARAMS.M, DEFAULT_PARAMS.ef_construction)]
    efs = [32, 64, 128, 192, 256, 384, 512]
    started = time.perf_counter()

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    print(f"photofind search benchmark, {time.strftime('%Y-%m-%d')}")
    print(
        f"machine: {cpus} CPUs ({platform.machine()}, {platform.processor() or 'cpu'}), "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"hnswlib {getattr(hnswlib, '__version__', '0.8')}"
    )

    lib = Library()
    t = time.perf_counter()
    data = lib.points(args.n)
    print(f"\ndata: {args.n:,} x {DIM}-d, {CLUSTERS} clusters, {BURST_FRACTION:.0%} bursts "
          f"(generated in {time.perf_counter() - t:.1f} s)")  # fmt: skip
    queries = {}
    for kind, qs in (
        ("image", lib.image_queries(args.queries)),
        ("text", lib.text_queries(args.queries)),
    ):
        ids, scores = exact_top_k(data, qs, K)
        queries[kind] = (qs, ids)
        print(
            f"  {kind}-like queries ({len(qs)}): cosine of best match p5/p50/p95 "
            f"{pct(scores[:, 0])}, of 10th {pct(scores[:, K - 1])}"
        )
    sample = data[np.random.default_rng(0).choice(args.n, 2000, replace=False)]
    print(
        f"  random pairs of photos: cosine p5/p50/p95 {pct((sample[:1000] * sample[1000:]).sum(1))}"
    )
    print(f"\nexact numpy search, one query, {args.n:,}: "
          f"{exact_latency_ms(data, queries['image'][0][:30]):.1f} ms median")  # fmt: skip

    print(f"\nHNSW builds at {args.n:,} ({cpus} threads):")
    print("     M  efC   build s   items/s   file MB   save s   load s")
    results = {}
    for m, efc in builds:
        params = IndexParams(m, efc, DEFAULT_PARAMS.ef_search)
        index, info = build_or_load(data, params, f"n{args.n}_M{m}_efc{efc}")
        cached = " (cached build)" if info["cached"] else ""
        print(
            f"  {m:4d} {efc:4d}  {info['build_s']:8.1f}  {info['n'] / info['build_s']:8.0f}"
            f"  {info['size_mb']:8.1f}  {info['save_s']:7.2f}  {info['load_s']:7.2f}{cached}"
        )
        results[(m, efc)] = sweep(index, queries, efs)
        del index

    print(f"\nrecall@{K} vs exact, and single-query latency (VectorIndex.search), {args.n:,}:")
    print("     M  efC   ef   image   text  lost   median ms   p95 ms")
    best = None
    for (m, efc), rows in results.items():
        for r in rows:
            ok = min(r["image"], r["text"]) >= TARGET_RECALL
            print(
                f"  {m:4d} {efc:4d} {r['ef']:4d}   {r['image']:.3f}  {r['text']:.3f}  {r['lost']:4d}"
                f"   {r['median_ms']:8.3f}  {r['p95_ms']:7.3f}{'' if ok else '   < target'}"
            )
            if ok and (best is None or r["median_ms"] < best[3]["median_ms"]):
                best = (m, efc, r["ef"], r)
    if best:
        m, efc, ef, r = best
        print(
            f"\nfastest with recall@{K} >= {TARGET_RECALL} on both kinds: M={m}, "
            f"ef_construction={efc}, ef_search={ef} ({r['median_ms']:.3f} ms median)"
        )
    print(f"DEFAULT_PARAMS in photofind/core/vector_index.py: {DEFAULT_PARAMS}")

    if not args.quick:
        isotropic_part(args, efs)
    if args.big:
        big_part(lib, data, args)
    print(f"\ntotal benchmark time {(time.perf_counter() - started) / 60:.1f} min")


def isotropic_part(args: argparse.Namespace, efs: list[int]) -> None:
    """The same library with all within-event noise isotropic: HNSW's hard case."""
    lib = Library(isotropic=1.0)
    data = lib.points(args.n)
    queries = {}
    for kind, qs in (
        ("image", lib.image_queries(args.queries)),
        ("text", lib.text_queries(args.queries)),
    ):
        queries[kind] = (qs, exact_top_k(data, qs, K)[0])
    p = DEFAULT_PARAMS
    name = f"n{args.n}_M{p.M}_efc{p.ef_construction}_isotropic"
    index, info = build_or_load(data, p, name)
    print(
        f"\nworst case, within-event noise isotropic in 512-d, {args.n:,}, DEFAULT_PARAMS "
        f"M={p.M} ef_construction={p.ef_construction} (built in {info['build_s']:.0f} s):"
    )
    print_short_sweep(sweep(index, queries, efs))


def big_part(lib: Library, data: np.ndarray, args: argparse.Namespace) -> None:
    t = time.perf_counter()
    big = np.empty((args.big, DIM), np.float32)
    big[: len(data)] = data[: args.big]
    if args.big > len(data):
        big[len(data) :] = lib.points(args.big)[len(data) :]
    print(f"\n{args.big:,} points (generated in {time.perf_counter() - t:.1f} s)")
    qs = lib.image_queries(args.queries)
    print(f"  exact numpy search, one query: {exact_latency_ms(big, qs[:10]):.1f} ms median")

    params = DEFAULT_PARAMS
    name = f"n{args.big}_M{params.M}_efc{params.ef_construction}"
    index, info = build_or_load(big, params, name, budget_s=args.big_budget_s)
    n = info["n"]
    cached = " (cached build)" if info["cached"] else ""
    print(
        f"  HNSW DEFAULT_PARAMS M={params.M}, ef_construction={params.ef_construction}: built "
        f"{n:,} points in {info['build_s']:.0f} s ({n / info['build_s']:.0f} items/s on "
        f"average, {info.get('end_rate', n / info['build_s']):.0f}/s at the end){cached}"
    )
    if n < args.big:
        full_s = info["build_s"] + (args.big - n) / info["end_rate"]
        print(
            f"  build stopped at {n:,} of {args.big:,} points by the {args.big_budget_s:.0f} s "
            f"budget (--big-budget-s); the full build would take about {full_s / 60:.0f} min "
            f"at the end rate. Figures below are for the {n:,} points built."
        )
    print(
        f"  file {info['size_mb']:.0f} MB, save {info['save_s']:.1f} s, "
        f"load {info['load_s']:.1f} s (checksum + hnswlib load + id sets)"
    )
    subset = big[:n]
    queries = {}
    for kind, q in (("image", qs[:200]), ("text", lib.text_queries(200))):
        queries[kind] = (q, exact_top_k(subset, q, K)[0])
    print_short_sweep(sweep(index, queries, [64, 128, 256, 512, 1024]))


def print_short_sweep(rows: list[dict]) -> None:
    print("     ef   image   text  lost   median ms   p95 ms")
    for r in rows:
        print(
            f"   {r['ef']:4d}   {r['image']:.3f}  {r['text']:.3f}  {r['lost']:4d}"
            f"   {r['median_ms']:8.3f}  {r['p95_ms']:7.3f}"
        )


if __name__ == "__main__":
    main()
