"""Thumbnails decoded (through the disk cache) on a small pool of threads.

The cached JPEG bytes are decoded by Pillow, not ``QImage.fromData``: Pillow lets go of the
interpreter lock while libjpeg decodes, ``fromData`` does not (a 12-MP decode leaves a
Python loop beside it 8 % of its speed). With a paint of ~5 ms of Python every 16 ms on
the UI thread and two loader threads decoding 256-px thumbnails, the paint's 95th
percentile was 184 ms under ``fromData`` and 7 ms under Pillow, which decoded about as
many thumbnails a second meanwhile (2,300 against 2,600) though each ~25 % slower alone
(benchmarks/gui_thumbnail_decode.py).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage

from photofind.core import errorsink
from photofind.core.errors import PhotofindError
from photofind.core.low_impact import lower_thread_priority
from photofind.core.thumbnails import BUCKETS, ThumbnailCache, bucket_for
from photofind.gui.workers import track_pool


@dataclass(frozen=True)
class ThumbnailResult:
    path: Path
    bucket: int
    image: QImage | None
    error: str | None = None


MAX_QUEUED_THUMBNAILS = 400  # ~3 screens of small cells: older requests were scrolled past
# The cache writes at most the largest bucket; a header claiming far more is a damaged
# file, refused before its pixels are allocated.
MAX_THUMBNAIL_SIDE = 2 * BUCKETS[-1]
BROKEN = "The thumbnail cannot be decoded."


def decode_thumbnail(data: bytes) -> QImage | None:
    """A cached thumbnail's JPEG bytes as a QImage, None when they do not decode.

    The image is RGB32, the format of a pixmap on every raster platform, so that
    ``QPixmap.fromImage`` on the UI thread copies it without converting. Pillow keeps RGB
    as R, G, B, 255 per pixel, which is Qt's RGBX8888: wrapped without a copy, then
    converted once into pixels the QImage owns."""
    try:
        with Image.open(io.BytesIO(data), formats=("JPEG",)) as picture:
            if max(picture.size) > MAX_THUMBNAIL_SIDE:
                return None
            picture.load()
            rgb = picture if picture.mode == "RGB" else picture.convert("RGB")
            pixels = rgb.tobytes("raw", "RGBX")
            width, height = rgb.size
    except Exception:  # whatever Pillow raises for a damaged file (OSError, ValueError, ...)
        return None
    wrapped = QImage(pixels, width, height, 4 * width, QImage.Format.Format_RGBX8888)
    return wrapped.convertToFormat(QImage.Format.Format_RGB32)


class ThumbnailLoader(QObject):
    """Decodes thumbnails (through the disk cache) on a small pool of threads.

    Order: the cells painted most recently come first (after a scroll, what is on screen
    now before what was scrolled past), and within one paint, in the order painted (the
    best results, top left, first). When the queue is long the oldest requests are dropped;
    they are asked for again if their cells are painted again. A request already queued or
    being decoded is not queued twice."""

    loaded = Signal(ThumbnailResult)

    def __init__(self, cache: ThumbnailCache, threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.cache = cache
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._pool.setExpiryTimeout(2000)
        track_pool(self._pool)
        self._lock = threading.Lock()
        self._waiting: dict[tuple[Path, int], tuple[int, int]] = {}  # key -> (paint, order)
        self._decoding: set[tuple[Path, int]] = set()
        self._paint = 0  # requests made in one turn of the event loop share a number
        self._paint_open = False
        self._order = 0
        self._draining = 0
        self._closed = False

    def request(self, path: Path, size: int) -> None:
        """Called while painting, on the UI thread."""
        key = (path, bucket_for(size))
        if not self._paint_open:
            self._paint_open = True
            self._paint += 1
            QTimer.singleShot(0, self._close_paint)
        with self._lock:
            if self._closed or key in self._decoding:
                return
            known = key in self._waiting
            self._order += 1
            self._waiting[key] = (self._paint, -self._order)
            if not known and len(self._waiting) > MAX_QUEUED_THUMBNAILS:
                del self._waiting[min(self._waiting, key=self._waiting.__getitem__)]
            start = not known and self._draining < self._pool.maxThreadCount()
            if start:
                self._draining += 1
        if start:
            self._pool.start(self._drain)

    def _close_paint(self) -> None:
        self._paint_open = False

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._waiting) + len(self._decoding)

    def _drain(self) -> None:
        # Below the UI thread and the display server: on a machine with few cores two
        # decoding threads took the cores that a scroll's frames needed (the 95th percentile
        # of a scroll under X on 2 cores: 17-31 ms, 15 ms with the decoders lowered). They
        # still have every core nobody else wants. This pool's threads decode only this.
        lower_thread_priority()
        while True:
            with self._lock:
                if not self._waiting or self._closed:
                    self._draining -= 1
                    return
                key = max(self._waiting, key=self._waiting.__getitem__)
                del self._waiting[key]
                self._decoding.add(key)
            try:
                result = self._load(*key)
            except Exception as exc:
                errorsink.report(exc)
                result = ThumbnailResult(key[0], key[1], None, "The thumbnail failed.")
            with self._lock:
                self._decoding.discard(key)
            self.loaded.emit(result)

    def _load(self, path: Path, bucket: int) -> ThumbnailResult:
        try:
            data = self.cache.load(path, bucket)
        except PhotofindError as exc:
            return ThumbnailResult(path, bucket, None, str(exc))
        image = decode_thumbnail(data)
        if image is None:
            return ThumbnailResult(path, bucket, None, BROKEN)
        return ThumbnailResult(path, bucket, image)

    def shutdown(self) -> None:
        """Drop what is queued and wait for the decodes in progress."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
        self._pool.waitForDone()
