"""Pictures for the viewer, decoded from the original files off the UI thread.

A picture is decoded at the size it is shown, the screen's (JPEG lets libjpeg scale by
1/2, 1/4 or 1/8 while decoding, so a 24 MP photo costs a fraction of its full decode), with
its EXIF rotation applied; at 100% zoom and beyond the full resolution is decoded too. The
viewer says which pictures it wants, in order (the current photo, then the next and the
previous one): a newer wish replaces an older one, so holding an arrow key never queues a
backlog, and the neighbours are ready before the user steps to them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from photofind.core import errorsink
from photofind.core.errors import PhotofindError
from photofind.core.images import open_image, read_info
from photofind.gui.workers import track_pool

# Decoded RGB pictures kept in memory: a 2560x1440 screen picture is 11 MB, so the current
# photo, two neighbours each side and a full-resolution 24 MP one (72 MB) fit.
MEMORY_BUDGET_BYTES = 192 * 1024 * 1024
DECODE_THREADS = 2  # the current photo and the next one at once; more only slows both on 2 cores


@dataclass(frozen=True)
class Picture:
    path: Path
    full: bool  # decoded at the original's resolution (else at most the screen's)
    image: QImage | None
    original: tuple[int, int]  # the original's width and height, after EXIF rotation
    error: str | None = None  # why it cannot be shown, as a sentence

    @property
    def key(self) -> tuple[Path, bool]:
        return self.path, self.full


def decode(path: Path, box: tuple[int, int] | None) -> Picture:
    """``path`` decoded to fit in ``box`` (device pixels; None: full resolution)."""
    try:
        info = read_info(path)
        original = (info.width, info.height)
        min_size = None
        if box is not None:
            scale = min(1.0, box[0] / info.width, box[1] / info.height)
            min_size = max(1, int(min(info.width, info.height) * scale / 2))
        img = open_image(path, min_size=min_size)
        if box is not None and (img.width > box[0] or img.height > box[1]):
            img.thumbnail(box, Image.Resampling.LANCZOS, reducing_gap=2.0)
    except PhotofindError as exc:
        return Picture(path, box is None, None, (0, 0), str(exc))
    data = img.tobytes("raw", "RGB")
    image = QImage(data, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888)
    return Picture(path, box is None, image.copy(), original)  # copy: own the pixels


class PictureLoader(QObject):
    """Decodes what the viewer wants on a small thread pool and keeps the results in an LRU.

    Everything but the decoding runs on the UI thread; ``loaded`` arrives there too."""

    loaded = Signal(Picture)

    def __init__(self, box: tuple[int, int], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.box = box
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(DECODE_THREADS)
        self._pool.setExpiryTimeout(5000)
        track_pool(self._pool)
        self._lock = threading.Lock()
        self._wanted: list[tuple[Path, bool]] = []
        self._decoding: set[tuple[Path, bool]] = set()
        self._draining = 0
        self._closed = False
        self._cache: OrderedDict[tuple[Path, bool], Picture] = OrderedDict()
        self._bytes = 0
        self.loaded.connect(self._keep)  # connected first: the cache has it before the viewer hears

    def set_box(self, box: tuple[int, int]) -> None:
        """The viewer moved to a screen of another size: screen pictures are decoded again."""
        if box == self.box:
            return
        self.box = box
        for key in [k for k in self._cache if not k[1]]:
            self._forget(key)

    def cached(self, path: Path, *, full: bool = False) -> Picture | None:
        picture = self._cache.get((path, full))
        if picture is not None:
            self._cache.move_to_end((path, full))
        return picture

    def want(self, keys: list[tuple[Path, bool]]) -> None:
        """Decode these (path, full) pictures, most wanted first; earlier wishes not yet
        started are dropped."""
        with self._lock:
            if self._closed:
                return
            self._wanted = [k for k in keys if k not in self._cache and k not in self._decoding]
            starts = min(len(self._wanted), self._pool.maxThreadCount() - self._draining)
            self._draining += max(0, starts)
        for _ in range(max(0, starts)):
            self._pool.start(self._drain)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if self._closed or not self._wanted:
                    self._draining -= 1
                    return
                key = self._wanted.pop(0)
                self._decoding.add(key)
                box = self.box
            try:
                picture = decode(key[0], None if key[1] else box)
            except Exception as exc:  # photofind's own bug: reported, and the viewer goes on
                errorsink.report(exc)
                picture = Picture(key[0], key[1], None, (0, 0), "This photo cannot be shown.")
            with self._lock:
                self._decoding.discard(key)
            self.loaded.emit(picture)

    def _keep(self, picture: Picture) -> None:
        if picture.key in self._cache:
            self._forget(picture.key)
        self._cache[picture.key] = picture
        self._bytes += _bytes(picture)
        while self._bytes > MEMORY_BUDGET_BYTES and len(self._cache) > 1:
            self._forget(next(iter(self._cache)))

    def _forget(self, key: tuple[Path, bool]) -> None:
        self._bytes -= _bytes(self._cache.pop(key))

    def shutdown(self) -> None:
        """Drop what is wanted and wait for the decodes in progress."""
        with self._lock:
            self._closed = True
            self._wanted.clear()
        self._pool.waitForDone()


def _bytes(picture: Picture) -> int:
    return picture.image.sizeInBytes() if picture.image is not None else 0
