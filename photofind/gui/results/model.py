"""The search results as a list model: one row per photo, filtered and sorted here.

The view holds no widget per photo; it asks this model for the rows it shows. All hits of
a search are kept, and the minimum-score threshold and the sort order are applied to them
here, so changing either does not search again.
"""

from __future__ import annotations

import html
import os
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)

from photofind.core.search import SearchHit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
SCORE_ROLE = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


def format_taken(taken_at: float | None) -> str:
    if taken_at is None:
        return "unknown"
    try:
        return datetime.fromtimestamp(taken_at).strftime("%d %b %Y, %H:%M")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def tooltip(hit: SearchHit) -> str:
    return (
        f"<b>{html.escape(hit.path.name)}</b><br>"
        f"{html.escape(str(hit.path.parent))}<br>"
        f"Taken: {format_taken(hit.taken_at)}<br>"
        f"Score: {hit.score:.3f}"
    )


class ResultsModel(QAbstractListModel):
    summary_changed = Signal()  # shown or hidden counts changed

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._all: list[SearchHit] = []
        self._shown: list[SearchHit] = []
        self._rows_by_path: dict[Path, list[int]] = {}
        self._min_score = 0.0
        self._sort = "relevance"

    # -- what is shown --------------------------------------------------------------------

    def keeps_rows(self, hits: list[SearchHit]) -> bool:
        """True when showing ``hits`` leaves every row shown where it is (the same hits, or
        more after them): :meth:`set_hits` then keeps the scrolling and the selection."""
        old = self._all
        if hits == old:
            return True
        return self._sort == "relevance" and len(hits) > len(old) and hits[: len(old)] == old

    def set_hits(self, hits: list[SearchHit]) -> None:
        """Show ``hits``. When they only add to the end of what is shown (the rest of a search
        whose first page is on screen), rows are appended: scrolling and selection stay."""
        hits = list(hits)
        old = self._all
        if hits == old:
            self.summary_changed.emit()
            return
        if old and self.keeps_rows(hits):
            tail = [
                h for h in hits[len(old) :] if self._min_score <= 0 or h.score >= self._min_score
            ]
            self._all = hits
            if tail:
                start = len(self._shown)
                self.beginInsertRows(QModelIndex(), start, start + len(tail) - 1)
                for offset, h in enumerate(tail):
                    self._shown.append(h)
                    self._rows_by_path.setdefault(h.path, []).append(start + offset)
                self.endInsertRows()
            self.summary_changed.emit()
            return
        self._all = hits
        self._refresh()

    def set_min_score(self, value: float) -> None:
        if value != self._min_score:
            self._min_score = value
            self._refresh()

    def set_sort(self, mode: str) -> None:
        if mode != self._sort:
            self._sort = mode
            self._refresh()

    @property
    def min_score(self) -> float:
        return self._min_score

    @property
    def total(self) -> int:
        return len(self._all)

    @property
    def hidden(self) -> int:
        return len(self._all) - len(self._shown)

    def hits(self) -> list[SearchHit]:
        return list(self._shown)

    def hit(self, row: int) -> SearchHit:
        return self._shown[row]

    def rows_of(self, path: Path) -> list[int]:
        return self._rows_by_path.get(path, [])

    def _refresh(self) -> None:
        if self._min_score > 0:
            shown = [h for h in self._all if h.score >= self._min_score]
        else:  # the slider at 0 means no threshold: cosines can be below 0
            shown = list(self._all)
        if self._sort == "date":
            # newest first; photos with no date go last, best match first among equals
            shown.sort(key=lambda h: (h.taken_at is None, -(h.taken_at or 0.0), -h.score))
        self.beginResetModel()
        self._shown = shown
        self._rows_by_path = {}
        for row, h in enumerate(shown):
            self._rows_by_path.setdefault(h.path, []).append(row)
        self.endResetModel()
        self.summary_changed.emit()

    def thumbnail_arrived(self, path: Path) -> None:
        for row in self.rows_of(path):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # -- QAbstractListModel ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        hit = self._shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(hit)
        if role == HIT_ROLE:
            return hit
        if role == SCORE_ROLE:
            return hit.score
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{hit.path.name}, score {hit.score:.2f}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain"]

    def mimeData(self, indexes) -> QMimeData:
        paths = [self._shown[i.row()].path for i in sorted(indexes, key=lambda i: i.row())]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(os.fspath(p)) for p in paths])
        mime.setText("\n".join(os.fspath(p) for p in paths))
        return mime
