"""The results page: the toolbar over the thumbnail grid, and when the grid may change.

Results of the user's own query replace the grid, scroll it to the top, and ask for the
first screen's thumbnails at once (best first, before the first paint). A quiet refresh
(the same query searched again while indexing) never disturbs: when the new hits keep every
row where it is (the same ones first, new matches after them) the rows are appended and the
scrolling and selection stay; otherwise the grid is rebuilt only while the user is not
using it (at the top, nothing selected, the pointer elsewhere), since a cell moving under
the pointer or out of sight while scrolling is a click on the wrong photo.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from photofind.core.search import SearchHit
from photofind.gui.results.delegate import ThumbnailDelegate
from photofind.gui.results.model import ResultsModel
from photofind.gui.results.pixmaps import ThumbnailStore
from photofind.gui.results.toolbar import ResultsToolbar
from photofind.gui.results.view import ResultsView

PREFETCH = 40  # thumbnails asked for as results arrive: a screenful at the default size


class ResultsPane(QWidget):
    open_requested = Signal(SearchHit)
    preview_requested = Signal(SearchHit)
    context_requested = Signal(list, QPoint)  # the hits (SearchHit), where (global)
    paste_requested = Signal()
    sort_changed = Signal(str)
    min_score_changed = Signal(float)
    zoom_changed = Signal(int)
    summary_changed = Signal()  # the counts shown or hidden changed

    def __init__(
        self,
        thumbnails: ThumbnailStore,
        *,
        sort: str,
        min_score: float,
        zoom: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.toolbar = ResultsToolbar(self)
        self.model = ResultsModel(self)
        self.delegate = ThumbnailDelegate(thumbnails, zoom, self)
        self.view = ResultsView(self.model, self.delegate, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)

        thumbnails.ready.connect(self.model.thumbnail_arrived)
        self.model.summary_changed.connect(self.summary_changed)
        self.toolbar.sort_changed.connect(self._on_sort)
        self.toolbar.min_score_changed.connect(self._on_min_score)
        self.toolbar.zoom_changed.connect(self._on_zoom)
        self.view.open_requested.connect(self.open_requested)
        self.view.preview_requested.connect(self.preview_requested)
        self.view.context_requested.connect(self.context_requested)
        self.view.paste_requested.connect(self.paste_requested)
        self.view.zoom_requested.connect(self.zoom)
        self.toolbar.set_values(sort=sort, min_score=min_score, zoom=zoom)
        self._on_sort(sort)  # set_values says nothing when the sort shown is already this one

    # -- what is shown --------------------------------------------------------------------

    def show_hits(self, hits: list[SearchHit], *, new_query: bool) -> None:
        """Show ``hits``; ``new_query``: not the rest of the query shown, so start at the top."""
        self.model.set_hits(hits)
        if new_query:
            self.view.scrollToTop()
            size = round(self.delegate.size * self.delegate.device_ratio)
            for hit in self.model.hits()[:PREFETCH]:
                self.thumbnails.pixmap(hit.path, size)

    def offer_refresh(self, hits: list[SearchHit]) -> bool:
        """Show a quiet refresh's ``hits`` if that disturbs no one; False when they wait."""
        view = self.view
        in_use = (
            view.verticalScrollBar().value() > 0
            or view.underMouse()
            or view.selectionModel().hasSelection()
        )
        if self.model.keeps_rows(hits) or not in_use:
            self.model.set_hits(hits)
            return True
        return False

    def clear(self) -> None:
        self.model.set_hits([])

    def hits(self) -> list[SearchHit]:
        return self.model.hits()

    @property
    def has_rows(self) -> bool:
        return self.model.rowCount() > 0

    @property
    def total(self) -> int:
        return self.model.total

    @property
    def hidden(self) -> int:
        return self.model.hidden

    @property
    def min_score(self) -> float:
        return self.model.min_score

    def show_searching(self) -> None:
        self.toolbar.show_searching()

    def show_summary(self, elapsed_s: float | None) -> None:
        self.toolbar.set_summary(self.model.rowCount(), self.model.hidden, elapsed_s)

    # -- view options ---------------------------------------------------------------------

    def zoom(self, direction: int) -> None:
        self.toolbar.step_zoom(direction)

    def set_sort(self, mode: str) -> None:
        self.toolbar.set_sort(mode)

    def show_all(self) -> None:
        self.toolbar.set_min_score(0)

    def _on_sort(self, mode: str) -> None:
        self.model.set_sort(mode)
        self.sort_changed.emit(mode)

    def _on_min_score(self, value: float) -> None:
        self.model.set_min_score(value)
        self.min_score_changed.emit(value)

    def _on_zoom(self, size: int) -> None:
        self.view.set_thumbnail_size(size)
        self.zoom_changed.emit(size)
