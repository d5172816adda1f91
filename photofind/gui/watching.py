"""Watching the library folders while the window is open: the Qt side of
:class:`~photofind.core.watch.LibraryWatcher`.

The watcher decides *when* the library needs an index run (a photo added, changed, moved
or deleted, and settled); the window's :class:`~photofind.gui.workers.indexing.IndexController`
does the run, so there is never more than one run at a time, Pause pauses it, the status
bar shows it like any other, and the controller's ``after_run`` does the backups. The
watcher's thread asks for a run through a queued signal and waits for its end; the run
waits its turn behind a run in progress rather than restarting it.

Low impact: a watcher's run uses ``Indexer(low_impact=True)`` (one read thread, a lower
priority) while the person is using the window: it is in front, or a search is on its
way. Those runs index a few files the person did not ask for, and must not make typing or
scrolling stutter. Runs the person asked for (launch, a folder added, Look for new photos
now, a model switch) keep full speed: the person is waiting for them, and a run's mode is
chosen once for a run that may last hours.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from photofind.core.humanize import plural
from photofind.core.indexer import IndexProgress
from photofind.core.library import Library
from photofind.core.watch import HoldBack, LibraryWatcher, WatchEvent, WatchNote, WatchRun
from photofind.gui.widgets.watch_status import WatchStatus
from photofind.gui.workers import track_python_thread
from photofind.gui.workers.indexing import IndexController

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow

TICKET_WAIT_S = 0.2  # how often the watcher's thread, waiting for its run, looks at its cancel
STATUS_EVERY_MS = 5000  # the watched and polled folders change at the watcher's recheck pace


@dataclass
class _RunTicket:
    """One run the watcher asked for, from the request to its end."""

    hold_back: HoldBack
    started: bool = False  # set on the index thread when the run's Indexer is made
    items: list[IndexProgress] = field(default_factory=list)
    ended: threading.Event = field(default_factory=threading.Event)


def changed_anything(run: WatchRun) -> bool:
    """Whether the run added, re-encoded, moved or removed photos (a grid may show them)."""
    p = run.progress
    return p is not None and (p.indexed + p.reused + p.removed) > 0


class LibraryWatching(QObject):
    """Runs the library's watcher while the window is open; says what it notes and runs."""

    noted = Signal(WatchNote)  # something to tell the person (the watcher says each once)
    ran = Signal(WatchRun)  # a watcher's run has ended
    state_changed = Signal()  # started or stopped
    _event = Signal(object)  # a WatchEvent, from the watcher's thread
    _run_requested = Signal(object)  # a _RunTicket, from the watcher's thread

    def __init__(self, indexing: IndexController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.indexing = indexing
        self.watcher: LibraryWatcher | None = None
        self.options: dict = {}  # more LibraryWatcher keywords (tests force polling)
        self.low_impact: Callable[[], bool] = lambda: False  # the window says when
        self._ticket: _RunTicket | None = None
        self._stop_asked = False
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self._run_requested.connect(self._on_run_requested, Qt.ConnectionType.QueuedConnection)
        indexing.progressed.connect(self._on_progress)
        indexing.run_ended.connect(self._on_run_ended)

    @property
    def active(self) -> bool:
        watcher = self.watcher
        return watcher is not None and watcher.is_alive() and not self._stop_asked

    def start(self, library: Library) -> None:
        """Watch ``library``'s folders (the window has just started an index run of its
        own, so the watcher does not start with one)."""
        if self.active:
            return
        self.stop()  # one asked to stop (a model switch that failed): gone before the next
        watcher = LibraryWatcher(
            library, self._event.emit, run_index=self._run_index, first_run=False,
            **self.options,
        )  # fmt: skip
        track_python_thread(watcher)
        self.watcher, self._stop_asked = watcher, False
        watcher.start()
        self.state_changed.emit()

    def request_stop(self) -> None:
        """Stop without waiting (:meth:`stop` waits): before the library is opened again."""
        if self.watcher is not None:
            self._stop_asked = True
            self.watcher.request_stop()
            self.state_changed.emit()

    def stop(self) -> None:
        """Stop the watcher and wait for its thread: before its library is closed."""
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.request_stop()
            watcher.join()
            self.state_changed.emit()
        ticket, self._ticket = self._ticket, None
        if ticket is not None:
            ticket.ended.set()

    # -- the watcher's thread -------------------------------------------------------------

    def _run_index(self, hold_back: HoldBack, cancel: threading.Event) -> list[IndexProgress]:
        """The watcher's runner, on its thread: a run in the window's index controller."""
        ticket = _RunTicket(hold_back)
        self._run_requested.emit(ticket)
        while not ticket.ended.wait(TICKET_WAIT_S):
            if cancel.is_set():
                return []  # the window is closing or switching models: it stops the run
        return ticket.items

    # -- the UI thread --------------------------------------------------------------------

    def _on_run_requested(self, ticket: _RunTicket) -> None:
        watcher = self.watcher
        if watcher is None or self._stop_asked:
            ticket.ended.set()
            return
        library, low_impact = watcher.library, self.low_impact()

        def make_indexer():
            ticket.started = True
            return library.indexer(hold_back=ticket.hold_back, low_impact=low_impact)

        self._ticket = ticket
        self.indexing.run_next(make_indexer)

    def _on_progress(self, progress: IndexProgress) -> None:
        if self._ticket is not None and self._ticket.started:
            self._ticket.items.append(progress)

    def _on_run_ended(self, _switched: bool) -> None:
        ticket = self._ticket
        if ticket is not None and ticket.started:
            self._ticket = None
            ticket.ended.set()

    def _on_event(self, event: WatchEvent) -> None:
        if isinstance(event, WatchNote):
            self.noted.emit(event)
        elif isinstance(event, WatchRun):
            self.ran.emit(event)


def watch_status_text(watching: bool, polled: int, interval_s: float) -> str:
    if not watching:
        return ""
    if polled:
        return f"Watching · {plural(polled, 'folder')} checked every {interval_s:g} s"
    return "Watching"


class WatchWiring(QObject):
    """The window's side: "Watching" in the status bar, the watcher's notes as messages,
    and the grids brought up to date after a run that changed photos (the query shown is
    searched again quietly, the browse page reads its rows again)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        session = window.session
        self.watching = session.watching
        self.status = WatchStatus(window)
        window.statusBar().addPermanentWidget(self.status)
        self.notes: list[str] = []  # why folders are polled: kept for the tooltip
        self.watching.low_impact = lambda: window.isActiveWindow() or session.query.busy
        self.watching.noted.connect(self._on_note)
        self.watching.ran.connect(self._on_run)
        self.watching.state_changed.connect(self.update_status)
        self.timer = QTimer(self)
        self.timer.setInterval(STATUS_EVERY_MS)
        self.timer.timeout.connect(self.update_status)
        self.timer.start()
        self.update_status()

    def update_status(self) -> None:
        watcher = self.watching.watcher
        active = self.watching.active
        polled = watcher.polled if active and watcher is not None else []
        interval = watcher.poll_interval_s if watcher is not None else 0.0
        self.status.show_watching(watch_status_text(active, len(polled), interval), polled,
                                  self.notes)  # fmt: skip

    def _on_note(self, note: WatchNote) -> None:
        self.window.show_message(note.text)
        if note.kind == "polling" and note.text not in self.notes:
            self.notes.append(note.text)
        self.update_status()

    def _on_run(self, run: WatchRun) -> None:
        if not changed_anything(run):
            return
        self.window.session.query.refresh()
        self.window.browse.reload()
