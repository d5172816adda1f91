"""The files indexing could not read, each with the reason, ready to copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from photofind.core.humanize import plural


class FailuresDialog(QDialog):
    def __init__(self, failures: list[tuple[Path, str]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be indexed")
        self.resize(820, 420)
        self.failures = failures
        layout = QVBoxLayout(self)
        count = len(failures)
        intro = QLabel(
            f"{plural(count, 'file', grouped=True)} could not be read. photofind tries "
            "each again when it changes; fix or remove the file, or leave it out of the library."
            if count
            else "Every file in the library could be read.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(count, 2, self)
        self.table.setHorizontalHeaderLabels(["File", "Why"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for row, (path, reason) in enumerate(failures):
            item = QTableWidgetItem(path.name)
            item.setToolTip(str(path))
            self.table.setItem(row, 0, item)
            why = QTableWidgetItem(reason)
            why.setToolTip(reason)
            self.table.setItem(row, 1, why)
        self.table.setColumnWidth(0, 260)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy list", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy)
        copy.setEnabled(bool(count))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def text(self) -> str:
        return "\n".join(f"{path}\t{reason}" for path, reason in self.failures)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
