"""The viewer's side panel: what the photo is, where it lives, and what it looks like (its
top labels from the built-in collections, when the window gives a way to work them out)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from photofind.core.classify import LabelProbability
from photofind.core.humanize import binary_size
from photofind.gui.results.model import format_taken
from photofind.gui.viewer.items import ViewerItem

PANEL_WIDTH = 240  # room for a 30-character folder name per line; the picture keeps the rest
FIELDS = (("name", "Name"), ("folder", "Folder"), ("taken", "Taken"), ("size", "Size"),
          ("dimensions", "Dimensions"), ("camera", "Camera"), ("score", "Score"),
          ("labels", "Looks like"))  # fmt: skip


def taken_text(item: ViewerItem) -> str:
    text = format_taken(item.taken_at)
    if item.taken_at is not None and item.date_source == "file":
        return f"{text} (the file's date: the photo records none)"
    return text


class DetailsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewerDetails")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFixedWidth(PANEL_WIDTH)
        self.form = QFormLayout(self)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.form.setContentsMargins(12, 12, 12, 12)
        self.values: dict[str, QLabel] = {}
        for key, title in FIELDS:
            value = QLabel(self)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            value.setObjectName(f"detail_{key}")
            label = QLabel(f"<b>{title}</b>", self)
            self.form.addRow(label, value)
            self.values[key] = value

    def show_item(self, item: ViewerItem) -> None:
        # A name that is not valid UTF-8 shows its undecodable bytes as replacement marks.
        readable = os.fsencode(item.path).decode("utf-8", "replace")
        folder, _, name = readable.rpartition(os.sep)
        size = binary_size(item.size) if item.size is not None else None
        dimensions = f"{item.width} × {item.height}" if item.width and item.height else None
        score = f"{item.score:.3f}" if item.score is not None else None
        for key, text in (("name", name), ("folder", folder or os.sep), ("taken", taken_text(item)),
                          ("size", size), ("dimensions", dimensions), ("camera", item.camera),
                          ("score", score), ("labels", None)):  # fmt: skip
            self._set(key, text)

    def show_labels(self, labels: Sequence[LabelProbability] | None) -> None:
        """The photo's top labels from the built-in collections, each with its probability;
        None while they are being worked out."""
        if labels is None:
            self._set("labels", "…")
            return
        lines = [f"{label.label}  {label.probability:.0%}" for label in labels]
        self._set("labels", "\n".join(lines) or None)

    def _set(self, key: str, text: str | None) -> None:
        value = self.values[key]
        value.setText(text or "")
        self.form.setRowVisible(value, text is not None)
