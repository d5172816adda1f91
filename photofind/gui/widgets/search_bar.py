"""The search bar: a text field with the query images as removable chips beside it.

Text and images together make one query (the photo + "at night"). The bar only says what
changed; the query controller decides when to search (debounced typing, Enter at once).
Esc clears text and images; Backspace in an empty field removes the last chip.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from photofind.core.pacing import foreground
from photofind.gui.query_images import QueryImage, mime_has_images
from photofind.gui.widgets.query_chips import OperatorChips

# How long a key keeps background work waiting: shorter than the field's debounce
# (querying.DEBOUNCE_MS), so that the search it starts never waits for it.
TYPING_S = 0.2

PLACEHOLDER = "Describe a photo, or drop one here"
CHIP_PICTURE = 26


class ImageChip(QFrame):
    """One query image: its picture, its name, and a button that removes it."""

    remove_requested = Signal(QFrame)  # the chip itself

    def __init__(self, image: QueryImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = image
        self.setObjectName("chip")
        self.setToolTip(image.label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(3, 2, 2, 2)
        layout.setSpacing(4)
        picture = QLabel(self)
        picture.setFixedSize(CHIP_PICTURE, CHIP_PICTURE)
        if not image.preview.isNull():
            pix = QPixmap.fromImage(image.preview)
            ratio = self.devicePixelRatioF()
            pix = pix.scaled(
                QSize(CHIP_PICTURE, CHIP_PICTURE) * ratio,
                Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                Qt.TransformationMode.SmoothTransformation,
            )
            pix.setDevicePixelRatio(ratio)
            picture.setPixmap(pix)
        picture.setScaledContents(False)
        layout.addWidget(picture)
        name = QLabel(self)
        name.setText(name.fontMetrics().elidedText(image.label, Qt.TextElideMode.ElideMiddle, 110))
        layout.addWidget(name)
        close = QToolButton(self)
        close.setObjectName("chipRemove")
        close.setText("×")
        close.setToolTip(f"Remove {image.label} from the search")
        close.setAutoRaise(True)
        close.setCursor(Qt.CursorShape.ArrowCursor)
        close.clicked.connect(lambda: self.remove_requested.emit(self))
        layout.addWidget(close)
        self.remove_button = close


class SearchField(QLineEdit):
    """The text part; hands pasted or dropped images to the bar instead of inserting text."""

    images_offered = Signal(QMimeData)
    escape_pressed = Signal()
    backspace_at_start = Signal()
    down_pressed = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Background work (the index run's walk, the collections' vectors) waits while a
        # query is typed; loading the text model for it does not.
        foreground.touch(TYPING_S, typing=True)
        if event.matches(QKeySequence.StandardKey.Paste):
            mime = QGuiApplication.clipboard().mimeData()
            if mime is not None and mime_has_images(mime):
                self.images_offered.emit(mime)
                return
        if event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        if event.key() == Qt.Key.Key_Down:
            self.down_pressed.emit()
            return
        if event.key() == Qt.Key.Key_Backspace and not self.text() and not self.hasSelectedText():
            self.backspace_at_start.emit()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if mime_has_images(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if mime_has_images(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        if mime_has_images(event.mimeData()):
            event.acceptProposedAction()
            adding = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.images_offered.emit(_copy(event.mimeData(), adding=adding))
        else:
            super().dropEvent(event)


ADD_MARK = "application/x-photofind-add"  # on a drop's data: add the image (Ctrl held)


def _copy(mime: QMimeData, *, adding: bool = False) -> QMimeData:
    """Drop data lives only as long as the event; keep what is needed."""
    copy = QMimeData()
    if adding:
        copy.setData(ADD_MARK, b"1")
    for fmt in mime.formats():
        copy.setData(fmt, mime.data(fmt))
    if mime.hasImage():
        copy.setImageData(mime.imageData())
    if mime.hasUrls():
        copy.setUrls(mime.urls())
    return copy


class SearchBar(QFrame):
    text_edited = Signal(str)  # typed: search after a pause
    submitted = Signal()  # Enter: search now
    images_changed = Signal()  # a chip added or removed: search now
    operators_changed = Signal()  # an operator chip removed or turned into words: search now
    images_offered = Signal(QMimeData)  # pasted or dropped on the field
    cleared = Signal()  # Esc
    to_results = Signal()  # Down or Enter: on to the photos
    photo_requested = Signal()  # the "Search with a photo" button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.setSpacing(6)
        glass = QLabel(self)
        glass.setPixmap(_magnifier(18, self.palette().placeholderText().color()))
        layout.addWidget(glass)
        self._chips = QHBoxLayout()
        self._chips.setSpacing(4)
        layout.addLayout(self._chips)
        self.operators = OperatorChips(self)  # -sand, type:png, after:2019 ... as chips
        layout.addWidget(self.operators)
        self.field = SearchField(self)
        self.operators.attach(self.field)
        self.operators.changed.connect(self.operators_changed)
        self.operators.changed.connect(self._update_clear_button)
        self.field.setObjectName("searchField")
        self.field.setPlaceholderText(PLACEHOLDER)
        self.field.setFrame(False)
        self.field.setClearButtonEnabled(False)
        self.field.setAccessibleName("Search")
        layout.addWidget(self.field, 1)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("×")
        self.clear_button.setToolTip("Clear the search (Esc)")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear)
        layout.addWidget(self.clear_button)
        self.photo_button = QToolButton(self)
        self.photo_button.setText("Photo…")
        self.photo_button.setToolTip("Search with a photo from your disk (Ctrl+Shift+P)")
        self.photo_button.setAutoRaise(True)
        self.photo_button.setAccessibleName("Search with a photo")
        self.photo_button.clicked.connect(self.photo_requested)
        layout.addWidget(self.photo_button)
        self.field.textEdited.connect(self.text_edited)
        self.field.textChanged.connect(self._update_clear_button)
        self.field.returnPressed.connect(self.operators.chip_all)  # before the search
        self.field.returnPressed.connect(self.submitted)
        self.field.returnPressed.connect(self.to_results)
        self.field.down_pressed.connect(self.to_results)
        self.field.escape_pressed.connect(self.clear)
        self.field.backspace_at_start.connect(self._remove_last_chip)
        self.field.images_offered.connect(self.images_offered)
        self.setFocusProxy(self.field)
        self._update_clear_button()

    # -- contents -------------------------------------------------------------------------

    def text(self) -> str:
        return self.field.text()

    def query_text(self) -> str:
        """What is searched: the operator chips' text, then the field's."""
        return " ".join(p for p in (self.operators.text(), self.field.text()) if p)

    def set_text(self, text: str) -> None:
        self.operators.clear()
        self.field.setText(text)

    def focus_all(self) -> None:
        """Focus the field with its text selected, so that typing replaces it."""
        self.setFocus()
        self.field.selectAll()

    def paste_text(self) -> None:
        """Paste the clipboard's text into the field (images go through images_offered)."""
        self.field.paste()
        self.setFocus()

    def clear_text(self) -> None:
        """Forget the text, keep the images (they are about to be replaced)."""
        self.field.clear()

    def images(self) -> list[QueryImage]:
        return [chip.image for chip in self.chips()]

    def chips(self) -> list[ImageChip]:
        return [
            w
            for i in range(self._chips.count())
            if isinstance(w := self._chips.itemAt(i).widget(), ImageChip)
        ]

    def add_images(self, images: list[QueryImage], *, replace: bool = False) -> None:
        if replace:
            for chip in self.chips():
                self._drop_chip(chip)
        for image in images:
            chip = ImageChip(image, self)
            chip.remove_requested.connect(self.remove_chip)
            self._chips.addWidget(chip)
        if images or replace:
            self._update_clear_button()
            self.images_changed.emit()

    def remove_chip(self, chip: ImageChip) -> None:
        self._drop_chip(chip)
        self._update_clear_button()
        self.images_changed.emit()
        self.field.setFocus()

    def _drop_chip(self, chip: ImageChip) -> None:
        self._chips.removeWidget(chip)
        chip.hide()
        chip.deleteLater()

    def _remove_last_chip(self) -> None:
        if self.operators.edit_last():
            return  # the operator chip nearest the field is back in it, to edit
        chips = self.chips()
        if chips:
            self.remove_chip(chips[-1])

    def clear(self) -> None:
        """Esc: forget the text and the images."""
        had_chips = bool(self.chips())
        for chip in self.chips():
            self._drop_chip(chip)
        self.operators.clear()
        self.field.clear()
        self._update_clear_button()
        if had_chips:
            self.images_changed.emit()
        self.cleared.emit()

    def _update_clear_button(self) -> None:
        visible = self.field.text() or self.chips() or self.operators.chips()
        self.clear_button.setVisible(bool(visible))


def _magnifier(side: int, colour) -> QPixmap:
    pix = QPixmap(side, side)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = painter.pen()
    pen.setColor(colour)
    pen.setWidthF(side / 9)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    r = side * 0.3
    c = side * 0.42
    painter.drawEllipse(int(c - r), int(c - r), int(2 * r), int(2 * r))
    painter.drawLine(int(c + r * 0.7), int(c + r * 0.7), int(side * 0.88), int(side * 0.88))
    painter.end()
    return pix


def magnifier_icon(colour) -> QIcon:
    return QIcon(_magnifier(32, colour))
