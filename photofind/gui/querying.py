"""When to search, and which results to show: debounce, sequence numbers, the search thread.

Typing searches after a pause (:data:`DEBOUNCE_MS`); Enter, a new image or a change of the
result limit search at once. Every request gets the next sequence number and only the
outcome of the newest request is shown, so a slow query that finishes late can never
replace the results of the one typed after it.

While the library is being indexed the window asks for the current query again now and
then (:meth:`QueryController.refresh`): such a request is marked ``quiet`` and gets a
sequence number like any other, so a query typed after it still wins.

The search thread can be stopped and started again (the window does so while it reopens
the library with another model); a query made meanwhile is searched when it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from photofind.core.collections import CollectionService
from photofind.core.search import SearchService
from photofind.gui.workers.search import SearchOutcome, SearchRequest, SearchThread

DEBOUNCE_MS = 250  # a pause between words, not between letters (typists: 100-200 ms a key)
RESULT_LIMIT = 1000  # photos per search: far past anyone's scrolling; ~20 ms to fetch at 100k


class QueryController(QObject):
    results = Signal(SearchOutcome)  # of the newest request
    busy_changed = Signal(bool)

    def __init__(self, service: Callable[[], SearchService], parent: QObject | None = None,
                 collections: Callable[[], CollectionService] | None = None) -> None:  # fmt: skip
        """``service`` gives the SearchService to use now (``lambda: library.search``), and
        ``collections`` the collections it searches in (``lambda: library.collections``)."""
        super().__init__(parent)
        self._service = service
        self._collections = collections
        self._thread: SearchThread | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self._seq = 0
        self._shown_seq = 0
        self._text = ""
        self._images: tuple = ()
        self.limit = RESULT_LIMIT
        self.folder: Path | None = None  # searches look only below it (None: everywhere)
        # Searches keep to its members; with no words they list them (None: no collection).
        self.collection: str | None = None
        self.last: SearchOutcome | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = SearchThread(self._service, self, self._collections)
        self._thread.searched.connect(self._on_searched)
        self._thread.start()
        if self.busy and not self.is_empty:  # asked for while stopped: search it now
            self._submit()

    def stop(self) -> None:
        """Stop the thread after the query it is running (no search runs after this)."""
        self._timer.stop()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.request_stop()
            thread.wait()
            thread.deleteLater()

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: no text, no image, no collection chosen."""
        return not self._text.strip() and not self._images and self.collection is None

    @property
    def busy(self) -> bool:
        return self._seq != self._shown_seq

    def set_query(self, text: str, images: tuple, *, immediate: bool) -> None:
        self._text, self._images = text, tuple(images)
        if immediate:
            self.search_now()
        else:
            self._timer.start()

    def set_folder(self, folder: Path | None) -> None:
        """Search only below ``folder`` from now on; the query shown is searched again."""
        if folder != self.folder:
            self.folder = folder
            if not self.is_empty:
                self.search_now()

    def set_collection(self, name: str | None) -> None:
        """Keep to the members of collection ``name`` from now on (None: the whole library);
        searched at once, since a collection with no words shows its members."""
        if name != self.collection:
            self.collection = name
            self.search_now()

    def search_now(self) -> None:
        self._timer.stop()
        self._seq += 1
        if self.is_empty:
            self._shown_seq = self._seq  # an empty query has no results; nothing to wait for
            self.last = None
            self.busy_changed.emit(False)
            return
        self._submit()
        self.busy_changed.emit(True)

    def refresh(self) -> bool:
        """Search the current query again, quietly: no busy signal, and the outcome's request
        is marked ``quiet``. Nothing happens (False) with no query, no thread, or while the
        user's own search is waiting or running: it replaces the pending request, and its
        results are at least as new."""
        if self.is_empty or self.busy or self._timer.isActive() or self._thread is None:
            return False
        self._seq += 1
        self._submit(quiet=True)
        return True

    def _submit(self, *, quiet: bool = False) -> None:
        if self._thread is not None:
            request = SearchRequest(
                self._seq, self._text, self._images, self.limit, quiet, self.folder, self.collection
            )
            self._thread.submit(request)

    def _on_searched(self, outcome: SearchOutcome) -> None:
        if outcome.seq != self._seq:
            return  # overtaken by a newer query
        self.last = outcome
        if outcome.complete:
            self._shown_seq = outcome.seq
            self.busy_changed.emit(False)
        self.results.emit(outcome)
