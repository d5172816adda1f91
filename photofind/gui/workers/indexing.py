"""Indexing off the UI thread: the index thread and the controller that starts, pauses and
restarts it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, QThread, Signal

from photofind.core import errorsink
from photofind.core.catalog import Counts
from photofind.core.errors import PhotofindError
from photofind.core.indexer import Indexer, IndexProgress
from photofind.gui.workers import track_thread

log = logging.getLogger(__name__)

COUNTS_EVERY_S = 2.0  # the catalog is counted at most this often while indexing
FINISHED = ("done", "cancelled", "failed")


@dataclass(frozen=True)
class IndexWork:
    """What an index run does, on its thread: ``make_indexer()`` for each run; ``count()``
    after the last item and at most every :data:`COUNTS_EVERY_S` (so the UI thread never
    counts the catalog); ``after_run()`` when the run has ended, True when searches moved
    to a newly chosen model (the library's ``after_index_run``)."""

    make_indexer: Callable[[], Indexer]
    count: Callable[[], Counts]
    after_run: Callable[[], bool]


class IndexThread(QThread):
    """Brings the catalog up to date with the library folders, beside the UI.

    Why a thread: indexing takes minutes to hours and runs from launch. It consumes
    ``Indexer.run(cancel)`` one progress item at a time; the indexer only advances when
    consumed, so pausing is waiting on an Event between items. Stopping sets the cancel
    Event (and wakes a paused thread): the indexer commits the batch it has, saves the
    index and yields a last "cancelled" item, which ends the loop; the next run carries on
    where this one stopped. The counts of the catalog are sent before the progress item
    they go with, so a view that shows "done" already has the final counts.

    A PhotofindError (a full or read-only disk, a busy or damaged catalog) is the user's
    system, not photofind's bug: it goes out as ``stopped_by`` (once a run, before the
    "failed" item), not to the error sink."""

    progressed = Signal(IndexProgress)
    counted = Signal(Counts)
    stopped_by = Signal(object)  # the PhotofindError that stopped the run

    def __init__(self, work: IndexWork, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photofind-index")
        self._work = work
        self._counted_at = time.monotonic()
        self.switched = False  # after_run's answer, read once the thread has finished
        self.problem: PhotofindError | None = None
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        track_thread(self)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def request_stop(self) -> None:
        self._cancel.set()
        self._running.set()

    def run(self) -> None:
        try:
            for progress in self._work.make_indexer().run(self._cancel):
                self._emit(progress)
                self._running.wait()
        except PhotofindError as exc:
            self._stopped_by(exc)
            self._emit(IndexProgress("failed"))
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())
            self._emit(IndexProgress("failed"))
        try:
            self.switched = self._work.after_run()
        except PhotofindError as exc:
            self._stopped_by(exc)
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())

    def _stopped_by(self, exc: PhotofindError) -> None:
        log.warning("Indexing stopped: %s", exc)
        if self.problem is None:  # after_run meets the full disk the run met: said once
            self.problem = exc
            self.stopped_by.emit(exc)

    def _emit(self, progress: IndexProgress) -> None:
        now = time.monotonic()
        if progress.phase in FINISHED or now - self._counted_at > COUNTS_EVERY_S:
            self._counted_at = now
            try:
                self.counted.emit(self._work.count())
            except PhotofindError as exc:  # the run meets it too, and says it then
                log.warning("The catalog could not be counted: %s", exc)
            except Exception as exc:  # the progress still goes out: the run is not at fault
                errorsink.report(exc, thread_name=self.objectName())
        self.progressed.emit(progress)


class IndexController(QObject):
    """Owns the index thread: starts it, pauses it, and restarts it when folders change.

    A restart asks the running thread to stop and starts the next one when it has finished,
    so two runs never write the catalog at once. ``run_ended`` follows every run, restarted
    or not, on the UI thread, with the answer of the run's ``after_run``. :meth:`run_next`
    queues a run of its own (the watcher's) behind the one in progress instead."""

    progressed = Signal(IndexProgress)
    counted = Signal(Counts)
    state_changed = Signal()  # running or paused changed
    run_ended = Signal(bool)  # a run's thread has finished; True: searches switched models
    stopped_by = Signal(object)  # a run's PhotofindError (IndexThread.stopped_by), before run_ended

    def __init__(self, work: IndexWork, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._thread: IndexThread | None = None
        self._paused = False
        self._again = False
        self._next: Callable[[], Indexer] | None = None
        self.last: IndexProgress | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self._paused

    def start(self) -> None:
        """Start a run, or (when one is running) run again once it has stopped."""
        if self._thread is not None:
            self._again = True
            self._thread.request_stop()
            return
        self._start(self._work)

    def run_next(self, make_indexer: Callable[[], Indexer]) -> None:
        """A run of ``make_indexer``'s Indexer once the run in progress (and a restart asked
        for) has ended, at once when none is running. The run in progress is not stopped: a
        watcher's run of a few files must not restart a first import of hours, which would
        scan the whole library again each time. :meth:`stop` and :meth:`request_stop`
        drop it."""
        if self._thread is None:
            self._start(replace(self._work, make_indexer=make_indexer))
        else:
            self._next = make_indexer

    def _start(self, work: IndexWork) -> None:
        thread = IndexThread(work, self)
        if self._paused:
            thread.pause()
        thread.progressed.connect(self._on_progress)
        thread.counted.connect(self.counted)
        thread.stopped_by.connect(self.stopped_by)
        thread.finished.connect(self._on_finished)
        self._thread = thread
        thread.start(QThread.Priority.LowPriority)
        self.state_changed.emit()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self._thread is not None:
            (self._thread.pause if paused else self._thread.resume)()
        self.state_changed.emit()

    def request_stop(self) -> None:
        """Ask the run to stop without waiting; ``run_ended`` follows when it has."""
        self._again = False
        self._next = None
        if self._thread is not None:
            self._thread.request_stop()

    def stop(self) -> None:
        """Stop the run (the indexer commits what it has and saves) and wait for it."""
        self._again = False
        self._next = None
        thread = self._thread
        if thread is not None:
            thread.request_stop()
            thread.wait()
            self._finish(thread)

    def _on_progress(self, progress: IndexProgress) -> None:
        self.last = progress
        self.progressed.emit(progress)

    def _on_finished(self) -> None:
        sender = self.sender()
        if isinstance(sender, IndexThread):
            self._finish(sender)

    def _finish(self, thread: IndexThread) -> None:
        if thread is not self._thread:
            return  # already handled by stop()
        self._thread = None
        thread.deleteLater()
        self.run_ended.emit(thread.switched)
        if self._again:
            self._again = False
            self.start()
        elif self._next is not None:
            make_indexer, self._next = self._next, None
            self._start(replace(self._work, make_indexer=make_indexer))
        else:
            self.state_changed.emit()
