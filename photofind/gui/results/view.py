"""The thumbnail grid: a QListView in icon mode over the results model.

Keys: Enter, Space or a double click open the photo in the viewer, Esc goes back to the
search field, Ctrl+wheel zooms. Results drag out as file
URLs (the model provides the mime data); the grid never accepts drops itself, so a photo
dropped on it reaches the window, which searches for it.

A click on a cell's count badge (a picture kept in several photos) expands its group in
place or collapses it, without selecting; so do + and - on the current cell, for the
keyboard.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView

from photofind.core.pacing import foreground
from photofind.core.search import SearchHit
from photofind.gui.results.delegate import ThumbnailDelegate
from photofind.gui.results.model import BADGE_ROLE, HIT_ROLE, ResultsModel

MIN_THUMBNAIL = 64
MAX_THUMBNAIL = 384
ZOOM_STEP = 32


class ResultsView(QListView):
    open_requested = Signal(SearchHit)
    escape_pressed = Signal()
    context_requested = Signal(list, QPoint)  # the hits (SearchHit), where (global)
    zoom_requested = Signal(int)  # +1 / -1
    paste_requested = Signal()

    def __init__(self, model: ResultsModel, delegate: ThumbnailDelegate, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("results")
        self.setModel(model)
        self.setItemDelegate(delegate)
        self._delegate = delegate
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)  # drags go out of the window, never within
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)  # one size hint for all: layout of 10,000 rows is instant
        self._row_width = 0
        self._badge_pressed = False
        model.modelReset.connect(self._check_divider)
        model.rowsInserted.connect(self._check_divider)
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setWrapping(True)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setAcceptDrops(False)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self.doubleClicked.connect(self._on_double_click)
        self.set_thumbnail_size(delegate.size)

    # -- size -----------------------------------------------------------------------------

    def set_thumbnail_size(self, size: int) -> None:
        self._delegate.size = size
        self._delegate.device_ratio = self.devicePixelRatioF()
        self._relayout()

    def _relayout(self) -> None:
        """Spread the columns over the whole width instead of leaving a gap on the right.

        The width left for a vertical scroll bar is reserved even while it is hidden, so that
        its appearing does not push the last column onto a new row.

        The cells get their width from the delegate rather than from a grid: a grid puts every
        row in a cell of one size, and the divider row must span the width at a fraction of
        a cell's height (it is wider than what is left of its line, so it starts a new one,
        and the photos after it start the next)."""
        cell = self._delegate.cell_size()
        width = self.viewport().width()
        scroll_bar = self.verticalScrollBar()
        if not scroll_bar.isVisible():
            width -= scroll_bar.sizeHint().width()
        width = max(1, width - 2)
        columns = max(1, width // cell.width())
        spread = width // columns if columns > 1 else cell.width()
        spread = max(cell.width(), spread)
        if (spread, width) != (self._delegate.cell_width, self._row_width):
            self._delegate.cell_width = spread
            self._delegate.row_width = self._row_width = width
            self.scheduleDelayedItemsLayout()

    def _check_divider(self, *_args) -> None:
        """One size hint serves every row, except while the divider is among them."""
        has_divider = getattr(self.model(), "divider_row", None) is not None
        if self.uniformItemSizes() == has_divider:
            self.setUniformItemSizes(not has_divider)

    def viewportEvent(self, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self._relayout()
        return super().viewportEvent(event)

    # -- actions --------------------------------------------------------------------------

    def current_hit(self) -> SearchHit | None:
        index = self.currentIndex()
        return index.data(HIT_ROLE) if index.isValid() else None

    def selected_hits(self) -> list[SearchHit]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        model = self.model()
        hits = [model.index(r, 0).data(HIT_ROLE) for r in rows]
        return [h for h in hits if h is not None]  # the divider row is no photo

    def badge_at(self, pos: QPoint) -> QModelIndex | None:
        """The cell whose count badge is under ``pos`` (viewport coordinates), if any."""
        index = self.indexAt(pos)
        hit = index.data(HIT_ROLE) if index.isValid() else None
        if hit is None or index.data(BADGE_ROLE) is None:
            return None
        area = self._delegate.badge_area(hit.photo_id, self.visualRect(index))
        return index if area is not None and area.adjusted(-3, -3, 3, 3).contains(pos) else None

    def toggle_group(self, index: QModelIndex) -> None:
        model = self.model()
        if isinstance(model, ResultsModel):
            model.toggle_group(index.row())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        badge = self.badge_at(event.position().toPoint())
        if badge is not None and event.button() == Qt.MouseButton.LeftButton:
            self._badge_pressed = True
            self.toggle_group(badge)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        # The release of a click on a badge would select the cell under it: the click was
        # for the group, not the photo.
        if self._badge_pressed:
            self._badge_pressed = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        # A quick second click on a badge is one more toggle, never "open the photo".
        if self.badge_at(event.position().toPoint()) is not None:
            self.mousePressEvent(event)
            return
        super().mouseDoubleClickEvent(event)

    def _on_double_click(self, index) -> None:
        hit = index.data(HIT_ROLE)
        if hit is not None:
            self.open_requested.emit(hit)

    def _on_context_menu(self, pos) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        self.context_requested.emit(self.selected_hits(), self.viewport().mapToGlobal(pos))

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        hit = self.current_hit()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and hit is not None:
            self.open_requested.emit(hit)
            return
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        if self._toggles_group(event):
            return
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_requested.emit()
            return
        super().keyPressEvent(event)

    def _toggles_group(self, event) -> bool:
        """+ expands the current cell's group, - collapses it (Ctrl with them zooms)."""
        index = self.currentIndex()
        badge = index.data(BADGE_ROLE) if index.isValid() else None
        if badge is None or event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return False
        opens, closes = event.key() == Qt.Key.Key_Plus, event.key() == Qt.Key.Key_Minus
        if (opens and not badge.expanded) or (closes and badge.expanded):
            self.toggle_group(index)
            return True
        return opens or closes

    def focusInEvent(self, event) -> None:  # noqa: N802
        # A visible focus cell from the first key on: the first photo when none is current.
        # Not for a click, which chooses its own cell (or, on a badge, none).
        keyboard = event.reason() != Qt.FocusReason.MouseFocusReason
        if keyboard and not self.currentIndex().isValid() and self.model().rowCount():
            self.setCurrentIndex(self.model().index(0, 0))
        super().focusInEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        foreground.touch()  # background work waits: the frames of a scroll come first
        super().scrollContentsBy(dx, dy)

    def wheelEvent(self, event) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            delta = event.angleDelta().y()
            if delta:
                self.zoom_requested.emit(1 if delta > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)
