"""The strip above the grid: how many results, sort order, score threshold, zoom."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QWidget

from photofind.core.humanize import plural
from photofind.gui.results.view import MAX_THUMBNAIL, MIN_THUMBNAIL, ZOOM_STEP

SORTS = (("relevance", "Best match first"), ("date", "Newest first"))
SCORE_STEPS = 100  # the threshold slider moves in steps of 0.01


def summary(shown: int, hidden: int, elapsed_s: float | None) -> str:
    words = plural(shown, "photo", grouped=True)
    if hidden:
        words += f" · {plural(hidden, 'weaker match', grouped=True, many='weaker matches')} hidden"
    if elapsed_s is not None:
        words += f" · {elapsed_s * 1000:.0f} ms"
    return words


class ResultsToolbar(QWidget):
    sort_changed = Signal(str)
    min_score_changed = Signal(float)
    zoom_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 0, 10, 0)
        layout.setSpacing(8)
        self.summary = QLabel(self)
        self.summary.setObjectName("resultSummary")
        layout.addWidget(self.summary, 1)

        layout.addWidget(QLabel("Sort:", self))
        self.sort = QComboBox(self)
        for key, label in SORTS:
            self.sort.addItem(label, key)
        self.sort.setToolTip("Order of the results")
        self.sort.currentIndexChanged.connect(
            lambda i: self.sort_changed.emit(self.sort.itemData(i))
        )
        layout.addWidget(self.sort)

        layout.addSpacing(8)
        self.score_label = QLabel(self)
        layout.addWidget(self.score_label)
        self.min_score = QSlider(Qt.Orientation.Horizontal, self)
        self.min_score.setRange(0, SCORE_STEPS)
        self.min_score.setFixedWidth(110)
        self.min_score.setToolTip("Hide results that match less well than this score")
        self.min_score.setAccessibleName("Minimum score")
        self.min_score.valueChanged.connect(self._on_score)
        layout.addWidget(self.min_score)

        layout.addSpacing(8)
        small = QLabel("▫", self)
        small.setToolTip("Smaller thumbnails (Ctrl+-)")
        layout.addWidget(small)
        self.zoom = QSlider(Qt.Orientation.Horizontal, self)
        self.zoom.setRange(MIN_THUMBNAIL, MAX_THUMBNAIL)
        self.zoom.setSingleStep(ZOOM_STEP // 2)
        self.zoom.setPageStep(ZOOM_STEP)
        self.zoom.setFixedWidth(110)
        self.zoom.setToolTip("Thumbnail size (Ctrl+plus, Ctrl+minus, Ctrl+wheel)")
        self.zoom.setAccessibleName("Thumbnail size")
        self.zoom.valueChanged.connect(self.zoom_changed)
        layout.addWidget(self.zoom)
        large = QLabel("◻", self)
        large.setToolTip("Larger thumbnails (Ctrl++)")
        layout.addWidget(large)
        self._on_score(0)

    def set_values(self, *, sort: str, min_score: float, zoom: int) -> None:
        index = self.sort.findData(sort)
        self.sort.setCurrentIndex(max(0, index))
        self.min_score.setValue(round(min_score * SCORE_STEPS))
        self.zoom.setValue(zoom)

    def set_sort(self, mode: str) -> None:
        self.sort.setCurrentIndex(max(0, self.sort.findData(mode)))

    def set_min_score(self, value: float) -> None:
        self.min_score.setValue(round(value * SCORE_STEPS))

    def step_zoom(self, direction: int) -> None:
        """One step larger (+1) or smaller (-1), within the slider's range."""
        size = self.zoom.value() + direction * ZOOM_STEP
        self.zoom.setValue(max(MIN_THUMBNAIL, min(MAX_THUMBNAIL, size)))

    def show_searching(self) -> None:
        self.summary.setText("Searching…")

    def set_summary(self, shown: int, hidden: int, elapsed_s: float | None) -> None:
        self.summary.setText(summary(shown, hidden, elapsed_s))

    def _on_score(self, value: int) -> None:
        score = value / SCORE_STEPS
        self.score_label.setText(f"Min. score {score:.2f}")
        self.min_score_changed.emit(score)
