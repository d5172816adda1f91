"""Indexing off the UI thread: the index thread and the controller that starts, pauses and
restarts it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from photofind.core import errorsink
from photofind.core.indexer import Indexer, IndexProgress
from photofind.gui.workers import track_thread


class IndexThread(QThread):
    """Brings the catalog up to date with the library folders, beside the UI.

    Why a thread: indexing takes minutes to hours and runs from launch. It consumes
    ``Indexer.run(cancel)`` one progress item at a time; the indexer only advances when
    consumed, so pausing is waiting on an Event between items. Stopping sets the cancel
    Event (and wakes a paused thread): the indexer commits the batch it has, saves the
    index and yields a last "cancelled" item, which ends the loop; the next run carries on
    where this one stopped."""

    progressed = Signal(IndexProgress)

    def __init__(self, make_indexer: Callable[[], Indexer], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photofind-index")
        self._make_indexer = make_indexer
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
            for progress in self._make_indexer().run(self._cancel):
                self.progressed.emit(progress)
                self._running.wait()
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())
            self.progressed.emit(IndexProgress("failed"))


class IndexController(QObject):
    """Owns the index thread: starts it, pauses it, and restarts it when folders change.

    A restart asks the running thread to stop and starts the next one when it has finished,
    so two runs never write the catalog at once. ``run_ended`` follows every run, restarted
    or not, on the UI thread: the library's ``after_index_run()`` belongs there."""

    progressed = Signal(IndexProgress)
    state_changed = Signal()  # running or paused changed
    run_ended = Signal()  # a run's thread has finished (the catalog is quiet)

    def __init__(self, make_indexer: Callable[[], Indexer], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_indexer = make_indexer
        self._thread: IndexThread | None = None
        self._paused = False
        self._again = False
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
        thread = IndexThread(self._make_indexer, self)
        if self._paused:
            thread.pause()
        thread.progressed.connect(self._on_progress)
        thread.finished.connect(self._on_finished)
        self._thread = thread
        thread.start(QThread.Priority.LowPriority)
        self.state_changed.emit()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self._thread is not None:
            (self._thread.pause if paused else self._thread.resume)()
        self.state_changed.emit()

    def stop(self) -> None:
        """Stop the run (the indexer commits what it has and saves) and wait for it."""
        self._again = False
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
        self.run_ended.emit()
        if self._again:
            self._again = False
            self.start()
        else:
            self.state_changed.emit()
