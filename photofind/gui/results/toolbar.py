"""The strip above the grid: how many photos match, the order of the matches, zoom.

There is no score threshold: which photos match is decided per query
(:mod:`photofind.core.cutoff`), and no one number could do it, since 0.9 is the best score
of one query and noise for another, and every model has its own scale.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from photofind.core.humanize import plural
from photofind.gui.results.view import MAX_THUMBNAIL, MIN_THUMBNAIL, ZOOM_STEP

SORTS = (("relevance", "Best match first"), ("date", "Newest first"), ("oldest", "Oldest first"))


def summary(matches: int, shown: int, closest: int, scored: bool, elapsed_s: float | None) -> str:
    """``matches`` found, ``shown`` of them on screen, ``closest`` others below the divider."""
    if scored:
        words = plural(matches, "match", grouped=True, many="matches")
    else:
        words = plural(matches, "photo", grouped=True)
    if shown < matches:
        words += f" (the first {shown:,} shown)"
    if closest and not matches:
        words = f"No good matches · the closest {plural(closest, 'photo', grouped=True)}"
    if elapsed_s is not None:
        words += f" · {elapsed_s * 1000:.0f} ms"
    return words


def copies_note(copies: int) -> str:
    return (f"Counts pictures: {plural(copies, 'more photo', grouped=True)} "
            f"{'is a copy' if copies == 1 else 'are copies'} of a picture counted once "
            "(the same picture in another size or format), shown in its cell with a count.")  # fmt: skip


class ResultsToolbar(QWidget):
    sort_changed = Signal(str)
    zoom_changed = Signal(int)
    held_requested = Signal()  # show the results a quiet refresh held back

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 0, 10, 0)
        layout.setSpacing(8)
        self.summary = QLabel(self)
        self.summary.setObjectName("resultSummary")
        layout.addWidget(self.summary, 1)
        self.held = QPushButton(self)
        self.held.setObjectName("newMatches")
        self.held.setToolTip("Indexing found more; show them (the grid moves)")
        self.held.clicked.connect(self.held_requested)
        self.held.hide()
        layout.addWidget(self.held)

        layout.addWidget(QLabel("Sort:", self))
        self.sort = QComboBox(self)
        for key, label in SORTS:
            self.sort.addItem(label, key)
        self.sort.setToolTip("Order of the matches; the other photos stay below them, best first")
        self.sort.currentIndexChanged.connect(
            lambda i: self.sort_changed.emit(self.sort.itemData(i))
        )
        layout.addWidget(self.sort)

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

    def set_values(self, *, sort: str, zoom: int) -> None:
        index = self.sort.findData(sort)
        self.sort.setCurrentIndex(max(0, index))
        self.zoom.setValue(zoom)

    def set_sort(self, mode: str) -> None:
        self.sort.setCurrentIndex(max(0, self.sort.findData(mode)))

    def step_zoom(self, direction: int) -> None:
        """One step larger (+1) or smaller (-1), within the slider's range."""
        size = self.zoom.value() + direction * ZOOM_STEP
        self.zoom.setValue(max(MIN_THUMBNAIL, min(MAX_THUMBNAIL, size)))

    def show_held(self, new_matches: int | None) -> None:
        """The button for results held back (``new_matches`` of them new); None hides it."""
        self.held.setVisible(new_matches is not None)
        if new_matches:
            self.held.setText(plural(new_matches, "new match", grouped=True, many="new matches"))
        elif new_matches is not None:
            self.held.setText("Show updated results")

    def show_searching(self) -> None:
        self.summary.setText("Searching…")

    def set_summary(
        self, matches: int, shown: int, closest: int, scored: bool, elapsed_s: float | None,
        copies: int = 0,
    ) -> None:  # fmt: skip
        """``copies``: matching photos not counted, being copies of a picture counted."""
        self.summary.setText(summary(matches, shown, closest, scored, elapsed_s))
        self.summary.setToolTip(copies_note(copies) if copies else "")
