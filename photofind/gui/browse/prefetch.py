"""The window's first browse read, started the moment the library is open.

Between the library opening and the browse page asking for its rows, the window is built:
its modules imported (~200 ms) and its widgets made. SQLite reads the rows meanwhile on a
thread of its own, without the interpreter lock (the rows come back from one statement,
see :func:`photofind.core.browse_rows.browse_rows`), so the first screen no longer waits
for the read after the window is built. The loader takes the read only while it is still
the truth: the same catalog, nothing changed in it since the read began, the whole library.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from photofind.core.browse import TreeSource, tree_source
from photofind.core.browse_rows import BrowseRows, browse_rows
from photofind.core.catalog import Catalog

Read = tuple[BrowseRows, TreeSource]


class BrowsePrefetch:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._state = catalog.state
        self._read: Future[Read] = Future()
        self._thread = threading.Thread(
            target=self._run, name="photofind-browse-prefetch", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        try:
            rows = browse_rows(self.catalog)
            self._read.set_result((rows, tree_source(self.catalog, rows.raw_paths)))
        except BaseException as exc:  # a damaged catalog, or a bug: the loader reads
            self._read.set_exception(exc)  # again, and its own read says it or reports it

    def take(self, catalog: Catalog) -> Read | None:
        """The read, once it has ended, when it answers a read of the whole library of
        ``catalog`` now; None when it failed or is no longer the truth. On a worker."""
        if self._read.exception() is not None:  # waits for the read's end
            return None
        if catalog is not self.catalog or catalog.state != self._state:
            return None
        return self._read.result()

    def wait(self) -> None:
        """Until the read has ended (before its catalog closes)."""
        self._thread.join()


# The read started for each open catalog and not taken yet; the prefetch holds its catalog,
# so no other catalog can have its id meanwhile.
_started: dict[int, BrowsePrefetch] = {}
_lock = threading.Lock()


def prefetch_browse(catalog: Catalog) -> BrowsePrefetch:
    """Start reading the whole library's browse rows of ``catalog`` now."""
    prefetch = BrowsePrefetch(catalog)
    with _lock:
        _started[id(catalog)] = prefetch
    return prefetch


def take_prefetched(catalog: Catalog) -> Read | None:
    """The read started for ``catalog`` (waiting for its end), once, when it is still the
    truth; else None, and the caller reads."""
    with _lock:
        prefetch = _started.pop(id(catalog), None)
    return None if prefetch is None else prefetch.take(catalog)
