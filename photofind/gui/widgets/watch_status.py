"""The watching part of the status bar: "Watching", and which folders are polled and why."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QLabel, QWidget

ABOUT = (
    "photofind sees photos added, changed, moved or deleted in your library folders and "
    "indexes them by itself."
)


class WatchStatus(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("watchStatus")
        self.hide()

    def show_watching(self, text: str, polled: list[Path], notes: list[str]) -> None:
        """``text`` empty: not watching (hidden). ``polled``: folders checked now and then
        instead of watched; ``notes``: why (a network drive, the system's limit)."""
        self.setText(text)
        self.setVisible(bool(text))
        lines = [ABOUT]
        if polled:
            lines.append("Checked now and then rather than watched:")
            lines += [f"• {html.escape(str(folder))}" for folder in polled]
        lines += [html.escape(note) for note in notes]
        self.setToolTip("<br>".join(lines))
        # The status bar shrinks permanent widgets for its messages: never below this text.
        self.setMinimumWidth(0)
        self.setMinimumWidth(self.sizeHint().width())
