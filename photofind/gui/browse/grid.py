"""The browse grid: every photo of the library, newest first, under a header per month.

A QListView cannot put a full-width header between its cells without laying out every
row one by one (at 100k photos, seconds of sizeHint calls on every resize), so this view
places cells by arithmetic: a month is a header band and then ``ceil(count / columns)``
lines of equal cells. Finding what is on screen is a binary search over the months; only
the cells on screen are painted, and each asks the thumbnail store (and thereby the
loader) for its picture.

Mouse and keys behave like the results grid: click, Ctrl+click, Shift+click, rubber-free
ranges with Shift+arrows, Ctrl+A; Enter, Space or a double click open the viewer; Esc goes
back to the search field; dragging selected photos out gives their file URLs.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QPoint, QRect, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDrag, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolTip

from photofind.core.browse import Section
from photofind.core.pacing import foreground
from photofind.gui.browse.model import BrowseModel
from photofind.gui.browse.moves import moved
from photofind.gui.browse.painting import (
    MIN_MARKED_SIZE,
    FileMark,
    RowHits,
    paint_header,
    section_title,
)
from photofind.gui.results.delegate import ThumbnailDelegate

SCROLL_STEP = 48


class BrowseGrid(QAbstractScrollArea):
    open_requested = Signal(int)  # the row to open the viewer on
    context_requested = Signal(QPoint)  # where (global); the selection is what to act on
    selection_changed = Signal(int)  # how many photos are selected
    escape_pressed = Signal()
    paste_requested = Signal()

    def __init__(self, model: BrowseModel, delegate: ThumbnailDelegate, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("browseGrid")
        self.model = model
        self.delegate = delegate
        self.selected: set[int] = set()
        self.current = -1
        self._anchor = -1
        self._hover = -1
        self._press: QPoint | None = None
        self._columns = 1
        self._cell = QSize(1, 1)
        self._tops: list[int] = []  # y of each month's header
        self._starts: list[int] = []  # first row of each month
        self._height = 0
        self._header = 0  # fontMetrics() costs ~0.2 ms: asked a few times per cell painted
        self._after_paint: list[Callable[[], None]] = []
        self._hits = RowHits(model)
        self._file_mark = FileMark()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.viewport().setMouseTracking(True)
        self.setAccessibleName("Photos by date")
        self.verticalScrollBar().setSingleStep(SCROLL_STEP)
        model.modelReset.connect(self._on_reset)
        model.dataChanged.connect(lambda *_: self.viewport().update())

    # -- layout ---------------------------------------------------------------------------

    @property
    def sections(self) -> tuple[Section, ...]:
        return self.model.rows.order.sections

    def header_height(self) -> int:
        if not self._header:
            self._header = self.fontMetrics().height() * 2 + 8
        return self._header

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._header = 0
            self.relayout()
        super().changeEvent(event)

    def relayout(self) -> None:
        cell = self.delegate.cell_size()
        width = max(1, self.viewport().width())
        columns = max(1, width // cell.width())
        self._columns = columns
        self._cell = QSize(max(cell.width(), width // columns), cell.height())
        header = self.header_height()
        tops, y = [], 0
        for section in self.sections:
            tops.append(y)
            y += header + -(-section.count // columns) * self._cell.height()
        self._tops, self._height = tops, y
        self._starts = [s.start for s in self.sections]
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setRange(0, max(0, y - self.viewport().height()))
        self.viewport().update()

    def _on_reset(self) -> None:
        count = len(self.model.rows)
        self.selected = {r for r in self.selected if r < count}
        self.current = min(self.current, count - 1)
        self._hover = -1
        self.relayout()
        self.selection_changed.emit(len(self.selected))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.relayout()

    def set_thumbnail_size(self, size: int) -> None:
        self.delegate.size = size
        self.delegate.device_ratio = self.devicePixelRatioF()
        first = self.row_at(QPoint(self._cell.width() // 2, self.header_height() + 1))
        self.relayout()
        if first is not None:
            self.scroll_to(first, top=True)

    def _section_index(self, row: int) -> int:
        return bisect.bisect_right(self._starts, row) - 1

    def row_rect(self, row: int) -> QRect:
        """Where ``row`` is, in content coordinates (not scrolled)."""
        index = self._section_index(row)
        offset = row - self.sections[index].start
        line, column = divmod(offset, self._columns)
        y = self._tops[index] + self.header_height() + line * self._cell.height()
        return QRect(column * self._cell.width(), y, self._cell.width(), self._cell.height())

    def visual_rect(self, row: int) -> QRect:
        return self.row_rect(row).translated(0, -self.verticalScrollBar().value())

    def row_at(self, pos: QPoint) -> int | None:
        """The row under a viewport point, or None (a header, the gap after a month)."""
        y = pos.y() + self.verticalScrollBar().value()
        index = bisect.bisect_right(self._tops, y) - 1
        if index < 0 or pos.x() < 0:
            return None
        section = self.sections[index]
        inside = y - self._tops[index] - self.header_height()
        if inside < 0:
            return None
        column = pos.x() // self._cell.width()
        if column >= self._columns:
            return None
        offset = (inside // self._cell.height()) * self._columns + column
        return section.start + offset if offset < section.count else None

    def scroll_to(self, row: int, *, top: bool = False) -> None:
        if not 0 <= row < len(self.model.rows):
            return
        rect = self.row_rect(row)
        bar = self.verticalScrollBar()
        if top:
            index = self._section_index(row)
            at_start = row - self.sections[index].start < self._columns
            bar.setValue(self._tops[index] if at_start else rect.top())
        elif rect.top() < bar.value():
            bar.setValue(rect.top() - (self.header_height() if rect.top() else 0))
        elif rect.bottom() > bar.value() + self.viewport().height():
            bar.setValue(rect.bottom() - self.viewport().height() + 1)

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        foreground.touch()  # background work waits: the frames of a scroll come first
        self.viewport().update()

    # -- painting -------------------------------------------------------------------------

    def visible_rows(self) -> range:
        if not self._tops:
            return range(0)
        top = self.verticalScrollBar().value()
        bottom = top + self.viewport().height()
        first = last = None
        for index in range(max(0, bisect.bisect_right(self._tops, top) - 1), len(self._tops)):
            if self._tops[index] > bottom:
                break
            section = self.sections[index]
            body = self._tops[index] + self.header_height()
            lines_above = max(0, (top - body) // self._cell.height())
            lines_in = -(-(bottom - body) // self._cell.height())
            start = section.start + min(section.count, lines_above * self._columns)
            stop = section.start + min(section.count, max(0, lines_in) * self._columns)
            if stop > start:
                first = start if first is None else first
                last = stop
        return range(first, last) if first is not None and last is not None else range(0)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self.viewport())
        scroll = self.verticalScrollBar().value()
        height = self.viewport().height()
        palette = self.palette()
        header = self.header_height()
        sources = self.model.rows.order.sources
        sections = self.sections
        for index in range(max(0, bisect.bisect_right(self._tops, scroll) - 1), len(sections)):
            section = sections[index]
            y = self._tops[index] - scroll
            if y > height:
                break
            if y + header >= 0:
                file_dated = int((sources[section.start : section.stop] == 1).sum())
                box = QRect(12, y + header // 4, self.viewport().width() - 24, header // 2 + 4)
                paint_header(painter, box, section_title(section, file_dated), palette)
        # The painter is set once for every cell (paint_cell leaves pen and brush changed).
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        focus = palette.color(QPalette.ColorRole.Highlight)
        marked = self.delegate.size >= MIN_MARKED_SIZE
        focused = self.hasFocus()
        rows = self.visible_rows()
        index = self._section_index(rows.start) if rows else 0
        columns, width, cell_height = self._columns, self._cell.width(), self._cell.height()
        for row in rows:
            while row >= sections[index].stop:
                index += 1
            line, column = divmod(row - sections[index].start, columns)
            y = self._tops[index] + header + line * cell_height - scroll
            cell = QRect(column * width, y, width, cell_height)
            self.delegate.paint_cell(
                painter, cell, palette, self._hits[row],
                selected=row in self.selected, hover=row == self._hover,
            )  # fmt: skip
            if row == self.current and focused:
                # Drawn aliased, as it always was: a crisp frame inside the cell's own.
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
                painter.setPen(focus)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(cell.adjusted(2, 2, -3, -3), 8, 8)
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            if marked and self.model.file_dated(row):
                self._file_mark.paint(painter, cell, palette)
        painter.end()
        waiting, self._after_paint = self._after_paint, []
        for fn in waiting:
            QTimer.singleShot(0, fn)

    def after_paint(self, fn: Callable[[], None]) -> None:
        """``fn()`` once the next paint of the grid is on screen."""
        self._after_paint.append(fn)
        self.viewport().update()

    # -- selection ------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        return sorted(self.selected)

    def select_rows(self, rows, *, current: int | None = None) -> None:
        self.selected = set(rows)
        if current is not None:
            self.current = self._anchor = current
        self.viewport().update()
        self.selection_changed.emit(len(self.selected))

    def clear_selection(self) -> None:
        self.select_rows(())

    def _click(self, row: int, modifiers: Qt.KeyboardModifier) -> None:
        if modifiers & Qt.KeyboardModifier.ShiftModifier and self._anchor >= 0:
            low, high = sorted((self._anchor, row))
            chosen = set(range(low, high + 1))
            if modifiers & Qt.KeyboardModifier.ControlModifier:
                chosen |= self.selected
            self.selected = chosen
            self.current = row
        elif modifiers & Qt.KeyboardModifier.ControlModifier:
            self.selected ^= {row}
            self.current = self._anchor = row
        else:
            self.selected = {row}
            self.current = self._anchor = row
        self.viewport().update()
        self.selection_changed.emit(len(self.selected))

    # -- mouse ----------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        row = self.row_at(event.position().toPoint())
        self._press = event.position().toPoint()
        if row is None:
            if event.button() == Qt.MouseButton.LeftButton and not event.modifiers():
                self.clear_selection()
            return
        if event.button() == Qt.MouseButton.RightButton:
            if row not in self.selected:
                self._click(row, Qt.KeyboardModifier.NoModifier)
            return
        if row in self.selected and not event.modifiers():
            self.current = row  # a drag of the whole selection may follow
            self.viewport().update()
            return
        self._click(row, event.modifiers())

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        pos = event.position().toPoint()
        row = self.row_at(pos)
        clicked = (event.button() == Qt.MouseButton.LeftButton and row is not None
                   and not event.modifiers() and self._press is not None
                   and (pos - self._press).manhattanLength() < QApplication.startDragDistance())  # fmt: skip
        if clicked and row is not None and self.selected != {row}:
            self._click(row, Qt.KeyboardModifier.NoModifier)  # a click on a selected photo
        self._press = None

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        row = self.row_at(event.position().toPoint())
        if row is not None and event.button() == Qt.MouseButton.LeftButton:
            self.open_requested.emit(row)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position().toPoint()
        hover = self.row_at(pos)
        hover = -1 if hover is None else hover
        if hover != self._hover:
            self._hover = hover
            self.viewport().update()
        if (self._press is not None and event.buttons() & Qt.MouseButton.LeftButton
                and self.selected
                and (pos - self._press).manhattanLength() >= QApplication.startDragDistance()):  # fmt: skip
            self._press = None
            self._drag_out()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover = -1
        self.viewport().update()
        super().leaveEvent(event)

    def _drag_out(self) -> None:
        paths = [self.model.rows.path(r) for r in self.selected_rows()]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(os.fspath(p)) for p in paths])
        mime.setText("\n".join(os.fspath(p) for p in paths))
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)

    def wheelEvent(self, event) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            event.ignore()  # the page zooms
            return
        super().wheelEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        if self.selected:
            self.context_requested.emit(event.globalPos())

    def viewportEvent(self, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            row = self.row_at(event.pos())
            if row is None:
                QToolTip.hideText()
            else:
                tip = self.model.data(self.model.index(row), Qt.ItemDataRole.ToolTipRole)
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            return True
        return super().viewportEvent(event)

    # -- keys -----------------------------------------------------------------------------

    CURSOR_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
                   Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)  # fmt: skip

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        count = len(self.model.rows)
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_requested.emit()
            return
        if count == 0:
            super().keyPressEvent(event)
            return
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_rows(range(count), current=max(0, self.current))
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.current >= 0:
            self.open_requested.emit(self.current)
            return
        if key in self.CURSOR_KEYS:
            row = moved(self, self.current, key) if self.current >= 0 else 0
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._click(row, Qt.KeyboardModifier.ShiftModifier)
            elif event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.current = row  # moves the focus cell only; Ctrl+Space would pick it
                self.viewport().update()
            else:
                self._click(row, Qt.KeyboardModifier.NoModifier)
            self.scroll_to(row)
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event) -> None:  # noqa: N802
        if self.current < 0 and len(self.model.rows):
            first = self.visible_rows()
            self._click(first.start if len(first) else 0, Qt.KeyboardModifier.NoModifier)
        self.viewport().update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        self.viewport().update()
        super().focusOutEvent(event)
