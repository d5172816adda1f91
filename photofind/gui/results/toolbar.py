"""The strip above the grid: how many results, sort order, score threshold, zoom."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QWidget

from photofind.gui.widgets.results_view import MAX_THUMBNAIL, MIN_THUMBNAIL, ZOOM_STEP

SORTS = (("relevance", "Best match first"), ("date", "Newest first"))
SCORE_STEPS = 100  # the threshold slider moves in steps of 0.01


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

    def set_summary(self, shown: int, hidden: int, elapsed_s: float | None) -> None:
        text = f"{shown:,} photo{'s' if shown != 1 else ''}"
        if hidden:
            text += f" · {hidden:,} weaker match{'es' if hidden != 1 else ''} hidden"
        if elapsed_s is not None:
            text += f" · {elapsed_s * 1000:.0f} ms"
        self.summary.setText(text)

    def _on_score(self, value: int) -> None:
        score = value / SCORE_STEPS
        self.score_label.setText(f"Min. score {score:.2f}")
        self.min_score_changed.emit(score)
