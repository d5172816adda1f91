"""The picture, fitted to the window or zoomed: wheel zoom about the pointer, drag to pan.

``zoom`` is in device pixels per pixel of the original, so 1.0 is "100%" (every pixel of
the photo on one pixel of the screen) whatever the screen's scale factor. The picture drawn
may be a smaller decode of the original (the screen-sized one): it is drawn at the size
the original would have.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

MIN_ZOOM, MAX_ZOOM = 0.02, 16.0  # a 50k-px panorama fits a laptop screen; 16x shows single pixels
WHEEL_STEP = 1.25  # per notch (120 eighths of a degree), as most image viewers zoom
# A dark neutral surround in every theme, as photo viewers have: colours are judged against
# grey, and a light window colour around a photo makes it look darker than it is.
BACKGROUND, TEXT = QColor(30, 30, 30), QColor(215, 215, 215)


class PictureCanvas(QWidget):
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewerCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.image: QImage | None = None
        self.original = (0, 0)
        self.message: str | None = None
        self.fit = True
        self._zoom = 1.0
        self._centre = QPointF(0.5, 0.5)  # the point of the photo (0..1) at the view's centre
        self._drag: QPointF | None = None

    # -- what is shown --------------------------------------------------------------------

    def set_picture(self, image: QImage | None, original: tuple[int, int],
                    message: str | None = None, *, keep_view: bool = False) -> None:  # fmt: skip
        """Show ``image`` (a decode of a photo of size ``original``), or ``message`` when
        there is none; a new photo starts fitted unless ``keep_view``."""
        self.image, self.original, self.message = image, original, message
        if not keep_view:
            self.fit = True
            self._centre = QPointF(0.5, 0.5)
        self._zoom_updated()

    @property
    def zoom(self) -> float:
        return self.fit_zoom() if self.fit else self._zoom

    def fit_zoom(self) -> float:
        """Fitted, but never enlarged past 100%: a small photo is shown sharp, not blurred."""
        width, height = self.original
        if not width or not height:
            return 1.0
        dpr = self.devicePixelRatioF()
        return min(1.0, self.width() * dpr / width, self.height() * dpr / height)

    def set_fit(self) -> None:
        self.fit = True
        self._centre = QPointF(0.5, 0.5)
        self._zoom_updated()

    def set_zoom(self, zoom: float, about: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the point under ``about`` (view coordinates) in place."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if about is not None and self.original[0]:
            before = self._photo_point(about)
            self.fit, self._zoom = False, zoom
            after = self._photo_point(about)
            self._centre += before - after
        else:
            self.fit, self._zoom = False, zoom
        self._zoom_updated()

    def zoom_by(self, factor: float, about: QPointF | None = None) -> None:
        self.set_zoom(self.zoom * factor, about)

    def _zoom_updated(self) -> None:
        self._clamp_centre()
        self.update()
        self.zoom_changed.emit(self.zoom)

    # -- geometry -------------------------------------------------------------------------

    def _shown_size(self) -> tuple[float, float]:
        """The photo's size on screen, in logical pixels."""
        scale = self.zoom / self.devicePixelRatioF()
        return self.original[0] * scale, self.original[1] * scale

    def picture_rect(self) -> QRectF:
        width, height = self._shown_size()
        left = self.width() / 2 - self._centre.x() * width
        top = self.height() / 2 - self._centre.y() * height
        return QRectF(left, top, width, height)

    def _photo_point(self, view: QPointF) -> QPointF:
        rect = self.picture_rect()
        if rect.width() <= 0 or rect.height() <= 0:
            return QPointF(0.5, 0.5)
        return QPointF(
            (view.x() - rect.left()) / rect.width(), (view.y() - rect.top()) / rect.height()
        )

    def _clamp_centre(self) -> None:
        # A picture smaller than the view stays centred; a larger one cannot be dragged
        # past its edges.
        width, height = self._shown_size()
        x, y = self._centre.x(), self._centre.y()
        x = (
            0.5
            if width <= self.width()
            else min(max(x, self.width() / 2 / width), 1 - self.width() / 2 / width)
        )
        y = (
            0.5
            if height <= self.height()
            else min(max(y, self.height() / 2 / height), 1 - self.height() / 2 / height)
        )
        self._centre = QPointF(x, y)

    # -- events ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if self.image is None:
            painter.setPen(TEXT)
            text = self.message or ""
            painter.drawText(self.rect().adjusted(24, 24, -24, -24),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)  # fmt: skip
            return
        target = self.picture_rect()
        # Smooth when scaling down (else aliasing); sharp pixels when zoomed past the decode.
        scale = target.width() * self.devicePixelRatioF() / max(1, self.image.width())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0)
        painter.drawImage(target, self.image, QRectF(self.image.rect()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._zoom_updated()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches and self.image is not None:
            self.zoom_by(WHEEL_STEP**notches, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            width, height = self._shown_size()
            delta = event.position() - self._drag
            self._drag = event.position()
            if width and height:
                self._centre -= QPointF(delta.x() / width, delta.y() / height)
                self._clamp_centre()
                self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.unsetCursor()
        super().mouseReleaseEvent(event)
