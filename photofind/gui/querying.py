"""When to search, and which results to show: debounce, sequence numbers, the search thread.

Typing searches after a pause (:data:`DEBOUNCE_MS`); Enter, a new image or a change of the
result limit search at once. Every request gets the next sequence number and only the
outcome of the newest request is shown, so a slow query that finishes late can never
replace the results of the one typed after it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from photofind.core.search import SearchService
from photofind.gui.workers import SearchOutcome, SearchRequest, SearchThread

DEBOUNCE_MS = 250  # a pause between words, not between letters (typists: 100-200 ms a key)
RESULT_LIMIT = 1000  # photos per search: far past anyone's scrolling; ~20 ms to fetch at 100k


class QueryController(QObject):
    results = Signal(object)  # SearchOutcome of the newest request
    busy_changed = Signal(bool)

    def __init__(self, service: SearchService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = SearchThread(service, self)
        self._thread.searched.connect(self._on_searched)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self._seq = 0
        self._shown_seq = 0
        self._text = ""
        self._images: tuple = ()
        self.limit = RESULT_LIMIT
        self.last: SearchOutcome | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._timer.stop()
        self._thread.request_stop()
        self._thread.wait()

    @property
    def is_empty(self) -> bool:
        return not self._text.strip() and not self._images

    @property
    def busy(self) -> bool:
        return self._seq != self._shown_seq

    def set_query(self, text: str, images: tuple, *, immediate: bool) -> None:
        self._text, self._images = text, tuple(images)
        if immediate:
            self.search_now()
        else:
            self._timer.start()

    def search_now(self) -> None:
        self._timer.stop()
        self._seq += 1
        if self.is_empty:
            self._shown_seq = self._seq  # an empty query has no results; nothing to wait for
            self.last = None
            self.busy_changed.emit(False)
            return
        self._thread.submit(SearchRequest(self._seq, self._text, self._images, self.limit))
        self.busy_changed.emit(True)

    def _on_searched(self, outcome: SearchOutcome) -> None:
        if outcome.seq != self._seq:
            return  # overtaken by a newer query
        self.last = outcome
        if outcome.complete:
            self._shown_seq = outcome.seq
            self.busy_changed.emit(False)
        self.results.emit(outcome)
