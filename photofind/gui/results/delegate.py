"""Paints one result cell: the thumbnail fitted in a square with a relevance bar along its
foot (the score itself is in the tooltip and the viewer), or the divider row above the
photos that do not match, across the whole width. The cell of a picture kept in several
photos (copies, other sizes) has a count badge in the picture's top right corner, over a
stack edge behind it; the badge is white on near-black whatever the palette, since it lies
on the photo, not on the window.

Painting asks the thumbnail store for the picture; the store decodes only what is asked
for, so only the cells on screen are ever decoded. Until a thumbnail arrives the cell
shows a placeholder with the photo's own proportions, so the grid does not jump.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photofind.core.search import SearchHit
from photofind.gui.blur import SensitiveBlur
from photofind.gui.results.groups import Badge
from photofind.gui.results.model import BADGE_ROLE, DIVIDER_ROLE, HIT_ROLE, RELEVANCE_ROLE
from photofind.gui.results.pixmaps import Broken, ThumbnailStore

PADDING = 6  # around the picture, inside the cell: room for the selection frame
RADIUS = 6.0
# Pictures scaled to their cell and rounded, ready to blit: scaling a 256-px thumbnail
# smoothly on every paint made scrolling miss frames. ~3 screens of the largest cells.
MAX_RENDERED = 600
MAX_BACKDROPS = 8  # selected and hovered, at a cell size or two, a pixel ratio or two
DIVIDER_HEIGHT = 34  # one line of text with room above and below: a break, not a gap
BAR_HEIGHT = 4
BAR_WIDTH = 48  # a gauge to glance at, not a chart: the score is in the tooltip
BADGE_INSET = 5  # from the picture's corner
BADGE_PIXELS = 12  # the count's font: bold, readable over any photo at every zoom
STACK_OFFSET = 4  # the edge of the photo "behind" a group's cell; under PADDING


@dataclass(frozen=True)
class CellColours:
    """The palette's colours a cell is painted with, made once per palette, not per cell."""

    selected: QColor
    hover: QColor
    placeholder: QColor
    placeholder_text: QColor
    focus: QColor

    @classmethod
    def of(cls, palette: QPalette) -> CellColours:
        highlight = palette.color(QPalette.ColorRole.Highlight)
        selected, hover = QColor(highlight), QColor(highlight)
        selected.setAlpha(90)
        hover.setAlpha(35)
        placeholder = palette.color(QPalette.ColorRole.Mid)
        placeholder.setAlpha(60)
        text = palette.color(QPalette.ColorRole.PlaceholderText)
        return cls(selected, hover, placeholder, text, highlight)


