"""photofind's own photo viewer: one photo at a time, stepping through the results or the
browse order it was opened on.

Keys: Left/Right (also Page Up/Down) step, Home/End go to the ends; Space closes, Esc
closes (or first leaves full screen); F11 full screen; 0 fits, 1 shows 100%, +/- zoom (as
does the wheel); I shows or hides the details. No child takes the keyboard focus, so no key
ever presses a button instead.

The window asks its loader for the current photo and then its neighbours, so stepping to
them shows a picture that is already decoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QMoveEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photofind.core.pacing import foreground
from photofind.gui.blur import SensitiveBlur, blurred_image
from photofind.gui.viewer.canvas import PictureCanvas
from photofind.gui.viewer.details import DetailsPanel
from photofind.gui.viewer.items import ViewerItem
from photofind.gui.viewer.loader import Picture, PictureLoader

if TYPE_CHECKING:
    from photofind.gui.photo_labels import LabelsLoader

ZOOM_STEP = 1.25
DEFAULT_SIZE = QSize(1100, 760)
AHEAD, BEHIND = 2, 1  # neighbours decoded ahead in the direction of travel, and behind


def _button(parent: QWidget, text: str, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setAutoRaise(True)
    return button


class PhotoViewer(QWidget):
    current_changed = Signal(int)  # the row now shown
    closed = Signal(int)  # the row shown last, so the grid can select it

    def __init__(self, items: Sequence[ViewerItem], row: int = 0, *,
                 loader: PictureLoader | None = None, parent: QWidget | None = None,
                 blur: SensitiveBlur | None = None, labels: LabelsLoader | None = None) -> None:  # fmt: skip
        """``blur``: sensitive photos are shown blurred until clicked; ``labels``: the details
        show each photo's top labels."""
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("viewer")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.items = items
        self.row = max(0, min(row, len(items) - 1))
        self._direction = 1
        self._owns_loader = loader is None
        self.loader = loader or PictureLoader(self._screen_box(), self)
        self.loader.loaded.connect(self._on_loaded)
        self.blur, self.labels = blur, labels
        self._build()
        if blur is not None:
            blur.watch(self.canvas, lambda _pos: self.item.photo_id if len(self.items) else None)
            blur.changed.connect(self._show_cached)
        if labels is not None:
            labels.ready.connect(self._on_labels)
        self.resize(self._default_size())
        self.show_row(self.row)

    def _build(self) -> None:
        self.canvas = PictureCanvas(self)
        self.details = DetailsPanel(self)
        # Text arrows, not the style's icons: those are drawn black, lost in a dark theme.
        self.previous_button = _button(self, "◀", "Previous photo (Left)")
        self.next_button = _button(self, "▶", "Next photo (Right)")
        self.fit_button = _button(self, "Fit", "Fit the photo to the window (0)")
        self.actual_button = _button(self, "100%", "One photo pixel per screen pixel (1)")
        self.details_button = _button(self, "Details", "Show or hide the details (I)")
        self.details_button.setCheckable(True)
        self.details_button.setChecked(True)
        self.full_screen_button = _button(self, "Full screen", "Full screen (F11)")
        self.position = QLabel(self)
        self.position.setContentsMargins(8, 0, 8, 0)  # apart from the arrows around it
        self.zoom_label = QLabel(self)
        self.sensitive_note = QLabel("A sensitive photo: click it to show it", self)
        self.sensitive_note.setObjectName("sensitiveNote")
        self.sensitive_note.hide()
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.fit_button.clicked.connect(self.canvas.set_fit)
        self.actual_button.clicked.connect(self.show_actual_size)
        self.details_button.toggled.connect(self.details.setVisible)
        self.full_screen_button.clicked.connect(self.toggle_full_screen)
        self.canvas.zoom_changed.connect(self._on_zoom)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        for widget in (self.previous_button, self.position, self.next_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.sensitive_note)
        bar.addStretch(1)
        for widget in (self.zoom_label, self.fit_button, self.actual_button,
                       self.details_button, self.full_screen_button):  # fmt: skip
            bar.addWidget(widget)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.canvas, 1)
        body.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addLayout(body, 1)

    def _screen_box(self) -> tuple[int, int]:
        screen = self.screen()
        size = screen.size() * screen.devicePixelRatio()
        return size.width(), size.height()

    def _default_size(self) -> QSize:
        # Never larger than the screen the viewer opens on (a 2x laptop screen is small).
        available = self.screen().availableGeometry().size() * 0.9
        return DEFAULT_SIZE.boundedTo(available)

    # -- moving ---------------------------------------------------------------------------

    @property
    def item(self) -> ViewerItem:
        return self.items[self.row]

    def step(self, delta: int) -> None:
        foreground.touch()  # the next photo's decode and paint before background work
        self._direction = 1 if delta >= 0 else -1
        self.show_row(self.row + delta)

    def show_row(self, row: int) -> None:
        if not len(self.items):
            self.canvas.set_picture(None, (0, 0), "No photos to show.")
            return
        row = max(0, min(row, len(self.items) - 1))
        changed = row != self.row
        self.row = row
        item = self.item
        self.setWindowTitle(f"{item.path.name} – photofind")
        self.position.setText(f"{row + 1:,} of {len(self.items):,}")
        self.previous_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < len(self.items) - 1)
        self.details.show_item(item)
        if self.labels is not None and item.photo_id is not None:
            self.details.show_labels(None)
            self.labels.request(item.photo_id)
        picture = self.loader.cached(item.path)
        if picture is not None:
            self._show(picture)
        else:
            self.canvas.set_picture(None, (item.width or 0, item.height or 0), "Loading…")
        self._want()
        if changed:
            self.current_changed.emit(row)

    def _neighbours(self) -> list[int]:
        ahead = [self.row + self._direction * i for i in range(1, AHEAD + 1)]
        behind = [self.row - self._direction * i for i in range(1, BEHIND + 1)]
        return [r for r in (*ahead[:1], *behind, *ahead[1:]) if 0 <= r < len(self.items)]

    def _want(self) -> None:
        keys = [(self.item.path, False)]
        if self._needs_full():
            keys.insert(0, (self.item.path, True))
        keys += [(self.items[r].path, False) for r in self._neighbours()]
        self.loader.want(keys)

    def _needs_full(self) -> bool:
        """Zoomed past what the screen-sized decode holds: the original's pixels are needed."""
        image, original = self.canvas.image, self.canvas.original
        if image is None or not original[0] or self.loader.cached(self.item.path, full=True):
            return False
        return self.canvas.zoom > image.width() / original[0] + 1e-6

    def _show(self, picture: Picture, *, keep_view: bool | None = None) -> None:
        if keep_view is None:
            keep_view = self.canvas.image is not None and picture.full
        image = picture.image
        hidden = image is not None and self.blur is not None and self.blur.hides(self.item.photo_id)
        self.sensitive_note.setVisible(hidden)
        if hidden:
            image = blurred_image(image)
        self.canvas.set_picture(image, picture.original, picture.error, keep_view=keep_view)

    def _show_cached(self) -> None:
        """What is blurred changed (a click showed this photo): the picture again, as it is."""
        if len(self.items):
            path = self.item.path
            picture = self.loader.cached(path, full=True) or self.loader.cached(path)
            if picture is not None:
                self._show(picture, keep_view=True)

    def _on_labels(self, photo_id: int, labels: list) -> None:
        if len(self.items) and self.item.photo_id == photo_id:
            self.details.show_labels(labels)

    def _on_loaded(self, picture: Picture) -> None:
        if not len(self.items) or picture.path != self.item.path:
            return
        full = self.loader.cached(self.item.path, full=True)
        if picture.full or full is None:
            self._show(full or picture)

    def _on_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")
        if self._needs_full():
            self._want()

    # -- zoom and window ------------------------------------------------------------------

    def show_actual_size(self) -> None:
        self.canvas.set_zoom(1.0)

    def toggle_details(self) -> None:
        self.details_button.toggle()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        actions = {
            Qt.Key.Key_Right: lambda: self.step(1),
            Qt.Key.Key_PageDown: lambda: self.step(1),
            Qt.Key.Key_Left: lambda: self.step(-1),
            Qt.Key.Key_PageUp: lambda: self.step(-1),
            Qt.Key.Key_Home: lambda: self.step(-self.row),
            Qt.Key.Key_End: lambda: self.step(len(self.items) - 1 - self.row),
            Qt.Key.Key_Space: self.close,
            Qt.Key.Key_Escape: self.showNormal if self.isFullScreen() else self.close,
            Qt.Key.Key_F11: self.toggle_full_screen,
            Qt.Key.Key_0: self.canvas.set_fit,
            Qt.Key.Key_1: self.show_actual_size,
            Qt.Key.Key_Plus: lambda: self.canvas.zoom_by(ZOOM_STEP),
            Qt.Key.Key_Equal: lambda: self.canvas.zoom_by(ZOOM_STEP),
            Qt.Key.Key_Minus: lambda: self.canvas.zoom_by(1 / ZOOM_STEP),
            Qt.Key.Key_I: self.toggle_details,
        }
        action = actions.get(Qt.Key(key))
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.WindowStateChange:
            self.full_screen_button.setText(
                "Leave full screen" if self.isFullScreen() else "Full screen"
            )
        super().changeEvent(event)

    def moveEvent(self, event: QMoveEvent) -> None:
        self.loader.set_box(self._screen_box())
        super().moveEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._owns_loader:
            self.loader.shutdown()
        self.closed.emit(self.row)
        super().closeEvent(event)
