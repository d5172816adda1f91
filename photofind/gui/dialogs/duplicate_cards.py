"""One duplicate group as the review shows it: the photos side by side, each with its
thumbnail, resolution, type, size and date, the one to keep marked and changeable, and
"Move the others to trash" for the group."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photofind.core.duplicates import DuplicateGroup, DuplicatePhoto, Kind, keep_order
from photofind.core.humanize import binary_size, plural
from photofind.gui.results.model import format_taken
from photofind.gui.results.pixmaps import Broken, ThumbnailStore

THUMB_SIDE = 150  # px: the differences a person checks (crop, blur) show at this size
CARD_WIDTH = THUMB_SIDE + 24

CARD_STYLE = """
#duplicateCard { border: 2px solid transparent; border-radius: 8px; }
#duplicateCard[keep="true"] { border-color: palette(highlight); background: palette(alternate-base); }
#duplicateFate, #duplicateFolder { color: palette(mid); }
#duplicateFate[keep="true"] { color: palette(highlight); font-weight: bold; }
#duplicateGroup { border-bottom: 1px solid palette(mid); }
"""


@dataclass
class ReviewGroup:
    """A group as the person is reviewing it: its photos (in the core's keep order) and
    the one chosen to keep, the core's suggestion until changed."""

    kind: Kind
    photos: list[DuplicatePhoto]
    keep_id: int
    suggested_id: int = field(default=0)

    @classmethod
    def of(cls, group: DuplicateGroup) -> ReviewGroup:
        return cls(group.kind, list(group.photos), group.keep.id, group.keep.id)

    @property
    def keep(self) -> DuplicatePhoto:
        return next(p for p in self.photos if p.id == self.keep_id)

    @property
    def others(self) -> list[DuplicatePhoto]:
        return [p for p in self.photos if p.id != self.keep_id]

    def as_group(self) -> DuplicateGroup:
        """The core's group with the chosen photo first (the one trash_others keeps)."""
        return DuplicateGroup(self.kind, (self.keep, *self.others))

    def forget(self, gone: set[int]) -> bool:
        """Drop the photos that left the library; False when fewer than two are left.
        When the chosen one left, the best of the rest is suggested."""
        self.photos = [p for p in self.photos if p.id not in gone]
        if len(self.photos) < 2:
            return False
        if self.keep_id in gone:
            self.keep_id = self.suggested_id = min(self.photos, key=keep_order).id
        return True


def photo_facts(photo: DuplicatePhoto, taken: tuple[float | None, str | None] | None) -> str:
    lines = [f"{photo.width:,} × {photo.height:,}" if photo.pixels else "Size unknown"]
    lines.append(f"{photo.format or 'No type'} · {binary_size(photo.size)}")
    taken_at, source = taken or (None, None)
    date = format_taken(taken_at) if taken_at is not None else "No date"
    lines.append(date)
    if taken_at is not None and source == "file":
        lines.append("(the file's date)")  # the photo holds none: a copy's may be newer
    return "\n".join(lines)


class PhotoCard(QFrame):
    def __init__(self, photo: DuplicatePhoto, facts: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicateCard")
        self.photo = photo
        self.setFixedWidth(CARD_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        self.picture = QLabel(self)
        self.picture.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.picture)
        self.keep_button = QRadioButton("Keep", self)
        layout.addWidget(self.keep_button)
        self.fate = QLabel(self)
        self.fate.setObjectName("duplicateFate")
        layout.addWidget(self.fate)
        self.facts = QLabel(facts, self)
        layout.addWidget(self.facts)
        # Exact copies share their name: the folder tells them apart.
        metrics = self.fontMetrics()
        name = QLabel(metrics.elidedText(photo.path.name, Qt.TextElideMode.ElideMiddle,
                                         THUMB_SIDE), self)  # fmt: skip
        layout.addWidget(name)
        folder = QLabel(metrics.elidedText(str(photo.path.parent), Qt.TextElideMode.ElideLeft,
                                           THUMB_SIDE), self)  # fmt: skip
        folder.setObjectName("duplicateFolder")
        layout.addWidget(folder)
        layout.addStretch(1)
        self.setToolTip(str(photo.path))

    def set_keep(self, keep: bool, suggested: bool) -> None:
        self.keep_button.setChecked(keep)
        if keep:
            self.fate.setText("Stays (suggested)" if suggested else "Stays")
        else:
            self.fate.setText("Goes to the trash")
        for widget in (self, self.fate):
            widget.setProperty("keep", keep)
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def show_thumbnail(self, thumbnail: QPixmap | Broken | None) -> None:
        if isinstance(thumbnail, QPixmap):
            self.picture.setPixmap(
                thumbnail.scaled(
                    THUMB_SIDE,
                    THUMB_SIDE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )  # fmt: skip
            )
            self.picture.setToolTip("")
        elif isinstance(thumbnail, Broken):
            self.picture.setText("No preview")
            self.picture.setToolTip(thumbnail.reason)


class GroupRow(QFrame):
    """A group: a line saying what it is, its photos side by side, its trash button."""

    trash_requested = Signal(object)  # the ReviewGroup
    keep_changed = Signal()

    def __init__(self, group: ReviewGroup, number: int, taken: dict, thumbnails: ThumbnailStore,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("duplicateGroup")
        self.group = group
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 10)
        top = QHBoxLayout()
        self.title = QLabel(self)
        top.addWidget(self.title, 1)
        self.trash_button = QPushButton("Move the others to trash", self)
        self.trash_button.clicked.connect(lambda: self.trash_requested.emit(self.group))
        top.addWidget(self.trash_button)
        layout.addLayout(top)
        strip = QWidget(self)
        cards = QHBoxLayout(strip)
        cards.setContentsMargins(0, 0, 0, 0)
        cards.setSpacing(6)
        self.cards: list[PhotoCard] = []
        self.choice = QButtonGroup(self)
        for photo in group.photos:
            card = PhotoCard(photo, photo_facts(photo, taken.get(photo.id)), strip)
            self.choice.addButton(card.keep_button, photo.id)
            cards.addWidget(card)
            self.cards.append(card)
            card.show_thumbnail(thumbnails.pixmap(photo.path, THUMB_SIDE))
        cards.addStretch(1)
        scroller = QScrollArea(self)
        scroller.setWidget(strip)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        scroller.setFixedHeight(
            strip.sizeHint().height() + scroller.horizontalScrollBar().sizeHint().height()
        )
        layout.addWidget(scroller)
        self.number = number
        self.choice.idClicked.connect(self._on_keep)
        self.refresh()

    def refresh(self) -> None:
        group = self.group
        freed = sum(p.size for p in group.others)
        self.title.setText(
            f"<b>{self.number:,}.</b> {plural(len(group.photos), 'photo')} · "
            f"{binary_size(freed)} to free"
        )
        for card in self.cards:
            card.set_keep(card.photo.id == group.keep_id, card.photo.id == group.suggested_id)

    def _on_keep(self, photo_id: int) -> None:
        if photo_id != self.group.keep_id:
            self.group.keep_id = photo_id
            self.refresh()
            self.keep_changed.emit()

    def cards_of(self, path) -> list[PhotoCard]:
        return [card for card in self.cards if card.photo.path == path]
