"""Finding the library's duplicates off the UI thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThread, Signal

from photofind.core import errorsink
from photofind.core.duplicates import DuplicateGroup, DuplicateProgress, find_duplicates
from photofind.core.errors import PhotofindError
from photofind.core.library import Library
from photofind.gui.workers import track_thread


@dataclass(frozen=True)
class DuplicatesFound:
    groups: tuple[DuplicateGroup, ...]
    # photo id -> (taken_at, date_source): the date shown on each photo's card
    taken: dict[int, tuple[float | None, str | None]] = field(default_factory=dict)


class DuplicateFinder(QThread):
    """Finds every kind of duplicate group in the library, with each photo's date.

    Why a thread: at 100k photos the neighbour search takes up to a minute, and photos
    indexed before perceptual hashes were kept are hashed first. It reads the catalog and
    the index the searches use (as ``photofind duplicates`` does), stops at the next chunk
    of photos on :meth:`request_stop`, and says how far it is with ``progressed``; the end
    is ``found`` or ``failed`` (a sentence), or nothing when stopped."""

    progressed = Signal(DuplicateProgress)
    found = Signal(DuplicatesFound)
    failed = Signal(str)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photofind-duplicates")
        self._library = library
        self._cancel = threading.Event()
        track_thread(self)

    def request_stop(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        library = self._library
        try:
            last = None
            for last in find_duplicates(
                library.catalog, library.search.index, library.search.encoder.model_id,
                thumbnails=library.thumbnails, cancel=self._cancel,
            ):  # fmt: skip
                if last.phase != "done":
                    self.progressed.emit(last)
            if last is None or last.phase != "done" or self._cancel.is_set():
                return
            ids = {photo.id for group in last.groups for photo in group.photos}
            rows = library.catalog.photos(ids)
            taken = {i: (row.taken_at, row.date_source) for i, row in rows.items()}
            self.found.emit(DuplicatesFound(last.groups, taken))
        except (PhotofindError, OSError) as exc:
            self.failed.emit(str(exc))  # the core's sentence: what happened, what to do
        except Exception as exc:
            errorsink.report(exc, thread_name=self.objectName())
            self.failed.emit("Looking for duplicates failed; the error was reported.")
