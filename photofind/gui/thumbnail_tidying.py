"""The window's part in keeping the thumbnail cache to what the library asks for: after an
index run that changed the library, :meth:`Library.tidy_thumbnails` (at most once a day) on
the session's catalog pool, never on the UI thread. It gives way to a scroll as it goes
(core.pacing), and the session's shutdown stops it between two files."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool

from photofind.core.indexer import IndexProgress
from photofind.core.library import Library
from photofind.gui.workers.indexing import IndexController
from photofind.gui.workers.jobs import Job, JobOutcome

log = logging.getLogger(__name__)


class ThumbnailTidying(QObject):
    """Started by the end of an index run whose last progress added, changed, moved or
    removed photos. ``held()`` true (a library being reopened for another model) puts it
    off to the next run's end: the library it would read is about to close. It runs on
    ``pool``, the session's catalog pool, so that a reopen queued meanwhile waits for it."""

    def __init__(
        self,
        indexing: IndexController,
        library: Callable[[], Library],
        pool: QThreadPool,
        held: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._pool = pool
        self._held = held
        self._changed = False
        self._cancel = threading.Event()
        self.job: Job | None = None
        indexing.progressed.connect(self._on_progress)
        indexing.run_ended.connect(self._on_run_ended)

    def _on_progress(self, progress: IndexProgress) -> None:
        if progress.phase == "done" and (progress.indexed or progress.reused or progress.removed):
            self._changed = True

    def _on_run_ended(self, _switched: bool) -> None:
        if not self._changed or self.job is not None or self._cancel.is_set() or self._held():
            return
        self._changed = False
        library, cancel = self._library(), self._cancel
        self.job = Job(lambda: library.tidy_thumbnails(cancel), self, self._pool)
        self.job.done.connect(self._on_done)
        self.job.start()

    def _on_done(self, outcome: JobOutcome) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.deleteLater()
        if outcome.error:  # the catalog could not be read: the cache stays as it was
            log.warning("The thumbnail cache was not tidied: %s", outcome.error)

    def stop(self) -> None:
        """Stop a tidy in progress (between two files) and wait for it."""
        self._cancel.set()
        if self.job is not None:
            self.job.wait()
