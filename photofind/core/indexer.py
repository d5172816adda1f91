"""Bring the catalog and the vector index up to date with the library folders.

``Indexer.run(cancel)`` is a generator of :class:`IndexProgress`; it never prints. The CLI
draws a progress bar from it and the GUI turns it into signals.

Pipeline: the scanner lists what is new or changed; worker threads open each file (only
a regular file of a size a photo can have), hash it in bounded chunks, and (unless its
bytes are already embedded: a rename, a move, a copy) decode and preprocess it, staying a
bounded number of batches ahead of the model so that the model never waits and memory
stays bounded; the main thread encodes full batches and commits each batch in one
transaction. A killed run loses at most the batch in flight; the next run finds those
files still to do, and nothing is ever stored twice (paths are unique).

The main thread never waits on a worker without a deadline: a file whose reading takes
longer than ``read_timeout_s`` is recorded as a failure that is retried on the next run,
and a cancel is seen within ``CANCEL_POLL_S`` even while a read is stuck.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np

from photofind.core.catalog import CONTENT, EXIF, FILE, TRANSIENT, Catalog, IndexedPhoto, PhotoRow
from photofind.core.clip.encoder import ClipEncoder
from photofind.core.details import fill_missing_details
from photofind.core.errors import ImageError
from photofind.core.images import ImageInfo, open_image, read_info
from photofind.core.library_folders import forget_folder, photofind_folders
from photofind.core.low_impact import LOW_IMPACT_WORKERS, lower_thread_priority
from photofind.core.pacing import foreground
from photofind.core.phash import perceptual_hash
from photofind.core.phash_fill import compute_missing, store_phashes
from photofind.core.photo_file import PhotoReadError, hash_photo, open_photo, read_failure
from photofind.core.read_pool import Job, ReadPool
from photofind.core.scanner import FoundFile, ScanPlan, plan
from photofind.core.thumbnails import ThumbnailCache
from photofind.core.vector_index import VectorIndex

log = logging.getLogger(__name__)

CPU_BATCH = 8  # measured: ViT-B/32 on CPU is as fast at 8 as at 32, and 8 keeps progress smooth
GPU_BATCH = 64  # a GPU needs larger batches to be busy; 64 ViT-B/32 inputs are ~40 MB
LOOKAHEAD_BATCHES = 3  # decoded batches queued ahead of the model: covers decode jitter
SAVE_EVERY_S = 30.0  # index file rewrite interval: bounds what a crash costs to re-add
HASH_DIGEST_BYTES = 16  # blake2b-128: collisions are not a practical concern for a photo library
MAX_PENDING_ROWS = 256  # catalog rows (failures, renames) to gather before committing them
# Reading, hashing and decoding one file: the largest file accepted (2 GB) read at 50 MB/s
# (a USB 2 drive) takes 40 s; longer than this is a drive or share that stopped answering.
READ_TIMEOUT_S = 60.0
CANCEL_POLL_S = 0.2  # how often a wait on a worker looks at the cancel flag
# Threads left behind in reads that never returned, each replaced by a fresh one; past
# this many (a whole share stalled) the run stops starting threads that would only stick.
MAX_ABANDONED_READS = 16


# The indexer yields the first four; "failed" is the last item a front end makes itself
# when a run raised, so that one type carries every way a run ends.
IndexPhase = Literal["scanning", "indexing", "done", "cancelled", "failed"]


@dataclass(frozen=True)
class IndexProgress:
    phase: IndexPhase
    done: int = 0
    total: int = 0
    indexed: int = 0  # newly encoded
    reused: int = 0  # renamed, moved, copied or touched: stored embedding reused
    failed: int = 0  # unreadable in this run
    unchanged: int = 0
    removed: int = 0
    images_per_s: float = 0.0
    eta_s: float | None = None
    current: Path | None = None
    errors: tuple[tuple[Path, str], ...] = ()  # files that failed since the previous item


@dataclass
class _Prepared:
    found: FoundFile
    content_hash: bytes | None = None
    tensor: np.ndarray | None = None
    info: ImageInfo | None = None
    phash: int | None = None
    reuse_from: int | None = None
    error: str | None = None
    transient: bool = False  # the error may pass by itself: retried on the next run


@dataclass
class _Batch:
    encode: list[_Prepared] = field(default_factory=list)
    other: list[_Prepared] = field(default_factory=list)

    def errors(self) -> tuple[tuple[Path, str], ...]:
        return tuple((i.found.path, i.error) for i in (*self.encode, *self.other) if i.error)


class Indexer:
    def __init__(
        self,
        encoder: ClipEncoder,
        catalog: Catalog,
        index: VectorIndex,
        *,
        batch_size: int | None = None,
        workers: int | None = None,
        read_timeout_s: float = READ_TIMEOUT_S,
        low_impact: bool = False,
        hold_back: Callable[[FoundFile], bool] | None = None,
        thumbnails: ThumbnailCache | None = None,
    ) -> None:
        self.encoder = encoder
        self.catalog = catalog
        self.index = index
        self.batch_size = batch_size or (GPU_BATCH if encoder.provider == "cuda" else CPU_BATCH)
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.read_timeout_s = read_timeout_s
        # Read when a run starts: a front end switches it by starting the next run.
        self.low_impact = low_impact
        if low_impact:
            self.workers = min(self.workers, LOW_IMPACT_WORKERS)
        # Files not to index in this run although new or changed (the watcher's: still
        # being written); they are seen again by the next run.
        self.hold_back = hold_back
        # Where each decoded photo's grid thumbnail goes (None: not made while indexing).
        self.thumbnails = thumbnails
        self._model_id = encoder.model_id

    # -- worker side --------------------------------------------------------------------

    def _prepare(self, found: FoundFile, reusable: dict[bytes, int]) -> _Prepared:
        """Runs on a worker thread: read, hash, and decode unless the bytes are known."""
        item = _Prepared(found)
        try:
            with open_photo(found.path) as fh:
                item.content_hash = hash_photo(fh, HASH_DIGEST_BYTES)
                item.reuse_from = reusable.get(item.content_hash)
                if item.reuse_from is not None:
                    return item
                item.info = read_info(fh)
                fh.seek(0)
                self._decode(fh, item)
        except PhotoReadError as exc:
            item.error, item.transient = str(exc), exc.transient
        except ImageError as exc:
            item.error = str(exc)
        except OSError as exc:
            failure = read_failure(exc)
            item.error, item.transient = str(failure), failure.transient
        except MemoryError:
            item.error = "The image is too large to decode with the memory available."
        except Exception as exc:
            # A decoder bug met in one file must not stop this run, nor every later run
            # (the file would be tried again, and stop it again, each time).
            log.exception("unexpected error while decoding %s", found.path)
            detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
            item.error = f"The file could not be decoded ({detail})."
        return item

    def _decode(self, fh: io.BufferedReader, item: _Prepared) -> None:
        """One decode feeds the model, the perceptual hash and the grid thumbnail (the
        model's draft decode keeps the shorter side at least 448 px, more than the
        thumbnail needs), so a freshly indexed photo costs the window no decode at all."""
        image = open_image(fh, min_size=self.encoder.preprocessor.size)
        try:
            item.tensor = self.encoder.preprocessor(image)
            item.phash = perceptual_hash(image)
            if self.thumbnails is not None:
                # Keyed by what was read, not by what the scan saw a moment before.
                st = os.fstat(fh.fileno())
                self.thumbnails.put(item.found.path, st.st_size, st.st_mtime_ns, image)
        finally:
            image.close()

    def _await(
        self,
        pool: ReadPool[_Prepared],
        job: Job[_Prepared],
        found: FoundFile,
        cancel: threading.Event,
    ) -> _Prepared | None:
        """The job's result, or a failure once it has run too long; None when cancelled."""
        waiting_since = time.monotonic()
        while not cancel.is_set():
            try:
                return job.future.result(timeout=CANCEL_POLL_S)
            except FutureTimeout:
                pass
            if job.started_at is None and pool.serving == 0:
                reason = (
                    "The file was not read: reading other photos stopped answering (a stalled "
                    "drive or network share?); it is tried again on the next run."
                )
            elif time.monotonic() - (job.started_at or waiting_since) > self.read_timeout_s:
                reason = (
                    f"Reading the file took longer than {self.read_timeout_s:g} s (a stalled "
                    "drive or network share?); it is tried again on the next run."
                )
            else:
                continue
            if not pool.abandon(job):
                continue  # it finished just now
            log.warning("gave up reading %s: %s", found.path, reason)
            return _Prepared(found, error=reason, transient=True)
        return None

    # -- main side ----------------------------------------------------------------------

    def scan(self, cancel: threading.Event | None = None) -> ScanPlan:
        foreground.give_way(cancel)  # reading every row holds the interpreter for a while
        rows = self.catalog.all_photos()
        embedded = set(self.catalog.embedding_ids(self._model_id).tolist())
        own = photofind_folders(self.catalog.path.parent)
        scan = plan(self.catalog.folders(), rows, embedded, cancel, skip=own)
        if not scan.cancelled and dict(self.catalog.folder_problems()) != scan.folder_problems:
            self.catalog.set_folder_problems(scan.folder_problems)
        return scan

    def run(self, cancel: threading.Event | None = None) -> Iterator[IndexProgress]:
        cancel = cancel or threading.Event()
        if self.low_impact:
            lower_thread_priority()  # before the read threads start: they inherit it
        yield IndexProgress("scanning")
        scan = self.scan(cancel)
        if self.hold_back is not None:
            scan.todo = [f for f in scan.todo if not self.hold_back(f)]
        stats = {"indexed": 0, "reused": 0, "failed": 0, "removed": 0}
        total = len(scan.todo)
        reusable = self.catalog.embedded_hashes(self._model_id) if scan.todo else {}
        lookahead = self.batch_size * LOOKAHEAD_BATCHES
        started = time.monotonic()
        last_save = started
        done = 0

        def progress(
            phase: IndexPhase, current: Path | None, committed: _Batch | None = None
        ) -> IndexProgress:
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed > 0 and done else 0.0
            eta = (total - done) / rate if rate > 0 else None
            return IndexProgress(
                phase,
                done,
                total,
                unchanged=scan.unchanged,
                images_per_s=rate,
                eta_s=eta,
                current=current,
                errors=committed.errors() if committed else (),
                **stats,
            )

        yield progress("indexing", None)
        todo = iter(scan.todo)
        finished = False
        pool: ReadPool[_Prepared] = ReadPool(self.workers, max_abandoned=MAX_ABANDONED_READS)
        pending: deque[tuple[Job[_Prepared], FoundFile]] = deque()
        batch = _Batch()

        def prepare_again(found: FoundFile) -> _Prepared | None:
            job = pool.submit(partial(self._prepare, found, {}))  # no reuse this time
            return self._await(pool, job, found, cancel)

        try:
            while True:
                while len(pending) < lookahead and (nxt := next(todo, None)) is not None:
                    pending.append((pool.submit(partial(self._prepare, nxt, reusable)), nxt))
                if not pending:
                    finished = True
                    break
                item = self._await(pool, *pending[0], cancel)
                if item is None:
                    break
                pending.popleft()
                (batch.encode if item.tensor is not None else batch.other).append(item)
                if len(batch.encode) >= self.batch_size or len(batch.other) >= MAX_PENDING_ROWS:
                    foreground.give_way(cancel)  # the read threads go on decoding meanwhile
                    done += self._commit(batch, scan, stats, prepare_again)
                    committed, batch = batch, _Batch()
                    if time.monotonic() - last_save > SAVE_EVERY_S:
                        self.index.save()
                        last_save = time.monotonic()
                    yield progress("indexing", item.found.path, committed)
            # What was decoded is committed even when cancelled: the work is paid for.
            done += self._commit(batch, scan, stats, prepare_again)
        finally:
            pool.close()
        # A cancel that arrives after the last file is no cancel: finish the run properly.
        if finished and not scan.cancelled:
            self._sweep(scan, stats)
            fill_missing_details(self.catalog, cancel)  # rows from catalogs before v3
            compute_missing(self.catalog, self.thumbnails, cancel)  # and before v5
        self.index.save()
        yield progress("done" if finished and not scan.cancelled else "cancelled", None, batch)

    def _commit(
        self,
        batch: _Batch,
        scan: ScanPlan,
        stats: dict[str, int],
        prepare_again: Callable[[FoundFile], _Prepared | None],
    ) -> int:
        """Encode the batch and write it, with the failures and reuses, in one transaction.
        ``prepare_again`` reads a file anew (None: not now, the run is being cancelled)."""
        if not batch.encode and not batch.other:
            return 0
        vectors = (
            self.encoder.encode_image_batch(
                np.stack([i.tensor for i in batch.encode if i.tensor is not None])
            )
            if batch.encode
            else None
        )
        added_ids: list[int] = []
        added_vectors: list[np.ndarray] = []
        removed_ids: list[int] = []
        redo: list[_Prepared] = []
        with self.catalog.transaction():
            matched = {i.reuse_from for i in batch.other if i.reuse_from is not None}
            sources = self.catalog.photos(matched) if matched else {}
            # Reuses before encodings: a source re-encoded in this very batch must still
            # hold the vector of the bytes that were matched to it.
            for item in batch.other:
                f = item.found
                if item.error is not None:
                    kind = TRANSIENT if item.transient else CONTENT
                    removed_ids.append(
                        self.catalog.record_failed(f.path, f.size, f.mtime_ns, item.error, kind)
                    )
                    stats["failed"] += 1
                    continue
                if not self._source_holds(item, sources, (removed_ids, added_ids)):
                    # The photo these bytes were matched to has other bytes by now (the
                    # original edited after it was duplicated, two names swapped): its
                    # vector does not fit them, so this file is decoded and encoded after all.
                    redo.append(item)
                    continue
                new_id = self._reuse(item, scan, removed_ids, sources)
                if new_id is not None:
                    added_ids.append(new_id)
                stats["reused"] += 1
            if added_ids:
                # reused rows: their vectors come from the catalog, not the model
                ids, vecs = self.catalog.embeddings(self._model_id, added_ids)
                lookup = dict(zip(ids.tolist(), vecs, strict=True))
                added_vectors += [lookup[i] for i in added_ids]
            for item, vector in zip(
                batch.encode, vectors if vectors is not None else [], strict=True
            ):
                f, info = item.found, item.info
                taken = info.taken_at if info and info.taken_at else f.mtime_ns / 1e9
                photo = IndexedPhoto(
                    f.path,
                    f.size,
                    f.mtime_ns,
                    item.content_hash or b"",
                    info.width if info else 0,
                    info.height if info else 0,
                    taken,
                    info.camera if info else None,
                    EXIF if info and info.taken_at else FILE,
                )
                photo_id = self.catalog.record_indexed(photo, self._model_id, vector)
                if item.phash is not None:
                    store_phashes(self.catalog, [(photo_id, item.phash)])
                added_ids.append(photo_id)
                added_vectors.append(vector)
                stats["indexed"] += 1
        if removed_ids:
            self.index.remove(np.asarray(removed_ids, dtype=np.int64))
        if added_ids:
            self.index.add(np.asarray(added_ids, dtype=np.int64), np.stack(added_vectors))
        if redo:
            again = _Batch()
            for item in redo:
                if (fresh := prepare_again(item.found)) is not None:
                    (again.encode if fresh.tensor is not None else again.other).append(fresh)
            self._commit(again, scan, stats, prepare_again)
        return len(batch.encode) + len(batch.other)

    @staticmethod
    def _source_holds(
        item: _Prepared, sources: dict[int, PhotoRow], written: tuple[list[int], ...]
    ) -> bool:
        """Whether the photo ``item`` was matched to still has the bytes it was matched by
        (and so their embedding: rows that lose their embedding lose their hash too).

        ``sources`` were read when the batch's transaction began; since then only this
        batch has written, and ``written`` holds the ids of the rows it failed, displaced
        or overwrote with a copy (a copy onto a path that had a row of its own)."""
        source = sources.get(item.reuse_from) if item.reuse_from is not None else None
        if source is None or any(source.id in ids for ids in written):
            return False
        return source.content_hash == item.content_hash

    def _reuse(
        self,
        item: _Prepared,
        scan: ScanPlan,
        removed_ids: list[int],
        sources: dict[int, PhotoRow],
    ) -> int | None:
        """Known bytes at a new path: move the row if its old file is gone (rename) or is
        this very path (touched); else copy it (a duplicate). Returns an id to (re)add."""
        f, source = item.found, item.reuse_from
        assert source is not None
        moved = scan.take_moved(source)
        # A row moved earlier in this batch has a newer path than ``sources`` says, but
        # only a vanished row moves, and no file of the scan is at a vanished path.
        source_row = moved or sources.get(source)
        if source_row is not None and (moved is not None or source_row.path == f.path):
            displaced = self.catalog.move(source, f.path, f.size, f.mtime_ns)
            if displaced is not None:
                removed_ids.append(displaced)
            return None
        info = IndexedPhoto(
            f.path, f.size, f.mtime_ns, item.content_hash or b"", 0, 0, f.mtime_ns / 1e9
        )
        return self.catalog.copy_photo(source, info)

    def _sweep(self, scan: ScanPlan, stats: dict[str, int]) -> None:
        """Photos that are gone (and were not found elsewhere by their content) leave."""
        gone = list(scan.vanished)
        if gone:
            self.catalog.delete(gone)
            self.index.remove(np.asarray(gone, dtype=np.int64))
            stats["removed"] += len(gone)
        # A folder renamed or moved: its photos moved with it, it leaves the library (with
        # its rows that have no content to be recognised by: failures, found anew there).
        for root in scan.moved_roots():
            left = forget_folder(self.catalog, root)
            self.index.remove(np.asarray(left, dtype=np.int64))
            stats["removed"] += len(left)
