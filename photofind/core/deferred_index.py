"""A search index that is brought up on first use, so that opening a library reads none of it.

Why: at 100k photos bringing the HNSW index up (the catalog's embedding ids, the file's
checksum, hnswlib's load) takes ~0.3 s of the window's start, and browsing, the CLI's
``status`` and everything else that only reads the catalog need none of it; searching,
similar photos, indexing and duplicates do.

How: :class:`DeferredIndex` is a :class:`VectorIndex` whose public methods first run
:meth:`VectorIndex.load_or_rebuild` once, with the catalog's ids and vectors as they are at
that moment. The first thread to use it loads; the others wait while it reads the file.
A rebuild then reads every vector from the catalog outside the lock: searches made
meanwhile go on and see the part added so far, as they always could during a rebuild,
while changes (add, remove, save) wait for the load to end, so that vectors read before a
change cannot undo it, and so does the duplicates' walk over every photo (neighbours). A
load that fails (a damaged catalog) raises in the thread that ran it and leaves the index
unloaded: the next use tries again and meets the same error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path

import numpy as np

from photofind.core.vector_index import DEFAULT_PARAMS, NEIGHBOUR_CHUNK, IndexParams, VectorIndex

VectorsFn = Callable[[], tuple[np.ndarray, np.ndarray]]


class _Stage(Enum):
    DEFERRED = "not loaded yet"
    OPENING = "reading the file"  # under the lock: every other use waits
    FILLING = "adding vectors read from the catalog"  # searches see the part added so far
    READY = "loaded"


class DeferredIndex(VectorIndex):
    """A :class:`VectorIndex` loaded (or rebuilt) from ``path`` when it is first used.

    ``ids`` gives the photo ids the catalog holds embeddings for, ``vectors`` all of them
    as (ids, vectors): both are called at the first use, by the thread that loads."""

    def __init__(
        self,
        path: Path,
        dim: int,
        ids: Callable[[], np.ndarray],
        vectors: VectorsFn,
        params: IndexParams = DEFAULT_PARAMS,
        *,
        read_only: bool = False,
    ) -> None:
        super().__init__(path, dim, params, read_only=read_only)
        self._ids_fn = ids
        self._vectors_fn = vectors
        self._turn = threading.Condition(self._lock)
        self._stage = _Stage.DEFERRED
        self._loader: threading.Thread | None = None
        self._status: str | None = None

    @property
    def loaded(self) -> bool:
        """Whether the index has been brought up (asking does not bring it up)."""
        return self._stage is _Stage.READY

    def load(self) -> str:
        """Bring the index up now unless it is already: "loaded", "patched" or "rebuilt",
        how it came up. Raises what reading the catalog raises (CatalogDamagedError...)."""
        self._ready()
        if self._status is None:
            raise RuntimeError("the search index was asked how it loaded while loading")
        return self._status

    def _ready(self, *, reading: bool = False, load: bool = True) -> bool:
        """Wait until this thread may use the index, loading it first when no one has.
        ``reading``: a search may go on while a rebuild adds what it read. ``load=False``:
        an index still unloaded stays so, and False says it."""
        if self.loaded:
            return True
        me = threading.current_thread()
        with self._turn:
            while True:
                if self._stage is _Stage.READY or self._loader is me:
                    return True
                if self._stage is _Stage.FILLING and reading:
                    return True
                if self._stage is _Stage.DEFERRED:
                    if not load:
                        return False
                    break
                self._turn.wait()
            self._stage, self._loader = _Stage.OPENING, me
        try:
            # Read outside the lock, so the index lock is never held while waiting for the
            # catalog's: the others wait on the stage instead.
            ids = self._ids_fn()
            status = super().load_or_rebuild(ids, self._read_vectors)
        except BaseException:
            with self._turn:
                self._stage, self._loader = _Stage.DEFERRED, None
                self._turn.notify_all()
            raise
        with self._turn:
            self._stage, self._loader, self._status = _Stage.READY, None, status
            self._turn.notify_all()
        return True

    def _read_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        # load_or_rebuild calls this once the file is read and the lock released.
        with self._turn:
            self._stage = _Stage.FILLING
            self._turn.notify_all()
        return self._vectors_fn()

    # Every public use of the index below waits for it to be ready.

    def load_or_rebuild(self, ids: np.ndarray, vectors_fn: VectorsFn) -> str:
        self._ready()
        return super().load_or_rebuild(ids, vectors_fn)

    def __len__(self) -> int:
        self._ready(reading=True)
        return super().__len__()

    def search(
        self, query: np.ndarray, k: int, allowed: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        self._ready(reading=True)
        return super().search(query, k, allowed)

    def search_among(
        self, query: np.ndarray, k: int, ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        self._ready(reading=True)
        return super().search_among(query, k, ids)

    def vectors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._ready(reading=True)
        return super().vectors(ids)

    def neighbours(
        self, k: int, *, ef: int, chunk: int = NEIGHBOUR_CHUNK
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        # Not while a rebuild fills: a walk over every photo wants all of them. And now, not
        # at the first next(), so that a failed load is raised by the call.
        self._ready()
        return super().neighbours(k, ef=ef, chunk=chunk)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._ready()
        super().add(ids, vectors)

    def remove(self, ids: Iterable[int] | np.ndarray) -> None:
        self._ready()
        super().remove(ids)

    def save(self) -> None:
        """As :meth:`VectorIndex.save`; an index never loaded has nothing to write, so its
        files stay exactly as they are."""
        if self._ready(load=False):
            super().save()
