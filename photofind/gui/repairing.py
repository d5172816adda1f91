"""When the user's system stops an index run in the window: a full or read-only disk, another
program holding the library, a damaged catalog. Each is one sentence in the status bar and a
short reason in the index status (the sentence in its tooltip); the window keeps running,
searches still answer, and the next run (a folder added, the next start) tries again.

A damaged catalog is offered its repair (:mod:`photofind.gui.dialogs.repair`). The repair
needs the catalog closed in this process (it moves the damaged file aside), so it runs as a
reopening of the library (:meth:`LibrarySession.reopen`): the index run stops, searches and
browse reads wait, and one job on the catalog's worker thread closes the library, repairs
the file and opens it again; the window then shows the repaired library and indexes what
the catalog lacks.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from photofind.core.errors import (
    CatalogDamagedError,
    DiskFullError,
    LibraryBusyError,
    NotWritableError,
    PhotofindError,
)
from photofind.core.library import Library
from photofind.core.repair import RepairReport, repair_catalog
from photofind.gui.dialogs.repair import RepairDialog
from photofind.gui.library_session import Reopened

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow

log = logging.getLogger(__name__)

REASONS = (
    (CatalogDamagedError, "the catalog is damaged"),
    (DiskFullError, "the disk is full"),
    (NotWritableError, "the data folder cannot be written"),
    (LibraryBusyError, "another program is using the library"),
)


def stopped_because(exc: PhotofindError) -> str:
    """The index status's short words for what stopped the run."""
    reason = next((words for kind, words in REASONS if isinstance(exc, kind)), None)
    return f"Indexing stopped: {reason}" if reason else "Indexing stopped"


@dataclass
class _Outcome:
    report: RepairReport | None = None
    error: str | None = None


class CatalogRepair(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.dialog: RepairDialog | None = None
        self._outcome: _Outcome | None = None
        self.session.indexing.stopped_by.connect(self._on_stopped)
        self.session.reopened.connect(self._on_reopened)

    def _on_stopped(self, exc: PhotofindError) -> None:
        self.window.index_status.show_problem(stopped_because(exc), str(exc))
        self.window.show_message(str(exc))
        if isinstance(exc, CatalogDamagedError):
            self.offer(str(exc))

    def offer(self, sentence: str) -> RepairDialog:
        """The repair dialog over the window (once: a second damage report finds it open)."""
        if self.dialog is None:
            self.dialog = RepairDialog(sentence, self.window, leave_label="&Not now")
            self.dialog.chosen.connect(self._repair)
            self.dialog.finished.connect(self._on_dialog_closed)
            self.dialog.open()
        return self.dialog

    def _on_dialog_closed(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _repair(self, salvage: bool) -> None:
        session = self.session
        if session.reopening_library:
            self._finish("photofind is busy opening the library; try again in a moment.")
            return
        # Nothing may read the catalog while it is closed and replaced: the search thread
        # stops (the reopening starts it again), the browse page waits for its read.
        session.query.stop()
        self.window.browse.loader.hold(True)
        old, paths, open_model = session.library, session.paths, session.open_model
        name, language = old.model_name, session.settings.query_language
        outcome = self._outcome = _Outcome()

        def mend_and_open() -> Library:
            try:
                old.close()
            except (PhotofindError, OSError, sqlite3.Error) as exc:
                log.warning("The damaged library did not close cleanly: %s", exc)
            # Whatever it holds, that index must never be written over the repaired files.
            old.index.read_only = True
            try:
                outcome.report = repair_catalog(paths, salvage=salvage)
            except PhotofindError as exc:
                outcome.error = str(exc)
            return open_model(name, language)  # the damaged one again, when repair failed

        session.reopen(Reopened("repair", name, language), mend_and_open)

    def _on_reopened(self, reopened: Reopened) -> None:
        if reopened.what != "repair":
            return
        self.window.browse.loader.hold(False)
        outcome, self._outcome = self._outcome, None
        if outcome is None:
            return
        if outcome.report is not None and reopened.error is None:
            self.window.index_status.show_problem(None, None)
            self.window.show_message("The catalog was repaired; indexing looks for what it lacks.")
            self._finish(outcome.report)
        elif reopened.error is not None:
            # The library could not be opened again: nothing works until photofind restarts.
            why = outcome.error or reopened.error
            self._finish(f"{why} Quit photofind and start it again.", retry=False)
            if self.dialog is not None:
                self.dialog.finished.connect(self.window.close)
        else:
            self._finish(outcome.error or "The catalog could not be repaired.")

    def _finish(self, done: RepairReport | str, *, retry: bool = True) -> None:
        if self.dialog is not None:
            self.dialog.finish(done, can_retry=retry)
