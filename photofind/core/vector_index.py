"""Approximate nearest-neighbour search over the photos' CLIP embeddings (HNSW, via hnswlib).

Why a cache: the catalog stores every embedding durably, so this index is only a faster way
to search them. Exact search (one matrix-vector product) is fine for a few thousand photos
but costs tens of milliseconds per query at 100k photos and hundreds at 1M; HNSW answers in
about a millisecond. Because the catalog holds the truth, a missing, stale or damaged index
file is never an error: :meth:`VectorIndex.load_or_rebuild` patches it or builds it again
from the stored vectors, without re-encoding any photo.

Files: ``path`` is hnswlib's own format; ``path`` + ``.meta.json`` records what hnswlib's
file cannot tell us safely: the dimension (hnswlib loads a file of another dimension without
complaint and then reads past each vector), a CRC-32 of the file (hnswlib trusts the
neighbour ids in it, so a damaged file could crash the process on search), and which labels
are marked deleted (hnswlib keeps deleted labels in ``get_ids_list()``).

Threads: one re-entrant lock guards every call. Long additions are split into chunks and
the lock is released between chunks, so a search from the UI thread waits for at most one
chunk while the indexer thread adds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import hnswlib
import numpy as np

from photofind.core.atomic import fsync_dir
from photofind.core.errors import CatalogError, disk_full, is_nearly_full, write_error
from photofind.core.index_file import (
    META_FORMAT,
    check_complete,
    check_header,
    checked_labels,
    crc32,
    fsync_file,
    identity,
    map_saved,
    remove_stale_temps,
)
from photofind.core.index_file import index_file_name as index_file_name
from photofind.core.index_file import index_files as index_files
from photofind.core.saved_vectors import SavedVectors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexParams:
    """HNSW settings. ``M`` and ``ef_construction`` are fixed when an index is built (a loaded
    file keeps the values it was built with); ``ef_search`` applies to every search."""

    M: int
    ef_construction: int
    ef_search: int


# Chosen with benchmarks/search.py (clustered CLIP-like 512-d vectors, 100k points, recall@10
# against exact search, 300 image-like + 300 text-like queries, median single-query latency on
# 2 shared cores; exact numpy search takes 8-24 ms there):
#   M=16 ef_construction=400 ef_search=256: recall 1.000 image / 0.986 text, 0.52 ms, build 73 s
#   M=16 ef_construction=200 ef_search=384: recall 1.000 / 0.980, 0.63 ms, build 52 s
#   M=32 ef_construction=200 ef_search=384: recall 1.000 / 0.984, 0.68 ms, 6% larger file
#   M=16 ef_construction=100: text recall stays below 0.95 up to ef_search=512; M=8 is worse.
# Text queries decide it: they sit far from every photo (CLIP's modality gap), where HNSW's greedy
# search strays most, and they are what photofind is for. A better graph (ef_construction=400)
# is cheaper than searching a worse one harder, and the build cost is small beside CLIP encoding.
DEFAULT_PARAMS = IndexParams(M=16, ef_construction=400, ef_search=256)
EF_MEASURED_AT = 100_000  # the library size at which ef_search above reaches recall 0.98
EF_MAX = 2048  # ef 1024 took 2.1 ms at 480k; twice that is still instant to a person


def search_ef(ef_search: int, items: int) -> int:
    """ef for a library of ``items``: ``ef_search`` up to the size it was measured at, then
    growing in proportion (measured: 480k points need ~1024 for text recall 0.987)."""
    return min(EF_MAX, max(ef_search, round(ef_search * items / EF_MEASURED_AT)))


# hnswlib allocates its whole capacity up front; a small library should not pay for a big one.
MIN_CAPACITY = 1024
# Grow by half again (at least MIN_CAPACITY) so that adding photos one batch at a time costs
# amortised O(1) copies instead of a reallocation per batch.
GROWTH_FACTOR = 1.5
# About 0.2 s of insertion work (512-d, DEFAULT_PARAMS, ~1,300 items/s on two cores): the longest
# a search from the UI thread waits for the lock while the indexer thread adds.
ADD_CHUNK = 256
# Equal scores are ordered by id; candidates are fetched beyond k until the tie at the cut ends,
# starting with this many extra (duplicates and bursts of near-identical photos are common).
TIE_SLACK = 8
# Rebuild instead of patching once tombstones outnumber live items: deleted nodes still sit in
# the graph, slowing every search and holding memory, and new items reuse only as many as arrive.
COMPACT_RATIO = 1.0
# Photos whose neighbours one batch search finds (neighbours()): 2 MB of 512-d queries,
# and a search waits at most ~0.3 s for the lock at ef 64 on two cores.
NEIGHBOUR_CHUNK = 1024


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux: no affinity mask to honour
        return max(1, os.cpu_count() or 1)


class VectorIndex:
    """HNSW index over L2-normalised vectors keyed by photo id; scores are cosines.

    Uses hnswlib's inner-product space on normalised vectors, where ``1 - distance`` is the
    cosine. Deleted slots are reused for new photos (``allow_replace_deleted``), so a library
    that changes over years does not grow the index without bound.
    """

    def __init__(
        self, path: Path, dim: int, params: IndexParams = DEFAULT_PARAMS, *, read_only: bool = False
    ) -> None:
        """``read_only``: the file is read but never written (``save`` does nothing): a
        stale file is patched or rebuilt in memory only."""
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        self.path = Path(path)
        self.read_only = read_only
        self.dim = int(dim)
        self.params = params
        self._lock = threading.RLock()
        self._index: hnswlib.Index | None = None
        # Which ids are searchable, and which labels are marked deleted inside hnswlib. The
        # latter may keep ids whose slot hnswlib has since given to a new id: harmless, since
        # they are checked before use and pruned on save.
        self._live: set[int] = set()
        self._deleted: set[int] = set()
        self._dirty = False
        self._changes = 0
        # The saved file's vectors, for ids not added or replaced since it was written.
        self._saved: SavedVectors | None = None
        self._unsaved: set[int] = set()

    @property
    def _hnsw(self) -> hnswlib.Index:
        """The hnswlib index, for code that runs once one was loaded or made."""
        if self._index is None:
            raise RuntimeError("the vector index was used before it was loaded or built")
        return self._index

    @property
    def changes(self) -> int:
        """A count that moves whenever a search could answer differently (for caches)."""
        with self._lock:
            return self._changes

    @property
    def meta_path(self) -> Path:
        return index_files(self.path)[1]

    @property
    def dirty(self) -> bool:
        """True when the index differs from what was last saved or loaded."""
        with self._lock:
            return self._dirty

    def __len__(self) -> int:
        with self._lock:
            return len(self._live)

    # -- loading ----------------------------------------------------------------------------

    def load_or_rebuild(
        self,
        ids: np.ndarray,
        vectors_fn: Callable[[], tuple[np.ndarray, np.ndarray]],
    ) -> str:
        """Bring the index in line with the catalog and say how: "loaded", "patched" or "rebuilt".

        ``ids`` are the photo ids the catalog holds embeddings for. ``vectors_fn`` returns
        (ids, vectors) for all of them; it is called at most once, and not at all when the
        file matches. A file that is missing or cannot be trusted is rebuilt, never raised.
        Searches made meanwhile see the part added so far.
        """
        truth = set(np.asarray(ids, dtype=np.int64).ravel().tolist())
        with self._lock:
            patch = self._try_load()
            if patch:
                missing = truth - self._live
                extra = self._live - truth
                if not missing and not extra:
                    return "loaded"
                self.remove(extra)
                tombstones = self._hnsw.element_count - len(self._live)
                patch = tombstones <= COMPACT_RATIO * max(len(self._live), MIN_CAPACITY)
                if not patch:
                    log.info("search index has %d deleted slots; rebuilding it", tombstones)
                elif not missing:
                    return "patched"
        # Outside the lock: reading every vector from the catalog may take seconds, and
        # searches on the index as it stands are still worth answering meanwhile.
        all_ids, vectors = vectors_fn()
        all_ids = np.asarray(all_ids, dtype=np.int64).ravel()
        wanted = truth - self._live if patch else truth
        rows = np.isin(all_ids, np.fromiter(wanted, np.int64, len(wanted)))
        all_ids, vectors = all_ids[rows], np.asarray(vectors)[rows]
        if len(all_ids) < len(wanted):
            # Left out, not fatal: the next start finds them missing and patches again.
            log.warning("%d photo ids have no stored vector", len(wanted) - len(all_ids))
        if not patch:
            with self._lock:
                self._reset(len(all_ids))
                self._dirty = True
        self.add(all_ids, vectors)
        return "patched" if patch else "rebuilt"

    def _try_load(self) -> bool:
        """Load the file if it can be trusted; on any doubt log why and return False."""
        if not self.read_only:
            remove_stale_temps(self.path)
        if not self.path.exists():
            log.info("no search index at %s; building it", self.path)
            return False
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            if meta.get("format") != META_FORMAT or meta.get("space") != "ip":
                raise ValueError("unknown index format")
            if meta.get("dim") != self.dim:
                raise ValueError(f"index holds {meta.get('dim')}-d vectors, expected {self.dim}-d")
            if crc32(self.path) != (meta["size"], meta["crc32"]):
                raise ValueError("file does not match its checksum")
            check_header(self.path, self.dim)
            index = hnswlib.Index(space="ip", dim=self.dim)
            loaded = os.stat(self.path)
            # bytes: hnswlib takes a str only if it is valid UTF-8, and folder names need not be
            index.load_index(os.fsencode(self.path), max_elements=0, allow_replace_deleted=True)
            labels = checked_labels(index)
            deleted = {int(i) for i in meta["deleted"]} & labels
            live = labels - deleted
            if len(live) != meta["count"]:
                raise ValueError("live count differs from the recorded one")
        # A cache file may be wrong in any way at all (hnswlib raises RuntimeError, the meta
        # file may hold anything); every such case means "rebuild", never "fail".
        except Exception as err:
            log.warning("search index %s is unusable (%s); rebuilding it", self.path, err)
            return False
        self._index = index
        self._live = live
        self._deleted = deleted
        self._dirty = False
        self._changes += 1
        saved = self._try_map(self.path)
        # The file is only ever replaced whole, so the same identity means the same bytes.
        with contextlib.suppress(OSError):
            if saved is not None and identity(os.stat(self.path)) == identity(loaded):
                self._set_saved(saved)
                return True
        if saved is not None:
            saved.close()
        self._set_saved(None)
        return True

    def _try_map(self, path: str | Path) -> SavedVectors | None:
        try:
            return map_saved(path, self.dim)
        except (OSError, ValueError) as err:
            # Only slower: filtered searches then read the vectors from hnswlib.
            log.info("search index %s could not be mapped (%s)", path, err)
            return None

    def _set_saved(self, saved: SavedVectors | None) -> None:
        if self._saved is not None:
            self._saved.close()
        self._saved = saved
        self._unsaved = set()

    def _reset(self, capacity: int) -> None:
        index = hnswlib.Index(space="ip", dim=self.dim)
        index.init_index(
            max_elements=max(capacity, MIN_CAPACITY),
            M=self.params.M,
            ef_construction=self.params.ef_construction,
            allow_replace_deleted=True,
        )
        self._index = index
        self._live = set()
        self._deleted = set()
        self._changes += 1
        self._set_saved(None)

    # -- changes ----------------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add or replace vectors. Vectors are normalised here so that scores stay cosines."""
        ids = np.asarray(ids, dtype=np.int64).ravel()
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim == 1 and len(ids) == 1:
            vectors = vectors[None, :]
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(vectors) != len(ids):
            raise ValueError(
                f"expected {len(ids)} vectors of {self.dim} values, got shape {vectors.shape}"
            )
        if len(ids) == 0:
            return
        if ids.min() < 0:
            raise ValueError("photo ids must be non-negative")
        # The last vector given for an id wins; hnswlib would store one of them at random.
        _, first_from_end = np.unique(ids[::-1], return_index=True)
        keep = np.sort(len(ids) - 1 - first_from_end)
        ids, vectors = ids[keep], _normalise(vectors[keep])
        for start in range(0, len(ids), ADD_CHUNK):
            with self._lock:
                self._add_chunk(ids[start : start + ADD_CHUNK], vectors[start : start + ADD_CHUNK])

    def _add_chunk(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self._index is None:
            self._reset(0)
        index = self._hnsw
        existing = np.zeros(len(ids), dtype=bool)
        for i, label in enumerate(ids.tolist()):
            if label in self._live:
                existing[i] = True
            elif label in self._deleted:
                # With allow_replace_deleted hnswlib refuses to update a deleted label, and
                # sending it as new would leave two slots with one label. Unmarking then
                # updating is safe; "Label not found" means its slot went to another id.
                try:
                    index.unmark_deleted(label)
                    existing[i] = True
                except RuntimeError:
                    pass
                self._deleted.discard(label)
        new = ~existing
        needed = index.element_count + int(new.sum())
        if needed > index.max_elements:
            grown = max(
                needed, int(index.max_elements * GROWTH_FACTOR), index.max_elements + MIN_CAPACITY
            )
            index.resize_index(grown)
        threads = _cpu_count()
        if existing.any():
            # replace_deleted=False: with it, hnswlib would move a live label into a free slot
            # and leave its old slot searchable under the same label.
            index.add_items(vectors[existing], ids[existing], num_threads=threads)
        if new.any():
            index.add_items(vectors[new], ids[new], num_threads=threads, replace_deleted=True)
        self._live.update(ids.tolist())
        if self._saved is not None:
            self._unsaved.update(ids.tolist())
        self._dirty = True
        self._changes += 1

    def remove(self, ids: Iterable[int] | np.ndarray) -> None:
        """Hide ids from searches; ids that are not in the index are ignored."""
        with self._lock:
            ids = ids if isinstance(ids, np.ndarray) else list(ids)
            for label in np.asarray(ids, dtype=np.int64).ravel().tolist():
                if label in self._live:
                    self._hnsw.mark_deleted(label)
                    self._live.discard(label)
                    self._deleted.add(label)
                    self._dirty = True
                    self._changes += 1

    # -- search -----------------------------------------------------------------------------

    def search(
        self, query: np.ndarray, k: int, allowed: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64, cosine scores float32) of the k nearest, best first, ties by id.

        ``allowed``: only ids it accepts are returned, found inside the graph search
        (hnswlib's filter), so a filter does not cost recall the way cutting a top list
        would; for a filter that keeps few photos :meth:`search_among` is faster."""
        query = np.asarray(query, dtype=np.float32)
        if query.shape not in ((self.dim,), (1, self.dim)):
            raise ValueError(f"query must have shape ({self.dim},) or (1, {self.dim})")
        query = _normalise(query.reshape(1, self.dim))
        with self._lock:
            live = len(self._live)
            k = min(int(k), live)
            if k <= 0:
                return np.empty(0, np.int64), np.empty(0, np.float32)
            fetch = min(live, k + TIE_SLACK)
            while True:
                ids, scores = self._knn(query, fetch, allowed)
                if allowed is not None and len(ids) < fetch:
                    return ids[:k], scores[:k]  # the filter keeps fewer than were asked for
                order = np.lexsort((ids, -scores))
                ids, scores = ids[order], scores[order]
                # Stop unless the tie at the cut may go on past what was fetched.
                if len(ids) <= k or scores[k - 1] != scores[-1] or fetch >= live:
                    return ids[:k], scores[:k]
                fetch = min(live, fetch * 2)

    def search_among(
        self, query: np.ndarray, k: int, ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact search over ``ids`` (those in the index): (ids, scores), best first, ties
        by id. For a filter that keeps a few thousand photos one matrix product beats a
        filtered graph search, which wanders through the photos it must skip."""
        return exact_search(query, k, *self.vectors(ids))

    def vectors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, unit vectors) of those of ``ids`` that are in the index, in their order:
        what :func:`exact_search` searches, for a caller that searches them repeatedly."""
        with self._lock:
            wanted = np.fromiter(
                (i for i in np.asarray(ids, dtype=np.int64).tolist() if i in self._live), np.int64
            )
            if self._index is None or len(wanted) == 0:
                return wanted, np.empty((0, self.dim), np.float32)
            index = self._hnsw
            if self._saved is None:
                return wanted, np.asarray(index.get_items(wanted), dtype=np.float32)
            from_file = self._saved.holds(wanted)
            if self._unsaved:
                unsaved = np.fromiter(self._unsaved, np.int64, len(self._unsaved))
                from_file &= ~np.isin(wanted, unsaved)
            if from_file.all():
                return wanted, self._saved.get(wanted)
            vectors = np.empty((len(wanted), self.dim), np.float32)
            vectors[from_file] = self._saved.get(wanted[from_file])
            vectors[~from_file] = index.get_items(wanted[~from_file])
            return wanted, vectors

    def neighbours(
        self, k: int, *, ef: int, chunk: int = NEIGHBOUR_CHUNK
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Every photo's ``k`` nearest others, a chunk of photos at a time: (ids (n,),
        neighbour ids (n, k), cosines (n, k)); -1 pads a row when fewer are found. The
        lock is held for one chunk only, so searches are answered in between."""
        with self._lock:
            labels = np.fromiter(sorted(self._live), np.int64, len(self._live))
        k = min(int(k), len(labels) - 1)
        if k <= 0:
            return
        for start in range(0, len(labels), chunk):
            with self._lock:
                ids = np.fromiter(
                    (i for i in labels[start : start + chunk].tolist() if i in self._live),
                    np.int64,
                )
                if len(ids) == 0:
                    continue
                vectors = np.asarray(self._hnsw.get_items(ids), dtype=np.float32)
                found, scores = self._knn_many(vectors, k + 1, ef)
            keep = found != ids[:, None]  # each photo finds itself (or a copy first)
            order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
            found = np.take_along_axis(np.where(keep, found, -1), order, axis=1)
            scores = np.take_along_axis(np.where(keep, scores, -np.inf), order, axis=1)
            yield ids, found, scores.astype(np.float32)

    def _knn_many(self, vectors: np.ndarray, k: int, ef: int) -> tuple[np.ndarray, np.ndarray]:
        """hnswlib's batch search on every core; exact when the graph holds too few live
        items for k (a small library, many deletions)."""
        index = self._hnsw
        total = index.element_count
        ef = max(ef, k)
        while True:
            index.set_ef(ef)
            try:
                labels, distances = index.knn_query(vectors, k=k, num_threads=_cpu_count())
                return labels.astype(np.int64), (1.0 - distances).astype(np.float32)
            except RuntimeError:
                if ef >= total:
                    break
                ef = min(total, ef * 4)
        live = np.fromiter(self._live, np.int64, len(self._live))
        scores = vectors @ np.asarray(index.get_items(live), dtype=np.float32).T
        best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return live[best], np.take_along_axis(scores, best, axis=1).astype(np.float32)

    def _knn(
        self, query: np.ndarray, k: int, allowed: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """k results from hnswlib, widening the search or going exact when it falls short.

        hnswlib raises RuntimeError when the search finds fewer than k live items, which
        happens when k is close to the live count or many slots are deleted.
        """
        index = self._hnsw
        total = index.element_count
        ef = max(search_ef(self.params.ef_search, total), k)
        while True:
            index.set_ef(ef)
            try:
                labels, distances = index.knn_query(query, k=k, num_threads=1, filter=allowed)
                return labels[0].astype(np.int64), (1.0 - distances[0]).astype(np.float32)
            except RuntimeError:
                if ef >= total:
                    break
                ef = min(total, ef * 4)
        log.debug("HNSW search could not return %d of %d items; searching exactly", k, total)
        labels = np.fromiter(self._live, np.int64, len(self._live))
        if allowed is not None:
            labels = labels[np.fromiter(map(allowed, labels.tolist()), bool, len(labels))]
        scores = (index.get_items(labels) @ query[0]).astype(np.float32)
        best = np.argsort(-scores, kind="stable")[:k]
        return labels[best], scores[best]

    # -- saving -----------------------------------------------------------------------------

    def save(self) -> None:
        """Write the index atomically: a crash leaves the old file or the new one, never half.

        hnswlib writes a temporary file in the same folder, which is flushed to disk and then
        renamed over the old one. The meta file is replaced the same way just after; a crash
        between the two renames leaves a checksum mismatch, which only costs a rebuild. A
        file that came out short (a full disk) is never renamed in. Does nothing when the
        index is read-only. Raises DiskFullError, NotWritableError or CatalogError.
        """
        with self._lock:
            if not self._dirty or self.read_only:
                return
            if self._deleted:
                # Deleted slots reused for other ids are gone from hnswlib; keep the list short.
                self._deleted &= set(self._hnsw.get_ids_list())
            folder = self.path.parent
            temps: list[str] = []
            saved: SavedVectors | None = None
            try:
                folder.mkdir(parents=True, exist_ok=True)
                fd, tmp_index = tempfile.mkstemp(
                    prefix=f".{self.path.name}.", suffix=".tmp", dir=folder
                )
                os.close(fd)
                temps.append(tmp_index)
                self._hnsw.save_index(os.fsencode(tmp_index))
                fsync_file(tmp_index)
                check_complete(Path(tmp_index))
                size, crc = crc32(Path(tmp_index))
                # Mapped before the rename, so the mapping holds exactly what was written.
                saved = self._try_map(tmp_index)
                meta = {
                    "format": META_FORMAT,
                    "space": "ip",
                    "dim": self.dim,
                    "size": size,
                    "crc32": crc,
                    "count": len(self._live),
                    "deleted": sorted(self._deleted),
                }
                fd, tmp_meta = tempfile.mkstemp(
                    prefix=f".{self.meta_path.name}.", suffix=".tmp", dir=folder
                )
                temps.append(tmp_meta)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(meta, f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp_index, self.path)
                os.replace(tmp_meta, self.meta_path)
                temps.clear()
                self._set_saved(saved)
                saved = None
                fsync_dir(folder)
            except (OSError, RuntimeError, ValueError) as err:
                mine = write_error(err, folder) if isinstance(err, OSError) else None
                if mine is None and is_nearly_full(folder):
                    mine = disk_full(folder)
                raise mine or CatalogError(
                    f"Could not save the search index in {folder} ({err}); check the disk. "
                    "Nothing was lost: the index is rebuilt from the catalog when needed."
                ) from err
            finally:
                if saved is not None:
                    saved.close()
                for tmp in temps:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
            self._dirty = False


def exact_search(
    query: np.ndarray, k: int, ids: np.ndarray, vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` of ``ids`` whose unit ``vectors`` score best against ``query``: (ids,
    cosines), best first, ties by id."""
    if len(ids) == 0 or k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    query = _normalise(np.asarray(query, dtype=np.float32).reshape(1, vectors.shape[1]))[0]
    # einsum's own loop, not BLAS: OpenBLAS spreads a product this size over threads that
    # stall 5-15 ms whenever the cores are busy (the indexer, other programs), where one
    # thread takes ~1 ms for 10,000 vectors.
    scores = np.einsum("ij,j->i", vectors, query).astype(np.float32, copy=False)
    if k < len(ids):
        # Only the best k (and any that tie with the k-th) need sorting.
        cut = np.partition(-scores, k - 1)[k - 1]
        keep = np.flatnonzero(-scores <= cut)
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[: int(k)]
    return ids[order], scores[order]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    """Unit rows, so inner product is cosine; an all-zero row stays zero rather than NaN."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)
