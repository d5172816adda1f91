"""Where a cursor key leads in the browse grid: through the lines as they are drawn,
across the month headers (Down from a month's last line goes to the next month's first)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt

if TYPE_CHECKING:
    from photofind.gui.browse.grid import BrowseGrid


def moved(grid: BrowseGrid, row: int, key: int) -> int:
    """The row a cursor key leads to from ``row``, in the lines as they are drawn."""
    count = len(grid.model.rows)
    if key == Qt.Key.Key_Left:
        return max(0, row - 1)
    if key == Qt.Key.Key_Right:
        return min(count - 1, row + 1)
    if key == Qt.Key.Key_Home:
        return 0
    if key == Qt.Key.Key_End:
        return count - 1
    if key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
        rect = grid.row_rect(row)
        step = grid.viewport().height() * (1 if key == Qt.Key.Key_PageDown else -1)
        target = grid.row_at(QPoint(rect.center().x(), rect.center().y() + step
                                    - grid.verticalScrollBar().value()))  # fmt: skip
        if target is not None:
            return target
        return count - 1 if step > 0 else 0
    sections = grid.sections
    index = grid._section_index(row)
    section = sections[index]
    line, column = divmod(row - section.start, grid._columns)
    if key == Qt.Key.Key_Down:
        if (line + 1) * grid._columns < section.count:
            return min(section.stop - 1, row + grid._columns)
        if index + 1 < len(sections):
            following = sections[index + 1]
            return following.start + min(column, following.count - 1)
        return row
    if key == Qt.Key.Key_Up:
        if line > 0:
            return row - grid._columns
        if index > 0:
            previous = sections[index - 1]
            last_line = (previous.count - 1) // grid._columns
            return previous.start + min(previous.count - 1, last_line * grid._columns + column)
        return row
    return row
