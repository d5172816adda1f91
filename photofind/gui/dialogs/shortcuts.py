"""Help ▸ Keyboard shortcuts: the menus' shortcuts (read from the menus themselves) and the
keys of the grids, the search field and the viewer, in one table."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

PLACE_KEYS = (
    ("Search field", "Down or Enter", "Go to the photos (Enter searches first)"),
    ("Search field", "Esc", "Clear the query"),
    ("Search field", "Ctrl+V", "Search with the image on the clipboard (replaces the image)"),
    ("Photos", "Arrows, Page Up/Down, Home/End", "Move; with Shift, select as you go"),
    ("Photos", "Enter, Space, double click", "View the photo"),
    ("Photos", "Ctrl+A", "Select every photo shown"),
    ("Photos", "Esc", "Back to the search field"),
    ("Photos", "Ctrl+wheel", "Larger or smaller thumbnails"),
    ("Drop", "Drop an image", "Search with it (replaces the image)"),
    ("Drop", "Ctrl + drop", "Add the image to the query"),
    ("Viewer", "Left/Right, Page Up/Down", "Previous or next photo"),
    ("Viewer", "Home/End", "First or last photo"),
    ("Viewer", "Space, Esc", "Close"),
    ("Viewer", "F11", "Full screen"),
    ("Viewer", "0, 1, +, -, wheel", "Fit, 100%, zoom in, zoom out"),
    ("Viewer", "I", "Show or hide the details"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, menu_keys: list[tuple[str, str, str]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(where, keys, what) for where, what, keys in menu_keys] + list(PLACE_KEYS)
        self.rows = rows
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "What"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 520)

    def keys_for(self, what: str) -> list[str]:
        return [keys for _where, keys, name in self.rows if name == what]
