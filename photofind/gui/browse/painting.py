"""What the browse grid's paint makes once and reuses rather than per cell: each row's
SearchHit, the file-date mark as a small pixmap, a month header's title."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPalette, QPixmap

from photofind.core.browse import Section
from photofind.core.browse_rows import BrowseRows
from photofind.core.humanize import plural
from photofind.core.search import SearchHit
from photofind.gui.browse.model import BrowseModel

MARK_AT = 10  # the file-date mark's distance from the cell's top left corner
MARK_SIDE = 8
MIN_MARKED_SIZE = 72  # smaller cells have no room for the mark beside the picture
MAX_KEPT_HITS = 2000  # ~10 screens of the smallest cells


def section_title(section: Section, file_dated: int = 0) -> str:
    if section.year is None or section.month is None:
        title = "Date unknown"
    else:
        title = date(section.year, section.month, 1).strftime("%B %Y")
    title += f"  ·  {plural(section.count, 'photo', grouped=True)}"
    if file_dated:
        title += f" ({file_dated:,} dated by the file: no date in the photo)"
    return title


def paint_header(painter: QPainter, box: QRect, title: str, palette: QPalette) -> None:
    """A month's title in bold; the painter's font is left as it was."""
    font = painter.font()
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(palette.color(QPalette.ColorRole.WindowText))
    # A narrow window (or a 2x scale) cuts the title with an ellipsis, not mid-word.
    title = painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, box.width())
    painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, title)
    font.setBold(False)
    painter.setFont(font)


class RowHits:
    """The SearchHit of each row painted lately: making one (a Path from the catalog's
    bytes) cost more than painting its cell. Dropped with the rows they were made from."""

    def __init__(self, model: BrowseModel) -> None:
        self._model = model
        self._rows: BrowseRows | None = None
        self._hits: dict[int, SearchHit] = {}

    def __getitem__(self, row: int) -> SearchHit:
        rows = self._model.rows
        if rows is not self._rows or len(self._hits) > MAX_KEPT_HITS:
            self._rows, self._hits = rows, {}
        hit = self._hits.get(row)
        if hit is None:
            hit = self._hits[row] = self._model.hit(row)
        return hit


class FileMark:
    """A small hollow dot for a cell's corner: the date shown for its photo is the file's.
    Drawn once per colour and pixel ratio and then blitted: an antialiased ellipse per
    cell, with the painter saved and restored around it, cost ~0.3 ms a cell under load."""

    def __init__(self) -> None:
        self._made: tuple[tuple[int, float], QPixmap] | None = None

    def paint(self, painter: QPainter, cell: QRect, palette: QPalette) -> None:
        pixmap = self.pixmap(palette, painter.device().devicePixelRatio())
        painter.drawPixmap(cell.left() + MARK_AT - 1, cell.top() + MARK_AT - 1, pixmap)

    def pixmap(self, palette: QPalette, ratio: float) -> QPixmap:
        colour = palette.color(QPalette.ColorRole.Mid)
        key = (colour.rgba(), ratio)
        if self._made is None or self._made[0] != key:
            side = MARK_SIDE + 2  # the pen's half pixel outside the dot, on every side
            mark = QPixmap(round(side * ratio), round(side * ratio))
            mark.setDevicePixelRatio(ratio)
            mark.fill(Qt.GlobalColor.transparent)
            painter = QPainter(mark)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(colour)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QRect(1, 1, MARK_SIDE, MARK_SIDE))
            painter.end()
            self._made = (key, mark)
        return self._made[1]
