"""photofind's icon: a magnifier over a photo. The SVG below is the one source of it.

``assets/photofind.svg`` and the PNG sizes in ``assets/`` are written from it by
``python -m photofind.desktop --write-assets assets`` (and the desktop entry installs the
same renderings), so the window, the launcher and the README never disagree.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

PNG_SIZES = (16, 32, 48, 64, 128, 256)

ICON_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#4C7FEA"/>
      <stop offset="1" stop-color="#2447A8"/>
    </linearGradient>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#BFDAFF"/>
      <stop offset="1" stop-color="#E8F2FF"/>
    </linearGradient>
    <clipPath id="photo">
      <rect x="46" y="50" width="140" height="112" rx="6"/>
    </clipPath>
  </defs>
  <rect x="8" y="8" width="240" height="240" rx="54" fill="url(#bg)"/>
  <rect x="34" y="38" width="164" height="136" rx="14" fill="#FFFFFF"/>
  <g clip-path="url(#photo)">
    <rect x="46" y="50" width="140" height="112" fill="url(#sky)"/>
    <circle cx="82" cy="84" r="15" fill="#FFC23C"/>
    <polygon points="40,166 96,104 128,136 150,114 196,166" fill="#37A266"/>
    <polygon points="40,166 96,104 112,120 84,166" fill="#2E8B57"/>
  </g>
  <circle cx="166" cy="158" r="46" fill="#FFFFFF" fill-opacity="0.28"/>
  <circle cx="166" cy="158" r="46" fill="none" stroke="#16254F" stroke-width="22"/>
  <circle cx="166" cy="158" r="46" fill="none" stroke="#FFFFFF" stroke-width="13"/>
  <line x1="202" y1="194" x2="226" y2="218" stroke="#16254F" stroke-width="30"
        stroke-linecap="round"/>
  <line x1="202" y1="194" x2="226" y2="218" stroke="#FFB13B" stroke-width="18"
        stroke-linecap="round"/>
</svg>
"""


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
