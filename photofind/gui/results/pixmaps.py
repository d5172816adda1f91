"""Thumbnails as pixmaps for painting: an in-memory LRU in front of the worker pool.

The delegate asks :meth:`ThumbnailStore.pixmap` while painting, which is only ever done for
cells on screen, so only visible photos are decoded. A miss queues a request with the
:class:`~photofind.gui.workers.thumbnails.ThumbnailLoader` and returns None (the delegate paints a
placeholder); when the image arrives :attr:`ready` says which photo to repaint.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPixmap

from photofind.core.thumbnails import bucket_for
from photofind.gui.workers.thumbnails import ThumbnailLoader, ThumbnailResult

MEMORY_BUDGET_BYTES = 160 * 1024 * 1024  # ~800 decoded 256-px thumbnails: several screens


class Broken:
    """A photo whose thumbnail cannot be made; carries the reason for the tooltip."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class ThumbnailStore(QObject):
    ready = Signal(Path)  # its thumbnail (or its failure) is now available

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self._pixmaps: OrderedDict[tuple[Path, int], QPixmap | Broken] = OrderedDict()
        self._bytes = 0
        loader.loaded.connect(self._on_loaded)

    def pixmap(self, path: Path, size: int) -> QPixmap | Broken | None:
        """The thumbnail of ``path`` for a ``size``-pixel cell, or None (requested now).

        While the exact bucket is missing, a smaller or larger one already in memory is
        returned (a zoom shows a scaled picture at once, then a sharp one)."""
        bucket = bucket_for(size)
        key = (path, bucket)
        found = self._pixmaps.get(key)
        if found is not None:
            self._pixmaps.move_to_end(key)
            return found
        self.loader.request(path, bucket)
        for other in (bucket // 2, bucket * 2, bucket // 4, bucket * 4):
            stand_in = self._pixmaps.get((path, other))
            if isinstance(stand_in, QPixmap):
                return stand_in
        return None

    def has(self, path: Path, size: int) -> bool:
        """Whether the thumbnail (or its failure) for a ``size``-pixel cell is in memory."""
        return (path, bucket_for(size)) in self._pixmaps

    def _on_loaded(self, result: ThumbnailResult) -> None:
        key = (result.path, result.bucket)
        if result.image is None:
            value: QPixmap | Broken = Broken(result.error or "No thumbnail.")
        else:
            value = QPixmap.fromImage(result.image)
            self._bytes += _cost(value)
        old = self._pixmaps.pop(key, None)
        if isinstance(old, QPixmap):
            self._bytes -= _cost(old)
        self._pixmaps[key] = value
        while self._bytes > MEMORY_BUDGET_BYTES and len(self._pixmaps) > 1:
            _, evicted = self._pixmaps.popitem(last=False)
            if isinstance(evicted, QPixmap):
                self._bytes -= _cost(evicted)
        self.ready.emit(result.path)

    def clear(self) -> None:
        self._pixmaps.clear()
        self._bytes = 0


def _cost(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)
