"""Reading the browse rows off the UI thread, and when to read them again.

The rows are read again whenever the library changes under them (a folder added or
removed, photos indexed or trashed, another model's library opened), so the grid is never
stale. One read at a time: a change while one is running marks it stale and one more read
follows when it ends, so a burst of changes (indexing counts every two seconds) costs at
most two reads and the newest always wins.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from photofind.core.browse import FolderTree, folder_tree
from photofind.core.browse_rows import BrowseRows, browse_rows
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
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        track_pool(self._pool)

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

        def read() -> tuple[BrowseRows, FolderTree]:
            return browse_rows(library.catalog, folder), folder_tree(library.catalog)

        self._stale = False
        self._job = Job(read, self, self._pool)
        self._job.done.connect(self._on_done)  # a bound method: delivered on the UI thread
        self._job.start()

    def after_read(self, fn: Callable[[], None]) -> None:
        """``fn()`` once the read in progress has ended (at once when none is)."""
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
        rows, tree = outcome.value
        if rows.folder != self.folder:
            self.reload()
            return
        self.tree_loaded.emit(tree)
        self.loaded.emit(rows)

    def hold(self, held: bool) -> None:
        """Read nothing while ``held`` (the catalog is being closed and repaired): holding
        waits for the read in progress; letting go reads again if anything changed."""
        self._held = held
        if held:
            self._pool.waitForDone()
        elif self._stale and self._job is None:
            self.reload()

    def shutdown(self) -> None:
        self._closed = True
        self._pool.waitForDone()
