"""The files indexing could not read and the folders it could not list, each with the
reason, ready to copy. A folder that cannot be listed hides every photo in it, so it is
listed first."""

from __future__ import annotations

import os
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
    def __init__(
        self,
        failures: list[tuple[Path, str]],
        parent=None,
        *,
        folders: list[tuple[Path, str]] = (),  # type: ignore[assignment]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be indexed")
        self.resize(820, 420)
        self.folders = list(folders)
        self.failures = [*self.folders, *failures]
        failures = self.failures
        layout = QVBoxLayout(self)
        count = len(failures)
        parts = []
        if self.folders:
            parts.append(f"{plural(len(self.folders), 'folder', grouped=True)} could not be "
                         "listed: the photos in them are missing until it can be read again.")  # fmt: skip
        if count > len(self.folders):
            parts.append(
                f"{plural(count - len(self.folders), 'file', grouped=True)} could not be read. "
                "photofind tries each again when it changes; fix or remove the file, or leave "
                "it out of the library."
            )
        intro = QLabel(" ".join(parts) or "Every file in the library could be read.", self)
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
            item = QTableWidgetItem(path.name + (os.sep if row < len(self.folders) else ""))
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
        marks = [os.sep] * len(self.folders) + [""] * (len(self.failures) - len(self.folders))
        return "\n".join(
            f"{path}{mark}\t{reason}"
            for (path, reason), mark in zip(self.failures, marks, strict=True)
        )

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
