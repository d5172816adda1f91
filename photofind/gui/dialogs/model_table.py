"""The Models dialog's table: one line per model, as model_rows describes it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from photofind.gui.dialogs.model_rows import COLUMNS, NUMERIC, RIGHT, Row
from photofind.gui.style import TABLE_STYLE_SHEET


def make_table(parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(COLUMNS), parent)
    table.setObjectName("modelsTable")
    table.setStyleSheet(TABLE_STYLE_SHEET)
    table.setHorizontalHeaderLabels(list(COLUMNS))
    table.horizontalHeaderItem(1).setToolTip(
        "On disk for installed models; an estimate of the download for the others"
    )
    table.horizontalHeaderItem(3).setToolTip("Numbers stored per photo")
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    for column in NUMERIC:
        table.horizontalHeaderItem(column).setTextAlignment(RIGHT)
    return table


def fill_table(table: QTableWidget, rows: list[Row]) -> None:
    """Each line's first cell holds the model's name (UserRole) and its repository as tip."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row.cells()):
            item = QTableWidgetItem(text)
            if c == 0:
                item.setData(Qt.ItemDataRole.UserRole, row.name)
                item.setToolTip(row.status.entry.repo if row.status.entry else row.name)
            if row.in_use:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            if c in NUMERIC:
                item.setTextAlignment(RIGHT)
            table.setItem(r, c, item)
