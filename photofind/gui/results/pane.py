"""The results page: the toolbar over the thumbnail grid, and when the grid may change.

Results of the user's own query replace the grid, scroll it to the top, and ask for the
first screen's thumbnails at once (best first, before the first paint). A quiet refresh
(the same query searched again while indexing) never disturbs: when the new hits keep every
row where it is (the same ones first, new matches after them) the rows are appended and the
scrolling and selection stay; otherwise the grid is rebuilt only while the user is not
using it (at the top, nothing selected, the pointer elsewhere), since a cell moving under
the pointer or out of sight while scrolling is a click on the wrong photo. Such held-back
hits wait behind an "N new matches" button in the toolbar, shown when the user clicks it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from photofind.core.search import SearchHit
from photofind.gui.results.delegate import ThumbnailDelegate
from photofind.gui.results.model import ResultsModel
from photofind.gui.results.pixmaps import ThumbnailStore
from photofind.gui.results.toolbar import ResultsToolbar
from photofind.gui.results.view import ResultsView
from photofind.gui.workers.search import SearchOutcome

PREFETCH = 40  # thumbnails asked for as results arrive: a screenful at the default size


def found(outcome: SearchOutcome, shown: list[SearchHit]) -> dict:
    """What the search says about ``shown`` (the outcome's hits, less any the window leaves
    out, such as the query's own photo), as :meth:`ResultsPane.show_hits` takes it."""
    left_out = sum(h.match for h in outcome.hits) - sum(h.match for h in shown)
    return {
        "matches": max(0, outcome.matches - left_out),
        "scored": outcome.scored,
        "spread": outcome.spread,
        "groups": outcome.groups,
    }


class ResultsPane(QWidget):
    open_requested = Signal(SearchHit)
    escape_pressed = Signal()
    context_requested = Signal(list, QPoint)  # the hits (SearchHit), where (global)
    paste_requested = Signal()
    sort_changed = Signal(str)
    zoom_changed = Signal(int)
    summary_changed = Signal()  # the counts shown or hidden changed

    def __init__(
        self,
        thumbnails: ThumbnailStore,
        *,
        sort: str,
        zoom: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self._held: tuple[list[SearchHit], dict] | None = None  # a refresh waiting for a click
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
        self.toolbar.zoom_changed.connect(self._on_zoom)
        self.toolbar.held_requested.connect(self.show_held)
        self.view.open_requested.connect(self.open_requested)
        self.view.escape_pressed.connect(self.escape_pressed)
        self.view.context_requested.connect(self.context_requested)
        self.view.paste_requested.connect(self.paste_requested)
        self.view.zoom_requested.connect(self.zoom)
        self.toolbar.set_values(sort=sort, zoom=zoom)
        self._on_sort(sort)  # set_values says nothing when the sort shown is already this one

    # -- what is shown --------------------------------------------------------------------

    def show_hits(self, hits: list[SearchHit], *, new_query: bool, **found) -> None:
        """Show ``hits``; ``new_query``: not the rest of the query shown, so start at the top.
        ``found``: what the search says about them (``matches``, ``scored``, ``spread``: see
        :meth:`ResultsModel.set_hits`)."""
        self._hold(None)
        self.model.set_hits(hits, new_query=new_query, **found)
        if new_query:
            self.view.scrollToTop()
            size = round(self.delegate.size * self.delegate.device_ratio)
            for hit in self.model.hits()[:PREFETCH]:
                self.thumbnails.pixmap(hit.path, size)

    def offer_refresh(self, hits: list[SearchHit], **found) -> bool:
        """Show a quiet refresh's ``hits`` if that disturbs no one; False when they wait
        behind the toolbar's button (a later refresh replaces them)."""
        view = self.view
        in_use = (
            view.verticalScrollBar().value() > 0
            or view.underMouse()
            or view.selectionModel().hasSelection()
        )
        if self.model.keeps_rows(hits, found.get("groups", ())) or not in_use:
            self._hold(None)
            self.model.set_hits(hits, **found)
            return True
        self._hold((hits, found))
        return False

    def show_held(self) -> None:
        """Show the refresh held back (the user asked: the grid may move now)."""
        if self._held is not None:
            hits, found = self._held
            self._hold(None)
            self.model.set_hits(hits, **found)

    @property
    def held_back(self) -> bool:
        return self._held is not None

    def _hold(self, held: tuple[list[SearchHit], dict] | None) -> None:
        self._held = held
        if held is None:
            self.toolbar.show_held(None)
            return
        shown = {h.photo_id for h in self.model.every_hit() if h.match}
        self.toolbar.show_held(sum(h.match and h.photo_id not in shown for h in held[0]))

    def clear(self) -> None:
        self._hold(None)
        self.model.set_hits([], new_query=True)

    def forget(self, photo_ids: list[int]) -> None:
        """Photos that left the library (trashed) leave the grid at once."""
        gone = set(photo_ids)
        if self._held is not None:
            held, found = self._held
            self._hold(([h for h in held if h.photo_id not in gone], found))
        self.model.forget(photo_ids)

    def group_menu(self, menu: QMenu, hits: list[SearchHit]) -> None:
        """For the photo context menu: "Show all N copies" on a picture kept in several
        photos, "Show the picture once" on a photo of an expanded one."""
        if len(hits) != 1 or not self.isVisible():
            return  # several photos chosen, or the browse grid's menu
        rows = [r for r in self.model.rows_of(hits[0].path) if self.model.hit(r) == hits[0]]
        badge = self.model.badge(rows[0]) if rows else None
        if badge is None:
            return
        menu.addSeparator()
        text = "Show the picture once" if badge.expanded else f"Show all {badge.count} copies"
        menu.addAction(text, lambda: self.model.toggle_group(rows[0]))

    def hits(self) -> list[SearchHit]:
        """The photos shown, in their order: one per picture where a group is collapsed."""
        return self.model.hits()

    def every_hit(self) -> list[SearchHit]:
        """Every photo of the results, the copies hidden in a group's cell too."""
        return self.model.every_hit()

    @property
    def has_rows(self) -> bool:
        return self.model.rowCount() > 0

    @property
    def total(self) -> int:
        return self.model.total

    @property
    def matches(self) -> int:
        return self.model.matches

    @property
    def has_closest(self) -> bool:
        return self.model.has_closest

    def show_searching(self) -> None:
        self.toolbar.show_searching()

    def show_summary(self, elapsed_s: float | None) -> None:
        model = self.model
        shown, closest = model.shown_pictures()
        self.toolbar.set_summary(model.matches, shown, closest, model.scored, elapsed_s,
                                 model.match_copies)  # fmt: skip

    # -- view options ---------------------------------------------------------------------

    def zoom(self, direction: int) -> None:
        self.toolbar.step_zoom(direction)

    def set_sort(self, mode: str) -> None:
        self.toolbar.set_sort(mode)

    def show_closest(self) -> None:
        """Show the closest photos although none matches ("Show closest anyway")."""
        self.model.show_closest()

    def _on_sort(self, mode: str) -> None:
        self.model.set_sort(mode)
        self.sort_changed.emit(mode)

    def _on_zoom(self, size: int) -> None:
        self.view.set_thumbnail_size(size)
        self.zoom_changed.emit(size)
