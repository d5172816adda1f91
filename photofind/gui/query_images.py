"""Images a user gives as a query: dropped or pasted files, image data, or web addresses.

Browsers hand over a dragged picture in different ways: a local file URL, the decoded
image itself, or only the picture's web address. :func:`images_from_mime` takes, in that
order of preference, local image files, then image data, then http(s) addresses, which
:class:`UrlImageFetcher` downloads (only when the user drops one: photofind makes no other
network request).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMimeData,
    QObject,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QImage, QImageReader
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest

from photofind.core.images import IMAGE_EXTENSIONS

PREVIEW_SIDE = 64  # chip pictures are drawn at 24-32 px; 64 keeps them sharp on HiDPI
MAX_DOWNLOAD_BYTES = 40 * 1024 * 1024  # larger than any photo a browser shows
DOWNLOAD_TIMEOUT_MS = 20_000
KEEP_ASPECT = Qt.AspectRatioMode.KeepAspectRatio


@dataclass(frozen=True)
class QueryImage:
    source: Path | bytes  # what the search encodes
    label: str  # shown on the chip
    preview: QImage  # small picture for the chip (may be null)


def _preview(reader: QImageReader) -> QImage:
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > PREVIEW_SIDE:
        reader.setScaledSize(size.scaled(QSize(PREVIEW_SIDE, PREVIEW_SIDE), KEEP_ASPECT))
    return reader.read()


def from_file(path: Path) -> QueryImage:
    return QueryImage(path, path.name, _preview(QImageReader(str(path))))


def from_bytes(data: bytes, label: str) -> QueryImage:
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    return QueryImage(data, label, _preview(QImageReader(buffer)))


def from_qimage(image: QImage, label: str) -> QueryImage:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    preview = image.scaled(PREVIEW_SIDE, PREVIEW_SIDE, KEEP_ASPECT)
    return QueryImage(bytes(data.data()), label, preview)


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file()


def images_from_mime(
    mime: QMimeData, label: str = "Dropped image"
) -> tuple[list[QueryImage], list[QUrl]]:
    """(images ready to search, web addresses still to download)."""
    local: list[QueryImage] = []
    remote: list[QUrl] = []
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if is_image_path(path):
                local.append(from_file(path))
        elif url.scheme() in ("http", "https"):
            remote.append(url)
        elif url.scheme() == "data":
            decoded = _data_url(url.toString())
            if decoded is not None:
                local.append(from_bytes(decoded, label))
    if local:
        return local, []
    if mime.hasImage():
        image = QImage(mime.imageData())
        if not image.isNull():
            return [from_qimage(image, label)], []
    if not remote and mime.hasText():  # some browsers give the address only as text
        text = mime.text().strip()
        if text.startswith(("http://", "https://")) and "\n" not in text:
            remote.append(QUrl(text))
        elif text.startswith("file://") or text.startswith("/"):
            path = Path(QUrl(text).toLocalFile() if text.startswith("file://") else text)
            if is_image_path(path):
                return [from_file(path)], []
    return [], remote


def mime_has_images(mime: QMimeData) -> bool:
    if mime.hasImage():
        return True
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            if Path(url.toLocalFile()).suffix.lower() in IMAGE_EXTENSIONS:
                return True
        elif url.scheme() in ("http", "https", "data"):
            return True
    return False


def _data_url(text: str) -> bytes | None:
    head, _, payload = text.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        return None
    try:
        return base64.b64decode(payload, validate=False)
    except ValueError:
        return None


class UrlImageFetcher(QObject):
    """Downloads a dropped web image, asynchronously on the UI thread's event loop."""

    fetched = Signal(QueryImage)
    failed = Signal(str)  # a user-facing sentence

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._network: QNetworkAccessManager | None = None

    def fetch(self, url: QUrl) -> None:
        if self._network is None:
            self._network = QNetworkAccessManager(self)
        request = QNetworkRequest(url)
        request.setTransferTimeout(DOWNLOAD_TIMEOUT_MS)
        request.setAttribute(
            QNetworkRequest.Attribute.RedirectPolicyAttribute,
            QNetworkRequest.RedirectPolicy.NoLessSafeRedirectPolicy,
        )
        reply = self._network.get(request)
        reply.downloadProgress.connect(lambda received, _total: _limit(reply, received))
        reply.finished.connect(lambda: self._done(reply, url))

    def _done(self, reply: QNetworkReply, url: QUrl) -> None:
        reply.deleteLater()
        name = Path(url.path()).name or url.host()
        if reply.error() != QNetworkReply.NetworkError.NoError:
            self.failed.emit(
                f"The image at {url.toDisplayString()} could not be downloaded "
                f"({reply.errorString()})."
            )
            return
        data = bytes(reply.readAll().data())
        item = from_bytes(data, name)
        if item.preview.isNull():
            self.failed.emit(f"{url.toDisplayString()} is not an image photofind can read.")
            return
        self.fetched.emit(item)


def _limit(reply: QNetworkReply, received: int) -> None:
    if received > MAX_DOWNLOAD_BYTES:
        reply.abort()
