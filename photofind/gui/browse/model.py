"""The browse rows as a list model, so the results' thumbnail delegate paints browse cells
too, and as the records the viewer and the selection actions take. Rows are made when they
are asked for (a screenful at a time), never for the whole library."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from photofind.core.browse import FILE_TIME
from photofind.core.browse_rows import BrowseRows, empty_rows
from photofind.core.search import SearchHit
from photofind.gui.results.model import HIT_ROLE, SCORE_ROLE, format_taken
from photofind.gui.viewer.items import ViewerItem

Index = QModelIndex | QPersistentModelIndex
FILE_DATE_NOTE = "no date in the photo: this is the file's date"


class BrowseModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: BrowseRows = empty_rows()

    def set_rows(self, rows: BrowseRows) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def hit(self, row: int) -> SearchHit:
        rows = self.rows
        return SearchHit(
            rows.photo_id(row), rows.path(row), 0.0, rows.taken_at(row),
            int(rows.widths[row]) or None, int(rows.heights[row]) or None,
        )  # fmt: skip

    def item(self, row: int) -> ViewerItem:
        return _item(self.rows, row)

    def file_dated(self, row: int) -> bool:
        return self.rows.order.date_source(row) == FILE_TIME

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self.rows):
            return None
        if role == HIT_ROLE:
            return self.hit(row)
        if role == SCORE_ROLE:
            return None  # browsing has no scores: the delegate draws no badge
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows.path(row).name
        if role == Qt.ItemDataRole.ToolTipRole:
            path = self.rows.path(row)
            taken = format_taken(self.rows.taken_at(row))
            note = f" ({FILE_DATE_NOTE})" if self.file_dated(row) else ""
            return (
                f"<b>{html.escape(path.name)}</b><br>{html.escape(str(path.parent))}<br>"
                f"Taken: {taken}{html.escape(note)}"
            )
        return None


class BrowseItems(Sequence[ViewerItem]):
    """The browse order as the viewer's sequence: each item made when the viewer steps to
    it, so opening the viewer on a 100k library costs nothing."""

    def __init__(self, model: BrowseModel) -> None:
        self._model = model
        self._rows = model.rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self._rows):
            raise IndexError(row)
        return _item(self._rows, row)


def _item(rows: BrowseRows, row: int) -> ViewerItem:
    return ViewerItem(
        rows.path(row), rows.photo_id(row), rows.taken_at(row), rows.order.date_source(row),
        int(rows.widths[row]) or None, int(rows.heights[row]) or None,
    )  # fmt: skip
