"""photofind's icon in the window: a magnifier over a photo.

Its one source is ``photofind/assets/photofind.svg`` (package data); the PNG sizes beside it
are rendered from it by ``python -m photofind.desktop --write-assets`` (this module's
:func:`png_bytes`), so the window, the launcher and the packages never disagree. Installing
the desktop entry copies those files and needs no Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from photofind.desktop import PNG_SIZES, icon_svg

__all__ = ["ICON_SVG", "PNG_SIZES", "app_icon", "png_bytes", "render"]


ICON_SVG = icon_svg()


def render(size: int) -> QImage:
    renderer = QSvgRenderer(QByteArray(ICON_SVG.encode()))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def png_bytes(size: int) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    render(size).save(buffer, "PNG")
    return bytes(data.data())


def app_icon() -> QIcon:
    """Needs a QGuiApplication (pixmaps)."""
    icon = QIcon()
    for size in PNG_SIZES:
        icon.addPixmap(QPixmap.fromImage(render(size)))
    return icon
