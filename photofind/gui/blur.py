"""Sensitive photos kept out of sight: with View ▸ Hide sensitive photos on, the members of
every sensitive collection that is on are drawn blurred, in the grids and in the viewer,
until the user clicks one (that one stays shown until hiding is turned on again).

Nothing is hidden without the user's say: the option is off until they turn it on, and the
built-in "Sensitive" collection is off until they switch it on. The photo ids come from a
worker (:mod:`photofind.gui.collections_panel`); this object only answers "is this one
blurred?" and makes the blurred pictures, which are kept so a repaint costs nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

# The picture is shrunk until its longer side is this many pixels and stretched back:
# colours and the rough layout stay (the grid still looks like photos), nothing in it can
# be made out. A Gaussian blur of the same strength costs tens of times more per thumbnail.
BLUR_SIDE = 10
MAX_BLURRED = 400  # blurred thumbnails kept: a few screens' worth


def _shrunk_size(width: int, height: int) -> tuple[int, int]:
    scale = BLUR_SIDE / max(1, width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def blurred_image(image: QImage) -> QImage:
    small = image.scaled(*_shrunk_size(image.width(), image.height()),
                         Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)  # fmt: skip
    return small.scaled(image.width(), image.height(), Qt.AspectRatioMode.IgnoreAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)  # fmt: skip


class SensitiveBlur(QObject):
    changed = Signal()  # what is blurred changed: the grids repaint

    def __init__(self, enabled: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = enabled
        self._ids: frozenset[int] = frozenset()
        self._revealed: set[int] = set()
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._watchers: list[_ClickToReveal] = []

    @property
    def sensitive_ids(self) -> frozenset[int]:
        return self._ids

    def set_enabled(self, enabled: bool) -> None:
        """Turning hiding on hides again the photos clicked open before."""
        if enabled != self.enabled:
            self.enabled = enabled
            self._revealed.clear()
            self.changed.emit()

    def set_sensitive(self, photo_ids: Iterable[int]) -> None:
        ids = frozenset(int(i) for i in photo_ids)
        if ids != self._ids:
            self._ids = ids
            self.changed.emit()

    def hides(self, photo_id: int | None) -> bool:
        return (
            self.enabled and photo_id is not None and photo_id in self._ids
            and photo_id not in self._revealed
        )  # fmt: skip

    def reveal(self, photo_id: int) -> bool:
        """Show this photo as it is (the user clicked it); True when it was blurred."""
        if not self.hides(photo_id):
            return False
        self._revealed.add(photo_id)
        self.changed.emit()
        return True

    def pixmap(self, picture: QPixmap) -> QPixmap:
        """``picture`` blurred, made once per picture."""
        key = picture.cacheKey()
        found = self._pixmaps.get(key)
        if found is not None:
            self._pixmaps.move_to_end(key)
            return found
        ratio = picture.devicePixelRatio()
        found = QPixmap.fromImage(blurred_image(picture.toImage()))
        found.setDevicePixelRatio(ratio)
        self._pixmaps[key] = found
        if len(self._pixmaps) > MAX_BLURRED:
            self._pixmaps.popitem(last=False)
        return found

    def watch(self, viewport: QWidget, photo_at: Callable[[QPoint], int | None]) -> None:
        """A click (not a drag) on a blurred photo in ``viewport`` shows it; ``photo_at``
        says which photo (its id) is at a point of the viewport."""
        watcher = _ClickToReveal(self, photo_at, viewport)
        viewport.installEventFilter(watcher)
        self.changed.connect(viewport.update)
        self._watchers.append(watcher)
        watcher.destroyed.connect(lambda: self._watchers.remove(watcher))


class _ClickToReveal(QObject):
    def __init__(self, blur: SensitiveBlur, photo_at: Callable[[QPoint], int | None],
                 viewport: QWidget) -> None:  # fmt: skip
        super().__init__(viewport)
        self.blur = blur
        self.photo_at = photo_at
        self._press: QPoint | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            left = event.button() == Qt.MouseButton.LeftButton  # type: ignore[attr-defined]
            self._press = event.position().toPoint() if left else None  # type: ignore[attr-defined]
        elif kind == QEvent.Type.MouseButtonRelease and self._press is not None:
            pos = event.position().toPoint()  # type: ignore[attr-defined]
            moved = (pos - self._press).manhattanLength() >= QApplication.startDragDistance()
            self._press = None
            photo_id = None if moved else self.photo_at(pos)
            if photo_id is not None:
                self.blur.reveal(photo_id)
        return False  # the grid goes on to select the photo as ever
