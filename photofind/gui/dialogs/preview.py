"""A large preview of one result with its details; Left/Right step through the results.

The picture comes through the thumbnail store at its largest bucket (decoded on the worker
pool and cached on disk like the grid's thumbnails); the grid's thumbnail stands in until
it arrives.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photofind.core.humanize import binary_size
from photofind.core.search import SearchHit
from photofind.core.thumbnails import BUCKETS
from photofind.gui.results.model import format_taken
from photofind.gui.results.pixmaps import Broken, ThumbnailStore

PREVIEW_BUCKET = BUCKETS[-1]


def _file_size(path: Path) -> str:
    try:
        return binary_size(os.path.getsize(path))
    except OSError:
        return "unknown"


class PreviewDialog(QDialog):
    open_requested = Signal(SearchHit)
    show_in_folder_requested = Signal(SearchHit)

    def __init__(self, store: ThumbnailStore, hits: list[SearchHit], row: int, parent=None):
        super().__init__(parent)
        self.setObjectName("preview")
        self.resize(960, 720)
        self.store = store
        self.hits = hits
        self.row = row
        layout = QVBoxLayout(self)
        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(QSize(200, 200))
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.picture, 1)
        details = QWidget(self)
        form = QFormLayout(details)
        form.setContentsMargins(4, 4, 4, 4)
        self.fields = {}
        for key, label in (
            ("name", "File"),
            ("folder", "Folder"),
            ("taken", "Taken"),
            ("size", "Size"),
            ("score", "Score"),
        ):
            value = QLabel(details)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label + ":", value)
            self.fields[key] = value
        layout.addWidget(details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        open_button = buttons.addButton("Open", QDialogButtonBox.ButtonRole.ActionRole)
        open_button.clicked.connect(lambda: self.open_requested.emit(self.hit))
        folder_button = buttons.addButton("Show in folder", QDialogButtonBox.ButtonRole.ActionRole)
        folder_button.clicked.connect(lambda: self.show_in_folder_requested.emit(self.hit))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        store.ready.connect(self._on_ready)
        self._pixmap: QPixmap | None = None
        self._show_row(row)

    @property
    def hit(self) -> SearchHit:
        return self.hits[self.row]

    def _show_row(self, row: int) -> None:
        self.row = row
        hit = self.hit
        self.setWindowTitle(f"{hit.path.name} — photofind")
        self.fields["name"].setText(hit.path.name)
        self.fields["folder"].setText(str(hit.path.parent))
        self.fields["taken"].setText(format_taken(hit.taken_at))
        dims = f"{hit.width} × {hit.height} px, " if hit.width and hit.height else ""
        self.fields["size"].setText(dims + _file_size(hit.path))
        self.fields["score"].setText(f"{hit.score:.3f}  (result {row + 1} of {len(self.hits)})")
        self._load()

    def _load(self) -> None:
        found = self.store.pixmap(self.hit.path, PREVIEW_BUCKET)
        if isinstance(found, Broken):
            self._pixmap = None
            self.picture.setText(found.reason)
        elif found is not None:
            self._pixmap = found
            self._fit()
        else:
            self._pixmap = None
            self.picture.setText("Loading…")

    def _on_ready(self, path: Path) -> None:
        if path == self.hit.path:
            self._load()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        ratio = self.devicePixelRatioF()
        scaled = self._pixmap.scaled(
            self.picture.size() * ratio,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        scaled.setDevicePixelRatio(ratio)
        self.picture.setPixmap(scaled)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Escape):
            self.reject()
        elif key == Qt.Key.Key_Right and self.row + 1 < len(self.hits):
            self._show_row(self.row + 1)
        elif key == Qt.Key.Key_Left and self.row > 0:
            self._show_row(self.row - 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_requested.emit(self.hit)
        else:
            super().keyPressEvent(event)