def fitted(width: int, height: int, box: QRect) -> QRect:
    """The largest rectangle of ``width:height`` proportions centred in ``box``."""
    if width <= 0 or height <= 0:
        return QRect(box)
    scale = min(box.width() / width, box.height() / height)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    return QRect(box.x() + (box.width() - w) // 2, box.y() + (box.height() - h) // 2, w, h)


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, store: ThumbnailStore, size: int, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.size = size
        self.device_ratio = 1.0
        self.painted_thumbnails = 0  # pictures (not placeholders) painted: benchmarks use it
        self._rendered: OrderedDict[tuple[int, int, int], QPixmap] = OrderedDict()
        self._divider_font: QFont | None = None
        # Set by the view as its width changes: the columns spread over the whole width,
        # and the divider row spans it.
        self.cell_width = 0
        self.row_width = 0
        self.blur: SensitiveBlur | None = None  # sensitive photos drawn blurred (gui/blur.py)
        self._badge_font: QFont | None = None
        # Where each badge was last painted, relative to its cell: what a click is tested
        # against (the picture's place in the cell depends on its proportions).
        self._badge_areas: dict[int, QRect] = {}
        self._cell_colours: tuple[int, CellColours] | None = None  # (palette.cacheKey(), ...)
        self._backdrops: dict[tuple[int, int, int, float], QPixmap] = {}

    def cell_size(self) -> QSize:
        side = self.size + 2 * PADDING
        return QSize(side, side)

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        cell = self.cell_size()
        if index.data(DIVIDER_ROLE) is not None:
            return QSize(max(self.row_width, cell.width()), DIVIDER_HEIGHT)
        return QSize(max(self.cell_width, cell.width()), cell.height())

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        hit: SearchHit | None = index.data(HIT_ROLE)
        if hit is None:
            divider = index.data(DIVIDER_ROLE)
            if divider is not None:
                self._paint_divider(painter, QRect(option.rect), option.palette, divider)
            return
        self.paint_hit(painter, option, hit, index.data(BADGE_ROLE), index.data(RELEVANCE_ROLE))

    def paint_hit(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        hit: SearchHit,
        badge: Badge | None = None,
        bar: float | None = None,
    ) -> None:
        """One photo's cell, leaving the painter as it was."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        self.paint_cell(
            painter, QRect(option.rect), option.palette, hit,
            selected=selected,
            hover=bool(state & QStyle.StateFlag.State_MouseOver),
            focus=selected and bool(state & QStyle.StateFlag.State_HasFocus),
            badge=badge, bar=bar,
        )  # fmt: skip
        painter.restore()

    def paint_cell(
        self,
        painter: QPainter,
        cell: QRect,
        palette: QPalette,
        hit: SearchHit,
        *,
        selected: bool = False,
        hover: bool = False,
        focus: bool = False,
        badge: Badge | None = None,
        bar: float | None = None,
    ) -> None:
        """One photo's cell on a painter that antialiases; its pen and brush are left
        changed. The browse grid calls this for every cell of a paint with the painter set
        once: a save, a restore, two render hints, the option's state flags and
        ``index.data`` through Qt cost more per cell than the drawing itself."""
        colours = self._colours(palette)
        if selected or hover:
            colour = colours.selected if selected else colours.hover
            ratio = painter.device().devicePixelRatio()
            painter.drawPixmap(cell.topLeft(), self._backdrop(cell.size(), colour, ratio))
        size = self.size
        centre = cell.center()
        box = QRect(centre.x() - size // 2, centre.y() - size // 2, size, size)
        picture = self.store.pixmap(hit.path, round(size * self.device_ratio))
        if isinstance(picture, QPixmap) and not picture.isNull():
            if self.blur is not None and self.blur.hides(hit.photo_id):
                picture = self.blur.pixmap(picture)
            target = fitted(picture.width(), picture.height(), box)
            if badge is not None and not badge.expanded:
                self._paint_stack(painter, target, palette)
            # Rendered at the cell's size in device pixels: a plain blit. With smooth pixmap
            # transforms on, Qt blends it through its scaling path, ~5x slower a cell.
            painter.drawPixmap(target.topLeft(), self._render(picture, target.size()))
            self.painted_thumbnails += 1
        else:
            target = fitted(hit.width or 4, hit.height or 3, box)
            if badge is not None and not badge.expanded:
                self._paint_stack(painter, target, palette)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colours.placeholder)
            painter.drawRoundedRect(QRectF(target), RADIUS, RADIUS)
            if isinstance(picture, Broken):
                painter.setPen(colours.placeholder_text)
                painter.drawText(
                    target,
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    "Cannot show\nthis photo",
                )
        if bar is not None:  # browsing and filters alone have no scores to show
            self._paint_bar(painter, target, bar, palette)
        if badge is not None:
            area = self._paint_badge(painter, target, badge, palette)
            self._badge_areas[hit.photo_id] = area.translated(-cell.topLeft())
        if focus:
            painter.setPen(colours.focus)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(cell.adjusted(1, 1, -2, -2)), RADIUS + 2, RADIUS + 2)

    def _backdrop(self, size: QSize, colour: QColor, ratio: float) -> QPixmap:
        """The tinted rounded rectangle behind a selected or hovered cell, drawn once per
        size and colour: antialiasing it on every paint cost ~50 us a cell, ten times its
        blit (a screen of selected cells after Ctrl+A)."""
        key = (size.width(), size.height(), colour.rgba(), ratio)
        backdrop = self._backdrops.get(key)
        if backdrop is None:
            if len(self._backdrops) >= MAX_BACKDROPS:
                self._backdrops.clear()
            backdrop = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
            backdrop.setDevicePixelRatio(ratio)
            backdrop.fill(Qt.GlobalColor.transparent)
            painter = QPainter(backdrop)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            area = QRectF(1, 1, size.width() - 2, size.height() - 2)
            painter.drawRoundedRect(area, RADIUS + 2, RADIUS + 2)
            painter.end()
            self._backdrops[key] = backdrop
        return backdrop

    def _colours(self, palette: QPalette) -> CellColours:
        key = palette.cacheKey()
        if self._cell_colours is None or self._cell_colours[0] != key:
            self._cell_colours = (key, CellColours.of(palette))
        return self._cell_colours[1]

    def badge_area(self, photo_id: int, cell: QRect) -> QRect | None:
        """Where the badge of ``photo_id`` was painted in ``cell`` (None: not painted)."""
        area = self._badge_areas.get(photo_id)
        return None if area is None else area.translated(cell.topLeft())

    def _paint_stack(self, painter: QPainter, target: QRect, palette: QPalette) -> None:
        """The edge of a second photo behind the picture: more than one photo in the cell."""
        behind = QRectF(target.translated(STACK_OFFSET, -STACK_OFFSET))
        edge = palette.color(QPalette.ColorRole.Text)
        edge.setAlpha(70)
        fill = palette.color(QPalette.ColorRole.Mid)
        fill.setAlpha(150)
        painter.setPen(edge)
        painter.setBrush(fill)
        painter.drawRoundedRect(behind, RADIUS, RADIUS)

    def _paint_badge(
        self, painter: QPainter, target: QRect, badge: Badge, palette: QPalette
    ) -> QRect:
        """The count in a pill at the picture's top right corner; returns where it is."""
        if self._badge_font is None:
            font = QFont(painter.font())
            font.setBold(True)
            font.setPixelSize(BADGE_PIXELS)
            self._badge_font = font
        painter.save()
        painter.setFont(self._badge_font)
        metrics = painter.fontMetrics()
        height = metrics.height() + 4
        width = max(height, metrics.horizontalAdvance(badge.text) + 12)
        area = QRect(target.right() - BADGE_INSET - width + 1, target.top() + BADGE_INSET,
                     width, height)  # fmt: skip
        if badge.expanded:  # open: the selection's colour, as a toggled button has
            back = palette.color(QPalette.ColorRole.Highlight)
            text = palette.color(QPalette.ColorRole.HighlightedText)
        else:
            back, text = QColor(20, 20, 20, 215), QColor(255, 255, 255)
        painter.setPen(QColor(255, 255, 255, 170))
        painter.setBrush(back)
        painter.drawRoundedRect(QRectF(area).adjusted(0.5, 0.5, -0.5, -0.5),
                                height / 2, height / 2)  # fmt: skip
        painter.setPen(text)
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, badge.text)
        painter.restore()
        return area

    def _render(self, picture: QPixmap, size: QSize) -> QPixmap:
        """``picture`` scaled to ``size`` with rounded corners, made once and kept."""
        ratio = self.device_ratio
        key = (picture.cacheKey(), size.width(), size.height())
        rendered = self._rendered.get(key)
        if rendered is not None:
            self._rendered.move_to_end(key)
            return rendered
        pixels = QSize(round(size.width() * ratio), round(size.height() * ratio))
        rendered = QPixmap(pixels)
        rendered.fill(Qt.GlobalColor.transparent)
        painter = QPainter(rendered)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        clip = QPainterPath()
        clip.addRoundedRect(
            QRectF(0, 0, pixels.width(), pixels.height()), RADIUS * ratio, RADIUS * ratio
        )
        painter.setClipPath(clip)
        painter.drawPixmap(QRect(0, 0, pixels.width(), pixels.height()), picture)
        painter.end()
        rendered.setDevicePixelRatio(ratio)
        self._rendered[key] = rendered
        if len(self._rendered) > MAX_RENDERED:
            self._rendered.popitem(last=False)
        return rendered

    def _paint_bar(
        self, painter: QPainter, target: QRect, relevance: float, palette: QPalette
    ) -> None:
        """A short bar along the picture's foot: its filled length is the relevance."""
        inset = max(4, min(10, target.width() // 12))
        track = QRectF(
            target.left() + inset,
            target.bottom() - inset - BAR_HEIGHT,
            max(8, min(BAR_WIDTH, target.width() - 2 * inset)),
            BAR_HEIGHT,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 110))
        painter.drawRoundedRect(track.adjusted(-1, -1, 1, 1), BAR_HEIGHT, BAR_HEIGHT)
        if relevance > 0:
            filled = QRectF(track)
            filled.setWidth(max(BAR_HEIGHT, track.width() * relevance))
            painter.setBrush(QColor(255, 255, 255, 230))
            painter.drawRoundedRect(filled, BAR_HEIGHT / 2, BAR_HEIGHT / 2)

    def _paint_divider(self, painter: QPainter, row: QRect, palette: QPalette, text: str) -> None:
        """The divider's words on the left, a line from them to the right edge."""
        painter.save()
        if self._divider_font is None:
            font = QFont(painter.font())
            font.setBold(True)
            self._divider_font = font
        painter.setFont(self._divider_font)
        colour = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(colour)
        left = row.left() + PADDING + 4
        metrics = painter.fontMetrics()
        words = QRect(left, row.top(), metrics.horizontalAdvance(text) + 2, row.height())
        painter.drawText(words, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        line = colour
        line.setAlpha(110)
        painter.setPen(line)
        y = row.center().y() + 1
        painter.drawLine(words.right() + 10, y, row.right() - PADDING - 4, y)
        painter.restore()
