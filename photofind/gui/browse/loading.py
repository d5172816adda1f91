"""Reading the browse rows off the UI thread, and when to read them again.

The rows are read again whenever the library changes under them (a folder added or
removed, photos indexed or trashed, another model's library opened), so the grid is never
stale. One read at a time: a change while one is running marks it stale and one more read
follows when it ends, so a burst of changes (indexing counts every two seconds) costs at
most two reads and the newest always wins.

A read asks only the catalog, and its rows go out the moment it ends. The folder tree is
made after it, from what the read took from the catalog, on a thread of its own: making it
looks at the disk (is each library folder there?), and a dead network share must hold up
neither these photos nor the next read's. Trees are made one at a time as well, and a tree
goes out only while no newer read has started (that read makes its own): an older tree
would take back a folder the newer rows know, and the sidebar would leave a scope in it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import cast

from PySide6.QtCore import QObject, QThreadPool, Signal

from photofind.core.browse import FolderTree, TreeSource, tree_from, tree_source
from photofind.core.browse_rows import BrowseRows, browse_rows
from photofind.gui.browse.prefetch import take_prefetched
from photofind.gui.library_session import LibrarySession
from photofind.gui.workers import track_pool
from photofind.gui.workers.jobs import Job, JobOutcome


class BrowseLoader(QObject):
    loaded = Signal(BrowseRows)
    tree_loaded = Signal(FolderTree)
    failed = Signal(str)

    def __init__(self, session: LibrarySession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.folder: Path | None = None
        self._job: Job | None = None
        self._stale = False
        self._closed = False
        self._held = False
        self._after_read: list[Callable[[], None]] = []
        self._reads = 0  # reads started, so a tree knows whether a newer read has begun
        self._tree_job: Job | None = None
        self._tree_read = 0  # the read whose tree is being made
        self._next_tree: tuple[int, TreeSource] | None = None
        self._pool = self._one_thread_pool()  # reads the catalog
        self._tree_pool = self._one_thread_pool()  # looks at the disk

    def _one_thread_pool(self) -> QThreadPool:
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)
        track_pool(pool)
        return pool

    @property
    def loading(self) -> bool:
        return self._job is not None

    def scope(self, folder: Path | None) -> None:
        """Browse ``folder`` (None: the whole library) from now on."""
        self.folder = folder
        self.reload()

    def reload(self) -> None:
        if self._closed:
            return
        if self._job is not None or self._held:
            self._stale = True
            return
        library, folder = self.session.library, self.folder

        def read() -> tuple[BrowseRows, TreeSource]:
            if folder is None and (prefetched := take_prefetched(library.catalog)) is not None:
                return prefetched  # read while the window was being built
            rows = browse_rows(library.catalog, folder)
            # The whole library's rows hold every path the tree counts; a folder's do not.
            paths = rows.raw_paths if folder is None else None
            return rows, tree_source(library.catalog, paths)

        self._stale = False
        self._reads += 1
        self._job = Job(read, self, self._pool)
        self._job.done.connect(self._on_done)  # a bound method: delivered on the UI thread
        self._job.start()

    def after_read(self, fn: Callable[[], None]) -> None:
        """``fn()`` once the read in progress has ended (at once when none is), before its
        rows go out; the folder tree comes later."""
        if self._job is None:
            fn()
        else:
            self._after_read.append(fn)

    def _on_done(self, outcome: JobOutcome) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.deleteLater()
        if self._closed:
            return
        waiting, self._after_read = self._after_read, []
        for fn in waiting:
            fn()
        if self._stale:
            self.reload()  # what was read is already old: the next read replaces it
            return
        if outcome.error:
            self.failed.emit(outcome.error)
            return
        rows, source = cast(tuple[BrowseRows, TreeSource], outcome.value)
        if rows.folder != self.folder:
            self.reload()
            return
        self.loaded.emit(rows)
        self._make_tree(self._reads, source)

    def _make_tree(self, read: int, source: TreeSource) -> None:
        if self._tree_job is not None:
            self._next_tree = (read, source)  # made once the tree in progress is
            return
        self._tree_read = read
        self._tree_job = Job(partial(tree_from, source), self, self._tree_pool)
        self._tree_job.done.connect(self._on_tree_done)
        self._tree_job.start()

    def _on_tree_done(self, outcome: JobOutcome) -> None:
        job, self._tree_job = self._tree_job, None
        if job is not None:
            job.deleteLater()
        if self._closed:
            return
        read = self._tree_read
        waiting, self._next_tree = self._next_tree, None
        if waiting is not None:
            self._make_tree(*waiting)
        if read != self._reads:
            return  # a newer read has started: its own tree follows
        if outcome.error:
            self.failed.emit(outcome.error)
            return
        self.tree_loaded.emit(outcome.value)

    def hold(self, held: bool) -> None:
        """Read nothing while ``held`` (the catalog is being closed and repaired): holding
        waits for the read in progress (a tree being made does not read the catalog);
        letting go reads again if anything changed."""
        self._held = held
        if held:
            self._pool.waitForDone()
        elif self._stale and self._job is None:
            self.reload()

    def shutdown(self) -> None:
        self._closed = True
        self._pool.waitForDone()
        self._tree_pool.waitForDone()
