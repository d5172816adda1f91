"""The indexing part of the status bar: progress, speed, time left, Pause/Resume, failures."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from photofind.core.humanize import photo_rate, plural, time_left
from photofind.core.indexer import IndexProgress


def describe(progress: IndexProgress, paused: bool) -> str:
    if progress.phase == "scanning":
        return "Paused before looking for new photos" if paused else "Looking for new photos…"
    if progress.phase == "indexing":
        where = f"{progress.done:,} of {progress.total:,}"
        if paused:
            return f"Indexing paused at {where}"
        parts = [f"Indexing {where}"]
        if progress.images_per_s > 0:
            parts.append(photo_rate(progress.images_per_s))
        if eta := time_left(progress.eta_s):
            parts.append(eta)
        return " · ".join(parts)
    if progress.phase == "cancelled":
        return "Indexing stopped; it goes on at the next start"
    if progress.phase == "failed":
        return "Indexing stopped by an error (reported)"
    return ""


class IndexStatus(QWidget):
    pause_toggled = Signal(bool)  # True: pause
    failures_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(8)
        layout.addStretch(1)  # spare width goes left of the text, not between its parts
        self.label = QLabel(self)
        self.label.setObjectName("indexLabel")
        layout.addWidget(self.label)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(140)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        layout.addWidget(self.bar)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setObjectName("pauseIndexing")
        self.pause_button.setFlat(True)
        self.pause_button.setToolTip("Pause indexing; searching keeps working")
        self.pause_button.clicked.connect(
            lambda: self.pause_toggled.emit(self.pause_button.text() == "Pause")
        )
        layout.addWidget(self.pause_button)
        self.failures_button = QPushButton(self)
        self.failures_button.setObjectName("showFailures")
        self.failures_button.setFlat(True)
        self.failures_button.setToolTip("Show the files that could not be indexed, and why")
        self.failures_button.clicked.connect(self.failures_requested)
        layout.addWidget(self.failures_button)
        self._problem: str | None = None  # what stopped the last run (the user's system)
        self.show_idle(0, 0)

    def show_problem(self, words: str | None, sentence: str | None) -> None:
        """What stopped the last run, shown until the next one starts (``sentence`` in the
        tooltip); None takes it away."""
        self._problem = words
        self.label.setToolTip(sentence or "")
        if words:
            self._set_text(words)
            self.bar.hide()
            self.pause_button.hide()

    def show_progress(self, progress: IndexProgress, paused: bool) -> None:
        active = progress.phase in ("scanning", "indexing")
        if active and self._problem:
            self.show_problem(None, None)  # a new run: it may get through
        self._set_text(self._problem or describe(progress, paused))
        self.bar.setVisible(active)
        self.pause_button.setVisible(active)
        self.pause_button.setText("Resume" if paused else "Pause")
        if progress.phase == "scanning":
            self.bar.setRange(0, 0)  # busy
        elif progress.phase == "indexing":
            self.bar.setRange(0, max(1, progress.total))
            self.bar.setValue(progress.done)

    def _set_text(self, text: str) -> None:
        self.label.setText(text)
        # The status bar shrinks its permanent widgets to make room for messages: never this.
        self.label.setMinimumWidth(0)  # (a label's size hint includes its minimum width)
        self.label.setMinimumWidth(self.label.sizeHint().width())

    def show_idle(self, photos: int, failed: int) -> None:
        self._set_text(self._problem or f"{plural(photos, 'photo', grouped=True)} indexed")
        self.bar.hide()
        self.pause_button.hide()
        self.set_failed(failed)

    def set_failed(self, failed: int) -> None:
        self.failures_button.setText(f"{failed:,} could not be read")
        self.failures_button.setVisible(failed > 0)
